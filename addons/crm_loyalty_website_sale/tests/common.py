from contextlib import contextmanager

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.crm_loyalty.tests.common import LoyaltyLedgerCommon
from odoo.addons.website.tools import MockRequest
from odoo.addons.website_sale_loyalty.controllers.main import WebsiteSale

MEMBER_POINTS = 250


class ShopLedgerCommon(LoyaltyLedgerCommon):
    """A portal member buying the ledger product in the web shop.

    The ledger program, its reward (10 off for 50 points) and the product
    (100, no taxes) are crm_loyalty's own test fixtures, so that the shop is
    checked against the very behaviour the quotation tests pin down.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The routes are called as functions: their @route() arguments are
        # merged when the routing map is built, as on a server's first request.
        cls.env["ir.http"].routing_map()
        cls.website = cls.env.ref("website.default_website")
        # A database without demo data: the shop prices with the company's
        # default pricelist and the tiers' ones, not demo ones (Benelux gives
        # 10% off to any visitor whose country is unknown).
        Pricelist = cls.env["product.pricelist"]
        Pricelist.search(
            [
                *Pricelist._get_website_pricelists_domain(cls.website),
                (
                    "id",
                    "not in",
                    cls.env["crm.loyalty.tier"].search([]).pricelist_id.ids,
                ),
            ]
        ).write({"active": False})
        cls.product.product_tmpl_id.is_published = True
        cls.member = new_test_user(
            cls.env,
            "shop_member",
            groups="base.group_portal",
            name="Shop Member",
            tz="UTC",
        )
        cls.shop = WebsiteSale()

    @contextmanager
    def _as_member(self, user=None, order=None):
        """A request of the member on the shop, as the routes see it: the
        website and the environment are the member's, the order is the one
        website_sale finds for him (``website.sale_get_order``)."""
        env = self.env(user=user or self.member)
        website = self.website.with_env(env)
        with MockRequest(
            env, website=website, sale_order_id=order.id if order else None
        ):
            yield website

    def _shop_cart(self, quantity=1, user=None):
        """Fill the member's cart through the shop's routes, then open it (the
        cart route updates the loyalty programs as website_sale_loyalty does)."""
        user = user or self.member
        with self._as_member(user) as website:
            self.shop.cart_update_json(self.product.id, add_qty=quantity)
            self.shop.cart()
            order = website.sale_get_order()
        self.assertTrue(order, "the shop made a cart")
        self.assertEqual(order.website_id, self.website)
        self.assertEqual(order.partner_id, user.partner_id)
        return order.with_env(self.env)

    def _pay(self, order):
        """Pay the cart as the payment flow does: the order's transaction is
        done, then sale's post-processing confirms the order whose amount is
        paid (``_check_amount_and_confirm_order``: ``action_confirm`` with
        ``send_email``). The accounting half of the post-processing (the
        account.payment) needs a provider journal and has no bearing on
        points, so it is left out.
        """
        method = self.env.ref("payment.payment_method_unknown")
        provider = self.env["payment.provider"].create(
            {
                "name": "Shop test provider",
                "code": "none",
                "state": "test",
                "is_published": True,
                "payment_method_ids": [Command.set(method.ids)],
            }
        )
        method.active = True
        transaction = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": provider.id,
                    "payment_method_id": method.id,
                    "reference": f"{order.name}-shop",
                    "amount": order.amount_total,
                    "currency_id": order.currency_id.id,
                    "partner_id": order.partner_id.id,
                    "operation": "online_redirect",
                    "sale_order_ids": [Command.set(order.ids)],
                }
            )
        )
        transaction._set_done()
        self.assertEqual(transaction._check_amount_and_confirm_order(), order)
        self.assertEqual(order.state, "sale", "the payment confirmed the order")
        return transaction

    def _order_entries(self, order):
        return self.Entry.search(
            [("source_model", "=", "sale.order"), ("source_id", "=", order.id)],
            order="id",
        )
