from odoo.tests import HttpCase, new_test_user, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyPortal(HttpCase, LoyaltyLedgerCommon):
    def test_portal_user_sees_own_points_only(self):
        owner = new_test_user(self.env, "loyal_portal", groups="base.group_portal")
        other = new_test_user(self.env, "other_portal", groups="base.group_portal")
        card = self._card_with(321, partner=owner.partner_id)
        card._crm_post_adjustment(-21, "Birthday gift shop")
        self.assertEqual(
            self.env["crm.loyalty.entry"].with_user(owner).search([]),
            card.crm_entry_ids,
        )
        self.assertFalse(self.env["crm.loyalty.entry"].with_user(other).search([]))

        tier = self.env["crm.loyalty.tier"].search(
            [("company_id", "=", self.company.id)], order="threshold", limit=1
        ) or self.env["crm.loyalty.tier"].create(
            {"name": "Bronze", "threshold": 0, "retention_threshold": 0}
        )
        self.env["crm.loyalty.tier"]._update_members(owner.partner_id)
        self.assertEqual(owner.partner_id.loyalty_tier_id, tier)

        self.authenticate("loyal_portal", "loyal_portal")
        page = self.url_open("/my/loyalty")
        self.assertEqual(page.status_code, 200)
        self.assertIn("300", page.text)
        self.assertIn(tier.name, page.text)
        self.assertIn("Birthday gift shop", page.text)
        home = self.url_open("/my/home")
        self.assertIn("/my/loyalty", home.text)

        self.authenticate("other_portal", "other_portal")
        page = self.url_open("/my/loyalty")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("Birthday gift shop", page.text)
        self.assertIn("no loyalty card", page.text)

    def test_portal_tour(self):
        owner = new_test_user(self.env, "tour_portal", groups="base.group_portal")
        card = self._card_with(321, partner=owner.partner_id)
        card._crm_post_adjustment(-21, "Birthday gift shop")
        self.start_tour("/my/home", "crm_loyalty_portal_tour", login="tour_portal")
