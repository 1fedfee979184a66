from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, ChurnCommon


@tagged("post_install", "-at_install")
class TestChurnSecurity(ChurnCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._customer("Salesman A customer", cls.salesman, monthly_until=130)
        cls.theirs = cls._customer(
            "Salesman B customer", cls.other_salesman, monthly_until=130
        )
        cls.partners = cls.mine | cls.theirs
        cls.company_b = cls.env["res.company"].create({"name": "Churn Co B"})
        cls.user_b = new_test_user(
            cls.env,
            "churn_user_b",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.portal = new_test_user(cls.env, "churn_portal", groups="base.group_portal")

    def setUp(self):
        super().setUp()
        self._run(TODAY)
        self.my_alert = self._alerts(self.mine)
        self.their_alert = self._alerts(self.theirs)
        self.assertTrue(self.my_alert and self.their_alert)

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_salesman_sees_only_own_customers(self):
        Alert = self.env["crm.churn.alert"].with_user(self.salesman)
        visible = Alert.search([("partner_id", "in", self.partners.ids)])
        self.assertEqual(visible, self.my_alert)
        with self.assertRaises(AccessError):
            self.their_alert.with_user(self.salesman).read(["stage"])
        with self.assertRaises(AccessError):
            self.their_alert.with_user(self.salesman).action_start()
        Risk = self.env["crm.churn.risk"].with_user(self.salesman)
        self.assertEqual(
            Risk.search([("partner_id", "in", self.partners.ids)]).partner_id,
            self.mine,
        )
        # Results are measured on the stage: no shortcut around the buttons.
        with self.assertRaises(UserError):
            self.my_alert.with_user(self.salesman).write({"stage": "won_back"})
        with self.assertRaises(UserError):
            self.my_alert.with_user(self.salesman).write({"recovered_revenue": 1e9})
        # His own alert: he works it and closes it.
        self.my_alert.with_user(self.salesman).action_start()
        self.assertEqual(self.my_alert.stage, "in_progress")
        with self.assertRaises(AccessError):
            self.my_alert.with_user(self.salesman).unlink()
        with self.assertRaises(AccessError):
            Alert.create(
                {
                    "name": "Forged",
                    "partner_id": self.theirs.id,
                    "company_id": self.company.id,
                    "level": "high",
                    "alert_date": TODAY,
                }
            )

    def test_manager_and_all_documents_see_everything(self):
        for user in (self.manager, self.leader):
            visible = (
                self.env["crm.churn.alert"]
                .with_user(user)
                .search([("partner_id", "in", self.partners.ids)])
            )
            self.assertEqual(visible, self.my_alert | self.their_alert)

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_other_company_sees_nothing(self):
        env_b = self.env(
            user=self.user_b, context={"allowed_company_ids": self.company_b.ids}
        )
        for model in ("crm.churn.alert", "crm.churn.risk", "crm.churn.risk.history"):
            self.assertFalse(
                env_b[model].search([("partner_id", "in", self.partners.ids)]),
                model,
            )
        with self.assertRaises(AccessError):
            self.my_alert.with_env(env_b).read(["stage"])
        for model in ("crm.churn.rate.report", "crm.churn.cohort.report"):
            self.assertFalse(
                env_b[model].search([("company_id", "=", self.company.id)]), model
            )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_portal_has_no_access(self):
        for model in (
            "crm.churn.alert",
            "crm.churn.risk",
            "crm.churn.risk.history",
            "crm.churn.signal",
            "crm.churn.reason",
            "crm.churn.run",
        ):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.portal).search([])

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_portal_cannot_read_its_own_risk(self):
        self.portal.partner_id.parent_id = self.mine
        partner = self.mine.with_user(self.portal)
        with self.assertRaises(AccessError):
            partner.read(["churn_risk_score"])
        with self.assertRaises(AccessError):
            partner.read(["churn_risk_level"])
        self.assertTrue(self.mine.with_user(self.salesman).churn_risk_level)

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_configuration_is_for_managers(self):
        signal = self.env.ref("crm_churn.crm_churn_signal_overdue")
        with self.assertRaises(AccessError):
            signal.with_user(self.salesman).weight = 0
        signal.with_user(self.manager).weight = 30
        self.assertEqual(self.env["crm.churn.signal"]._weights()["overdue"], 30)
        with self.assertRaises(AccessError):
            self.env["crm.journey"].with_user(self.salesman).create(
                {"name": "Mine", "trigger": "churn_alert"}
            )
        with self.assertRaises(AccessError):
            self.env["crm.churn.run"].with_user(self.salesman).action_run_now()
        with self.assertRaises(AccessError):
            self.env["crm.churn.reason"].with_user(self.salesman).create(
                {"name": "Weather"}
            )

    def test_salesman_approves_coupon_without_card_rights(self):
        """The sudo() of the coupon creation serves only the alert's owner."""
        program = self.env["loyalty.program"].create(
            {"name": "Win-back coupon", "program_type": "coupons"}
        )
        journey = self._winback_journey(
            "Coupon",
            {"alert_offer_type": "coupon", "coupon_program_id": program.id},
        )
        journey._enrol(self.partners.ids, TODAY)
        self.env["crm.journey.participant"]._advance(self.partners.ids, TODAY)
        self.assertEqual(self.their_alert.offer_state, "to_approve")
        self.my_alert.with_user(self.salesman).action_approve_offer()
        self.assertTrue(self.my_alert.coupon_id)
        with (
            mute_logger("odoo.addons.base.models.ir_rule"),
            self.assertRaises(AccessError),
        ):
            self.their_alert.with_user(self.salesman).action_approve_offer()
        self.assertFalse(self.their_alert.coupon_id)
        with self.assertRaises(AccessError):
            self.env["loyalty.card"].with_user(self.salesman).create(
                {"program_id": program.id, "partner_id": self.mine.id}
            )

    def test_export_respects_rules(self):
        wizard = (
            self.env["crm.churn.export"]
            .with_user(self.salesman)
            .create({"min_level": "high"})
        )
        content = wizard._build_report()
        self.assertTrue(content.startswith(b"PK"))
        from io import BytesIO

        import openpyxl

        sheet = openpyxl.load_workbook(BytesIO(content)).active
        names = [row[0].value for row in sheet.iter_rows(min_row=4)]
        self.assertIn("Salesman A customer", names)
        self.assertNotIn("Salesman B customer", names)

    def test_bad_input(self):
        with self.assertRaises(UserError):
            self.my_alert._set_lost(self.env["crm.churn.reason"])
        self.my_alert.offer_state = "none"
        with self.assertRaises(UserError):
            self.my_alert.action_approve_offer()
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.company.churn_high_threshold = 90  # above critical
        with self.assertRaises(ValidationError):
            self.company.churn_control_share = 80
        with self.assertRaises(ValidationError):
            self.env.ref("crm_churn.crm_churn_signal_overdue").weight = -1
