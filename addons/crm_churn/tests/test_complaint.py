from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, ChurnCommon


@tagged("post_install", "-at_install")
class TestComplaint(ChurnCommon):
    """Log a complaint: an activity for the member's service level, kept
    when done, read by the churn run as a signal with its reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.regular = cls._customer("Complaining regular", cls.salesman, 5)
        cls.partners = cls.regular
        cls.complaint_type = cls.env.ref("crm_churn.mail_activity_type_complaint")

    def _log(self, severity="medium", summary="Delivery two weeks late", user=None):
        wizard_env = self.env(user=user or self.salesman)
        with freeze_time(TODAY):
            form = Form(
                wizard_env["crm.churn.complaint"].with_context(
                    active_model="res.partner", active_id=self.regular.id
                )
            )
            form.severity = severity
            form.summary = summary
            form.save().action_confirm()
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.regular.id),
                ("activity_type_id", "=", self.complaint_type.id),
            ],
            order="id desc",
            limit=1,
        )

    def _facts(self, day):
        self.env["crm.lifecycle.profile"]._refresh_partners(
            self.regular.ids, as_of=TODAY
        )
        [fact] = self.env["crm.churn.risk"]._gather(self.regular.ids, day)
        return fact.get("extra_signals", {}).get("complaints")

    def test_a_complaint_follows_the_service_level(self):
        activity = self._log("medium")
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.churn_complaint_severity, "medium")
        self.assertEqual(activity.churn_company_id, self.company)
        self.assertEqual(activity.summary, "Delivery two weeks late")
        self.assertEqual(
            activity.date_deadline,
            self.company._lifecycle_add_working_days(TODAY, 1),
        )
        # A Gold member with a dedicated manager answering in 4 hours: his
        # complaint goes to the manager, due the same day.
        gold = self.env.ref("crm_loyalty.tier_gold")
        gold.write(
            {
                "service_response_hours": 4,
                "service_dedicated": True,
                "service_manager_id": self.leader.id,
            }
        )
        self.regular.sudo().with_company(self.company).loyalty_tier_id = gold
        activity = self._log("low", "Rude cashier")
        self.assertEqual(
            (activity.user_id, activity.date_deadline), (self.leader, TODAY)
        )
        with self.assertRaises(UserError):
            self.regular._churn_log_complaint("medium", "  ")
        with self.assertRaises(UserError):
            self.regular._churn_log_complaint("urgent", "Anything")

    def test_complaints_are_a_churn_signal_as_they_stood_on_the_day(self):
        activity = self._log("high", "Wrong size sent twice")
        # Before it was logged (a backtest's day): no signal.
        self.assertIsNone(self._facts(TODAY - timedelta(days=1)))
        strength, params = self._facts(TODAY)
        self.assertEqual(strength, 1.0)
        self.assertEqual(
            params,
            {"open": 1, "recent": 1, "critical": 1, "summary": "Wrong size sent twice"},
        )
        self._run(TODAY)
        risk = self.env["crm.churn.risk"].search([("partner_id", "=", self.regular.id)])
        self.assertAlmostEqual(risk.strengths["complaints"], 1.0)
        self.assertIn(
            "critical complaint still open: Wrong size sent twice", risk.reasons
        )
        # Settled three days later: kept (done), it still counts a little,
        # then nothing after 90 days.
        with freeze_time(TODAY + timedelta(days=3)):
            activity.action_feedback("Resent the right size")
            # The done date is computed when written: on the day it was done.
            self.env.flush_all()
        self.assertFalse(activity.active)
        strength, params = self._facts(TODAY + timedelta(days=10))
        self.assertEqual((strength, params["open"], params["critical"]), (0.15, 0, 0))
        self.assertEqual(
            risk._reason_text("complaints", params), "1 complaints in the last 90 days"
        )
        self.assertIsNone(self._facts(TODAY + timedelta(days=91)))
        # Still open on a replayed day before it was settled.
        self.assertEqual(self._facts(TODAY + timedelta(days=2))[1]["open"], 1)

    def test_a_complaint_counts_for_the_company_it_was_made_to(self):
        other = self.env["res.company"].create({"name": "Complaint Co B"})
        self.salesman.company_ids |= other
        with freeze_time(TODAY):
            self.regular.with_user(self.salesman).with_company(
                other
            )._churn_log_complaint("high", "Elsewhere")
        self.assertIsNone(self._facts(TODAY))

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_wizards_are_their_users_and_portal_has_none(self):
        self._log()
        wizard = (
            self.env["crm.churn.complaint"]
            .with_user(self.salesman)
            .create({"partner_id": self.regular.id, "summary": "Mine"})
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.other_salesman).read(["summary"])
        portal = new_test_user(self.env, "complaint_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["crm.churn.complaint"].with_user(portal).create(
                {"partner_id": self.regular.id, "summary": "Not mine"}
            )
