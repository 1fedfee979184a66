from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyTour(HttpCase, LoyaltyLedgerCommon):
    def test_loyalty_tour(self):
        # Today is member day: the quotation earns twice the points.
        self.program.write(
            {
                "crm_member_day_kind": "weekday",
                # The user's today, as the preview sees it (not the server's:
                # they differ for an hour or more around midnight UTC).
                "crm_member_weekday": str(
                    fields.Date.context_today(self.program).weekday()
                ),
                "crm_birthday_factor": 1.0,
            }
        )
        member = self.env["res.partner"].create(
            {"name": "Tour Member", "is_company": True}
        )
        card = self._card_with(250, partner=member)
        if not self.env["crm.loyalty.tier"].search(
            [("company_id", "=", self.company.id)]
        ):
            self.env["crm.loyalty.tier"].create(
                {"name": "Bronze", "threshold": 0, "retention_threshold": 0}
            )
        self.env["crm.loyalty.tier"]._update_members(member)
        self.assertTrue(member.loyalty_tier_id)
        order = self._order(100.0, partner=member)
        order.user_id = self.env.ref("base.user_admin")  # "My Quotations"
        self.assertIn("member day", order.crm_loyalty_points_preview)
        self.start_tour(
            "/odoo/action-sale.action_quotations_with_onboarding",
            "crm_loyalty_tour",
            login="admin",
        )
        self.assertEqual(order.state, "sale")
        self.assertEqual(card.points, 450)
