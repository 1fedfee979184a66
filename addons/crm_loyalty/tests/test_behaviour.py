from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestBehaviourPoints(LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.share = cls.program.crm_behaviour_ids.filtered(lambda b: b.code == "share")
        cls.Behaviour = cls.env["crm.loyalty.behaviour"]

    def test_new_ledger_programs_get_the_default_catalogue(self):
        self.assertEqual(
            set(self.program.crm_behaviour_ids.mapped("code")),
            {"share", "review", "checkin", "survey", "profile", "referral"},
        )
        self.assertEqual(self.share.points, 50)

    @freeze_time("2026-03-18")
    def test_rpc_method_grants_once_per_reference(self):
        result = self.Behaviour.grant_behaviour_points(
            self.partner.id, "share", "insta-post-42", note="Instagram"
        )
        self.assertEqual(result["points"], 50)
        self.assertEqual(result["balance"], 50)
        self.assertFalse(result["duplicate"])
        again = self.Behaviour.grant_behaviour_points(
            self.partner.id, "share", "insta-post-42"
        )
        self.assertTrue(again["duplicate"])
        self.assertEqual(again["entry_id"], result["entry_id"])
        card = self._card()
        self.assertEqual(card.points, 50)
        self.assertEqual(
            card.crm_entry_ids.reason_display, "Shared on social media: Instagram"
        )
        self.assertBalanced(card)

    def test_cap_per_period(self):
        with freeze_time("2026-03-16"):  # Monday
            self.Behaviour.grant_behaviour_points(self.partner.id, "share", "a")
        with freeze_time("2026-03-22"), self.assertRaises(UserError):  # same week
            self.Behaviour.grant_behaviour_points(self.partner.id, "share", "b")
        with freeze_time("2026-03-23"):  # next week
            self.Behaviour.grant_behaviour_points(self.partner.id, "share", "c")
        self.assertEqual(self._card().points, 100)

    def test_bad_input_gets_a_clear_error_and_changes_nothing(self):
        bad_calls = [
            ("not an id", "share", "x"),
            (True, "share", "x"),
            (self.partner.id, 42, "x"),
            (self.partner.id, "", "x"),
            (self.partner.id, "share", ""),
            (self.partner.id, "share", "x" * 129),
            (self.partner.id, "share", 7),
            (999999999, "share", "x"),
            (self.partner.id, "no-such-code", "x"),
        ]
        for args in bad_calls:
            with self.subTest(args=args), self.assertRaises(ValidationError):
                self.Behaviour.grant_behaviour_points(*args)
        self.assertFalse(self._card())

    def test_only_managers_grant(self):
        salesman = new_test_user(
            self.env, "behaviour_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.Behaviour.with_user(salesman).grant_behaviour_points(
                self.partner.id, "share", "x"
            )
        with self.assertRaises(AccessError):
            self.env["crm.loyalty.behaviour.wizard"].with_user(salesman).create(
                {"partner_id": self.partner.id, "behaviour_id": self.share.id}
            )

    def test_manager_wizard(self):
        form = Form(self.env["crm.loyalty.behaviour.wizard"])
        form.partner_id = self.partner
        form.behaviour_id = self.program.crm_behaviour_ids.filtered(
            lambda b: b.code == "review"
        )
        form.reference = "review-7"
        form.save().action_grant()
        self.assertEqual(self._card().points, 100)
