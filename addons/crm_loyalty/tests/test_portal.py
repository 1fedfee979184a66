import re

from odoo.tests import HttpCase, new_test_user, tagged

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLoyaltyPortal(HttpCase, LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("crm_loyalty.decimal_loyalty_points").digits = 0
        Tier = cls.env["crm.loyalty.tier"]
        Tier.search([("company_id", "=", cls.company.id)]).unlink()
        cls.bronze, cls.silver, cls.gold = Tier.create(
            [
                {"name": "Bronze", "threshold": 0, "retention_threshold": 0},
                {
                    "name": "Silver",
                    "stars": "2",
                    "threshold": 1000,
                    "retention_threshold": 800,
                },
                {
                    "name": "Gold",
                    "stars": "3",
                    "threshold": 3000,
                    "retention_threshold": 2500,
                },
            ]
        )
        cls.env.company.loyalty_tier_basis = "earned"

    def _member(self, login):
        owner = new_test_user(self.env, login, groups="base.group_portal")
        card = self._card_with(321, partner=owner.partner_id)
        card._crm_post_adjustment(-21, "Birthday gift shop")
        self.Entry._post(card, "earn", 1799.5, f"test:portal:{login}")
        self.env["crm.loyalty.tier"]._update_members(owner.partner_id)
        return owner, card

    def test_portal_user_sees_own_points_only(self):
        owner, card = self._member("loyal_portal")
        other = new_test_user(self.env, "other_portal", groups="base.group_portal")
        self.assertEqual(
            self.env["crm.loyalty.entry"].with_user(owner).search([]),
            card.crm_entry_ids,
        )
        self.assertFalse(self.env["crm.loyalty.entry"].with_user(other).search([]))
        self.assertEqual(owner.partner_id.loyalty_tier_id, self.silver)

        self.authenticate("loyal_portal", "loyal_portal")
        page = self.url_open("/my/loyalty")
        self.assertEqual(page.status_code, 200)
        html = page.text
        # Title and breadcrumb, as Odoo's portal pages.
        self.assertIn("<title>Loyalty points</title>", html)
        self.assertRegex(
            html,
            r'<li class="breadcrumb-item active" id="portal_breadcrumbs_loyalty">\s*'
            r"Loyalty points\s*</li>",
        )
        self.assertIn('href="/my/home"', html)
        # 300 + 1,799 points, written the one way of the suite.
        self.assertIn("2,099 Points", html)
        self.assertIn("+1,799", html)
        self.assertNotRegex(html, r"2,?099\.\d\d|1,?799\.\d\d")
        # Tier and progress towards the next one: 1,799 earned, Gold at 3,000.
        self.assertIn("Silver", html)
        self.assertIn("1,201 more points to Gold", html)
        self.assertRegex(html, r'aria-valuenow="\d+"')
        progress = re.search(r'aria-valuenow="(\d+)"', html)
        self.assertEqual(int(progress.group(1)), 39)  # (1,799 - 1,000) / 2,000
        self.assertIn("Birthday gift shop", html)
        home = self.url_open("/my/home").text
        self.assertIn("/my/loyalty", home)
        self.assertIn("/loyalty/static/src/img/loyalty.svg", home)

        self.authenticate("other_portal", "other_portal")
        page = self.url_open("/my/loyalty")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("Birthday gift shop", page.text)
        self.assertNotIn("2,099", page.text)
        self.assertNotIn("more points to", page.text)
        self.assertIn("no loyalty card", page.text)

    def test_portal_tour(self):
        self._member("tour_portal")
        self.start_tour("/my/home", "crm_loyalty_portal_tour", login="tour_portal")
