from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyTour(HttpCase, LoyaltyLedgerCommon):
    def test_loyalty_tour(self):
        self.env.ref("crm_loyalty.decimal_loyalty_points").digits = 0
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
        # The tour writes the quotation itself: the points show before any
        # reward is applied or the order confirmed.
        self.start_tour(
            "/odoo/action-sale.action_quotations_with_onboarding",
            "crm_loyalty_tour",
            login="admin",
        )
        order = self.env["sale.order"].search([("partner_id", "=", member.id)])
        self.assertEqual(order.state, "sale")
        self.assertEqual(card.points, 450)
