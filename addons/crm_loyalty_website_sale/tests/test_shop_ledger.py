from odoo import Command
from odoo.tests import freeze_time, new_test_user, tagged

from .common import MEMBER_POINTS, ShopLedgerCommon

# A Wednesday: the member day of the ledger program below.
WEDNESDAY = "2026-03-18 10:00:00"


@tagged("post_install", "-at_install")
class TestShopLedger(ShopLedgerCommon):
    """Web-shop orders are sale orders: what crm_loyalty does on a quotation
    (typed entries, multipliers, tier pricelists, the points preview) must
    hold when the order is made by the shop's routes and confirmed by a
    payment, not only when a salesman confirms it."""

    @freeze_time(WEDNESDAY)
    def test_a_shop_order_earns_typed_multiplied_points(self):
        self.program.write(
            {"crm_member_day_kind": "weekday", "crm_member_weekday": "2"}
        )
        order = self._shop_cart()
        self.assertEqual(order.amount_total, 100.0)
        # What the cart shows the member before paying.
        self.assertEqual(
            order.crm_loyalty_points_preview, "100 x 2 (member day) = 200 points"
        )
        self._pay(order)
        entry = self._order_entries(order)
        self.assertEqual(len(entry), 1, "one entry for the order, posted once")
        self.assertEqual(entry.entry_type, "earn", "earned points, not an adjustment")
        self.assertEqual(entry.points, 200.0)
        self.assertIn("(member day)", entry.reason_display)
        card = entry.card_id
        self.assertEqual(card.partner_id, self.member.partner_id)
        self.assertEqual(card.program_id, self.program)
        self.assertFalse(
            card.crm_entry_ids.filtered(lambda e: e.entry_type == "adjust"),
            "sale_loyalty's own point move is not booked as an adjustment",
        )
        self.assertEqual(card.points, 200.0)
        self.assertBalanced(card)
        # The confirmed order shows the points it booked.
        order.invalidate_recordset(["crm_loyalty_points_preview"])
        self.assertEqual(
            order.crm_loyalty_points_preview, "100 x 2 (member day) = 200 points"
        )

    @freeze_time("2026-03-19 10:00:00")
    def test_no_multiplier_on_another_day(self):
        """The same shop order a day later earns the plain points: the
        doubling above is the member day's."""
        self.program.write(
            {"crm_member_day_kind": "weekday", "crm_member_weekday": "2"}
        )
        order = self._shop_cart()
        self.assertEqual(order.crm_loyalty_points_preview, "100 points")
        self._pay(order)
        self.assertEqual(self._order_entries(order).points, 100.0)

    def test_a_reward_claimed_in_the_cart_is_redeemed_from_the_ledger(self):
        card = self._card_with(MEMBER_POINTS, partner=self.member.partner_id)
        cart = self._shop_cart()
        # The cart offers the reward the balance can pay; the member claims
        # it as the cart's "Claim" button does (/shop/claimreward).
        with self._as_member(order=cart) as website:
            order = website.sale_get_order()
            claimable = order._get_claimable_and_showable_rewards()
            self.assertIn(self.reward, claimable.get(card, self.reward.browse()))
            self.shop.claim_reward(str(self.reward.id))
            order = website.sale_get_order().with_env(self.env)
        reward_line = order.order_line.filtered("reward_id")
        self.assertEqual(reward_line.reward_id, self.reward)
        self.assertEqual(reward_line.coupon_id, card)
        self.assertEqual(order.amount_total, 90.0)
        self._pay(order)
        entries = self._order_entries(order)
        self.assertEqual(entries.mapped("entry_type"), ["redeem", "earn"])
        redeem, earn = entries
        self.assertEqual(redeem.card_id, card)
        self.assertEqual(redeem.points, -self.reward.required_points)
        self.assertEqual(card.points, MEMBER_POINTS - 50.0 + earn.points)
        self.assertBalanced(card)

    def test_a_tier_pricelist_and_multiplier_apply_in_the_shop(self):
        Tier = self.env["crm.loyalty.tier"]
        # One tier, Gold, 10% off; the pricelists of the tiers it replaces
        # go with them.
        tiers = Tier.search([("company_id", "=", self.company.id)])
        old_prices = tiers.pricelist_id
        tiers.unlink()
        old_prices.write({"active": False})
        gold_prices = self.env["product.pricelist"].create(
            {
                "name": "Gold member prices",
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10,
                        }
                    )
                ],
            }
        )
        Tier.create(
            {
                "name": "Gold",
                "threshold": 0,
                "retention_threshold": 0,
                "multiplier": 2,
                "pricelist_id": gold_prices.id,
            }
        )
        Tier._update_members(self.member.partner_id)
        self.assertEqual(self.member.partner_id.property_product_pricelist, gold_prices)
        with self._as_member() as website:
            self.assertEqual(website.pricelist_id, gold_prices)
        order = self._shop_cart()
        self.assertEqual(order.pricelist_id, gold_prices)
        self.assertEqual(order.amount_total, 90.0, "the Gold price, 10% off")
        self.assertEqual(order.crm_loyalty_points_preview, "90 x 2 (Gold) = 180 points")
        self._pay(order)
        self.assertEqual(self._order_entries(order).points, 180.0)
        # A customer outside the tier keeps the shop's prices, and cannot
        # pick the member prices himself (/shop/change_pricelist).
        other = new_test_user(
            self.env, "shop_stranger", groups="base.group_portal", tz="UTC"
        )
        with self._as_member(other) as website:
            self.assertFalse(website.is_pricelist_available(gold_prices.id))
            self.assertNotIn(gold_prices, website.get_pricelist_available())
        order = self._shop_cart(user=other)
        self.assertNotEqual(order.pricelist_id, gold_prices)
        self.assertEqual(order.amount_total, 100.0)

    def test_tier_pricelists_are_not_everyones_shop_prices(self):
        """The tier pricelists crm_loyalty ships are website pricelists (the
        website's default applies when they are created): a customer without
        a tier must not get the first of them in the shop, nor be able to
        choose one."""
        member_prices = (
            self.env["crm.loyalty.tier"]
            .search([("company_id", "=", self.company.id)])
            .pricelist_id
        )
        self.assertTrue(member_prices, "crm_loyalty's tiers have pricelists")
        with self._as_member() as website:
            self.assertFalse(website.pricelist_ids & member_prices)
            self.assertNotIn(website.pricelist_id, member_prices)
            for pricelist in member_prices:
                self.assertFalse(website.is_pricelist_available(pricelist.id))
        order = self._shop_cart()
        self.assertNotIn(order.pricelist_id, member_prices)
        self.assertEqual(order.amount_total, 100.0)
