from odoo.tests import HttpCase, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyTour(HttpCase, LoyaltyLedgerCommon):
    def test_loyalty_tour(self):
        member = self.env["res.partner"].create(
            {"name": "Tour Member", "is_company": True}
        )
        card = self._card_with(250, partner=member)
        tier = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", self.company.id)], order="threshold", limit=1
        )
        if not tier:
            tier = self.env["crm.loyalty.tier"].create(
                {"name": "Bronze", "threshold": 0, "retention_threshold": 0}
            )
        self.env["crm.loyalty.tier"]._update_members(member)
        self.assertEqual(member.loyalty_tier_id, tier)
        self.assertTrue(card.crm_entry_ids)
        self.start_tour("/odoo", "crm_loyalty_tour", login="admin")
