from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from .common import LoyaltyLedgerCommon

WEDNESDAY = "2026-03-18"


@tagged("post_install", "-at_install")
class TestMultipliers(LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program.write({"crm_member_day_kind": "weekday", "crm_member_weekday": "2"})

    def _earned(self, order):
        return self._card().crm_entry_ids.filtered(
            lambda e: e.entry_type == "earn" and e.source_id == order.id
        )

    @freeze_time(WEDNESDAY)
    def test_member_day_doubles_and_the_quotation_says_why(self):
        order = self._order(120.0)
        self.assertEqual(
            order.crm_loyalty_points_preview, "120 x 2 (member day) = 240 points"
        )
        order.action_confirm()
        entry = self._earned(order)
        self.assertEqual(entry.points, 240)
        self.assertEqual(
            entry.reason_display,
            f"Order {order.name}: 120 x 2 (member day) = 240 points",
        )

    @freeze_time(WEDNESDAY)
    def test_member_facts_read_in_sql_match_the_orm(self):
        """With a cold cache (a request) the tier and birthdate are read in
        one statement: the company's tier and birthdate count for its
        contact, and another company's tier does not."""
        Tier = self.env["crm.loyalty.tier"]
        Tier.search([("company_id", "=", self.company.id)]).unlink()
        tier = Tier.create(
            {"name": "Gold", "threshold": 0, "retention_threshold": 0, "multiplier": 2}
        )
        other = self.env["res.company"].create({"name": "Other multiplier company"})
        other_tier = Tier.with_company(other).create(
            {"name": "Other gold", "threshold": 0, "retention_threshold": 0}
        )
        self.partner.write({"is_company": True, "birthdate_date": date(1990, 3, 2)})
        self.partner.with_company(self.company).loyalty_tier_id = tier
        self.partner.with_company(other).loyalty_tier_id = other_tier
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": self.partner.id}
        )
        program, day = self.program, date(2026, 3, 18)
        expected = program._crm_multiplier(contact, day, self.company)
        self.assertTrue(program._crm_member_cached(contact, self.company))
        self.assertEqual(
            expected,
            (
                12.0,
                [("member day", 2.0), ("birthday month", 3.0), ("Gold", 2.0)],
            ),
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertFalse(program._crm_member_cached(contact, self.company))
        with self.assertQueryCount(__system__=1):
            facts = program._crm_member_facts(contact, self.company)
        self.assertEqual(facts, (tier.id, date(1990, 3, 2)))
        self.assertEqual(program._crm_multiplier(contact, day, self.company), expected)
        self.assertEqual(
            program._crm_member_facts(contact, other), (other_tier.id, date(1990, 3, 2))
        )

    @freeze_time("2026-03-19")
    def test_no_multiplier_on_other_days(self):
        order = self._order(120.0)
        self.assertEqual(order.crm_loyalty_points_preview, "120 points")
        order.action_confirm()
        self.assertEqual(self._earned(order).points, 120)

    @freeze_time(WEDNESDAY)
    def test_birthday_month_stacks_by_the_setting(self):
        self.partner.birthdate_date = date(1990, 3, 2)
        order = self._order(100.0)
        self.assertEqual(
            order.crm_loyalty_points_preview,
            "100 x 2 x 3 (member day, birthday month) = 600 points",
        )
        self.program.crm_stacking = "max"
        order.invalidate_recordset(["crm_loyalty_points_preview"])
        self.assertEqual(
            order.crm_loyalty_points_preview, "100 x 3 (birthday month) = 300 points"
        )
        order.action_confirm()
        self.assertEqual(self._earned(order).points, 300)

    @freeze_time("2026-03-20")
    def test_campaign_and_credit_note_take_back_multiplied_points(self):
        self.program.crm_campaign_ids = [
            Command.create(
                {
                    "name": "Double week",
                    "date_from": "2026-03-16",
                    "date_to": "2026-03-22",
                    "factor": 2,
                }
            )
        ]
        order = self._order(50.0)
        order.action_confirm()
        self.assertEqual(self._earned(order).points, 100)
        self.assertIn("Double week", self._earned(order).reason_display)
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self._card().points, 0)
        self.assertBalanced(self._card())

    def test_bad_settings_are_refused(self):
        with self.assertRaises(ValidationError):
            self.program.crm_birthday_factor = 0.5
        with self.assertRaises(ValidationError):
            self.program.crm_campaign_ids = [
                Command.create(
                    {
                        "name": "Backwards",
                        "date_from": "2026-03-22",
                        "date_to": "2026-03-16",
                        "factor": 2,
                    }
                )
            ]

    @freeze_time("2026-03-20")
    def test_cached_campaigns_and_tiers_follow_every_change(self):
        """Campaigns and tiers are cached per registry for the confirmation:
        a new campaign, a changed factor, a renamed or deleted one and a
        changed tier multiplier count from the next order on."""
        day = date(2026, 3, 20)
        program, partner = self.program, self.partner

        def factor():
            return program._crm_multiplier(partner, day, self.company)

        self.assertEqual(factor(), (1.0, []))
        campaign = self.env["crm.loyalty.campaign"].create(
            {
                "name": "Spring",
                "program_id": program.id,
                "date_from": "2026-03-16",
                "date_to": "2026-03-22",
                "factor": 2,
            }
        )
        self.assertEqual(factor(), (2.0, [("Spring", 2.0)]))
        campaign.factor = 3
        self.assertEqual(factor(), (3.0, [("Spring", 3.0)]))
        campaign.update_field_translations("name", {"en_US": "Spring days"})
        self.assertEqual(factor(), (3.0, [("Spring days", 3.0)]))
        campaign.unlink()
        self.assertEqual(factor(), (1.0, []))
        Tier = self.env["crm.loyalty.tier"]
        Tier.search([("company_id", "=", self.company.id)]).unlink()
        tier = Tier.create(
            {"name": "Gold", "threshold": 0, "retention_threshold": 0, "multiplier": 1}
        )
        partner.with_company(self.company).loyalty_tier_id = tier
        self.assertEqual(factor(), (1.0, []))
        tier.multiplier = 1.5
        self.assertEqual(factor(), (1.5, [("Gold", 1.5)]))
