from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import MEMBER_POINTS, ShopLedgerCommon

PREVIEW = "100 x 2 (member day) = 200 points"


@tagged("post_install", "-at_install")
class TestShopPages(HttpCase, ShopLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Today is member day, where the member is (UTC): a request reads the
        # day as the server does now, so no frozen clock here.
        today = fields.Date.context_today(cls.program.with_context(tz="UTC"))
        cls.program.write(
            {
                "crm_member_day_kind": "weekday",
                "crm_member_weekday": str(today.weekday()),
                "crm_birthday_factor": 1.0,
            }
        )

    def test_the_cart_shows_the_member_the_points_the_order_earns(self):
        self.authenticate(self.member.login, self.member.login)
        # Adding to the cart re-renders the order summary with the points.
        added = self.make_jsonrpc_request(
            "/shop/cart/update_json", {"product_id": self.product.id, "add_qty": 1}
        )
        self.assertIn(PREVIEW, added["website_sale.total"])
        page = self.url_open("/shop/cart")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_crm_loyalty_points_preview_row", page.text)
        self.assertIn("This order earns", page.text)
        self.assertIn(PREVIEW, page.text)
        # Two more in the cart: the summary follows the quantity.
        added = self.make_jsonrpc_request(
            "/shop/cart/update_json", {"product_id": self.product.id, "add_qty": 2}
        )
        self.assertIn("300 x 2 (member day) = 600 points", added["website_sale.total"])

    def test_an_anonymous_cart_shows_no_points(self):
        """A visitor who has not signed in earns nothing: the summary does
        not promise him points."""
        added = self.make_jsonrpc_request(
            "/shop/cart/update_json", {"product_id": self.product.id, "add_qty": 1}
        )
        self.assertIn("cart_total", added["website_sale.total"])
        self.assertNotIn(
            "o_crm_loyalty_points_preview_row", added["website_sale.total"]
        )
        self.assertNotIn("This order earns", self.url_open("/shop/cart").text)

    def test_a_member_exchanges_points_in_the_mall_and_uses_the_code(self):
        """Chromium: the member exchanges points for a coupon code in the
        portal's points mall, adds the product to the cart and enters the
        code; the cart shows the discount."""
        card = self._card_with(MEMBER_POINTS, partner=self.member.partner_id)
        coupons = self.env["loyalty.program"].create(
            {
                "name": "Mall coupon 20 off",
                "program_type": "coupons",
                "trigger": "with_code",
                "applies_on": "current",
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_order",
                            "discount": 20,
                            "discount_applicability": "order",
                            "required_points": 1,
                            "description": "20 off from the points mall",
                        }
                    )
                ],
            }
        )
        item = self.env["crm.loyalty.mall.item"].create(
            {
                "name": "20 off your next order",
                "program_id": self.program.id,
                "points_cost": 100,
                "reward_program_id": coupons.id,
                "validity_days": 30,
            }
        )
        self.start_tour(
            "/my/loyalty/mall",
            "crm_loyalty_website_sale_mall_tour",
            login=self.member.login,
        )
        self.env.invalidate_all()
        code = item.code_ids
        self.assertEqual(len(code), 1, "one code, however the page was used")
        self.assertEqual(code.partner_id, self.member.partner_id)
        redeemed = card.crm_entry_ids.filtered(lambda e: e.entry_type == "redeem")
        self.assertEqual(len(redeemed), 1)
        self.assertEqual(redeemed.points, -100.0)
        self.assertEqual(redeemed, code.crm_mall_entry_id)
        self.assertEqual(card.points, MEMBER_POINTS - 100.0)
        self.assertBalanced(card)
        order = self.env["sale.order"].search(
            [("partner_id", "=", self.member.partner_id.id), ("state", "=", "draft")]
        )
        self.assertEqual(order.website_id, self.website)
        reward_line = order.order_line.filtered("reward_id")
        self.assertEqual(reward_line.reward_id, coupons.reward_ids)
        self.assertEqual(reward_line.coupon_id, code)
        self.assertEqual(order.amount_total, 80.0)
