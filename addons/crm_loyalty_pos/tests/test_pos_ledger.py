from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from odoo.addons.point_of_sale.tests.common import TestPoSCommon

WEDNESDAY = "2026-12-09 10:00:00"


@tagged("post_install", "-at_install")
@freeze_time(WEDNESDAY)
class TestPosLedger(TestPoSCommon):
    """Points at the till go through the ledger, sent as the till sends them:
    ``sync_from_ui`` then ``confirm_coupon_programs`` with the net change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.config = cls.basic_config
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.product = cls.create_product("Counter product", cls.categ_basic, 100)
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Counter points",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "company_id": cls.company.id,
                "pos_ok": True,
                "crm_member_day_kind": "weekday",
                "crm_member_weekday": "2",  # Wednesday: member day, x 2
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_order",
                            "discount": 5,
                            "discount_applicability": "order",
                            "required_points": 50,
                        }
                    )
                ],
            }
        )
        cls.reward = cls.program.reward_ids
        cls.member = cls.env["res.partner"].create({"name": "Counter member"})
        cls.Entry = cls.env["crm.loyalty.entry"]

    def setUp(self):
        super().setUp()
        self.open_new_session()

    def _card(self, points=0.0):
        return self.env["loyalty.card"].create(
            {
                "program_id": self.program.id,
                "partner_id": self.member.id,
                "points": points,
            }
        )

    def _sell(self, qty=1, lines=(), refunds=None):
        data = self.create_ui_order_data(
            [(self.product, qty), *lines], customer=self.member
        )
        for number, (_command, _id, line) in enumerate(data["lines"], 1):
            line["name"] = f"{data['name']}-{number}"
        if refunds:
            data["lines"][0][2]["refunded_orderline_id"] = refunds.lines[0].id
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def _confirm(self, order, key, points, **extra):
        return order.confirm_coupon_programs(
            {
                str(key): {
                    "points": points,
                    "program_id": self.program.id,
                    "coupon_id": key,
                    "barcode": "",
                    "partner_id": self.member.id,
                    **extra,
                }
            }
        )

    def _entries(self, order):
        return self.Entry.search(
            [("source_model", "=", "pos.order"), ("source_id", "=", order.id)]
        )

    def test_a_sale_earns_a_typed_entry_with_the_member_day(self):
        card = self._card()
        order = self._sell()
        answer = self._confirm(order, card.id, 100.0)
        entry = self._entries(order)
        self.assertEqual(entry.entry_type, "earn")
        self.assertEqual(entry.card_id, card)
        self.assertEqual(entry.points, 200.0, "100 x 2 on member day")
        self.assertIn("member day", entry.reason_display)
        self.assertIn(order.name, entry.reason_display)
        self.assertEqual(card.points, 200.0)
        self.assertEqual(answer["coupon_updates"][0]["points"], 200.0)
        self.assertEqual(entry.lot_id.remaining, 200.0, "a lot with its expiry")
        self.assertFalse(
            card.crm_entry_ids.filtered(lambda e: e.entry_type == "adjust"),
            "never an anonymous adjustment",
        )

    def test_a_repeated_confirmation_is_answered_and_earns_once(self):
        card = self._card()
        order = self._sell()
        first = self._confirm(order, card.id, 100.0)
        again = self._confirm(order, card.id, 100.0)
        self.assertEqual(len(self._entries(order)), 1)
        self.assertEqual(card.points, 200.0)
        self.assertEqual(
            again["coupon_updates"][0]["points"], first["coupon_updates"][0]["points"]
        )
        # Synced again (offline mode): the same order, nothing posted.
        self.assertEqual(order.crm_loyalty_confirmed, True)

    def test_a_new_member_card_made_by_the_till(self):
        order = self._sell()
        answer = self._confirm(order, -1, 100.0)
        [update] = answer["coupon_updates"]
        self.assertEqual(update["old_id"], -1)
        card = self.env["loyalty.card"].browse(update["id"])
        self.assertEqual(card.partner_id, self.member)
        self.assertEqual(card.points, 200.0)
        again = self._confirm(order, -1, 100.0)
        self.assertEqual(again["coupon_updates"][0]["id"], card.id)
        self.assertEqual(
            self.env["loyalty.card"].search_count(
                [("program_id", "=", self.program.id)]
            ),
            1,
            "no second card",
        )

    def test_a_new_card_key_for_a_member_who_has_a_card(self):
        """A till that did not know the member's card (offline, another
        till) sends a new card's key: pos_loyalty adds the points to the
        card he has, and the ledger posts them there."""
        card = self._card(100.0)
        order = self._sell()
        answer = self._confirm(order, -1, 60.0)
        entry = self._entries(order)
        self.assertEqual(entry.card_id, card)
        self.assertEqual(entry.points, 120.0, "60 x 2 on member day")
        self.assertEqual(card.points, 220.0)
        self.assertEqual(answer["coupon_updates"][0]["points"], 220.0)
        # Confirmed again (a retry): answered, nothing posted twice.
        self._confirm(order, -1, 60.0)
        self.assertEqual(card.points, 220.0)

    def test_a_reward_at_the_till_redeems_before_earning(self):
        card = self._card(150.0)
        reward_line = {
            "product": self.reward.discount_line_product_id,
            "quantity": 1,
            "reward_id": self.reward.id,
            "coupon_id": card.id,
            "points_cost": 50.0,
            "is_reward_line": True,
            "reward_identifier_code": "counter-reward",
        }
        order = self._sell(lines=[reward_line])
        self._confirm(order, card.id, 100.0 - 50.0, line_codes=["counter-reward"])
        entries = self._entries(order)
        self.assertEqual(
            sorted(entries.mapped(lambda e: (e.entry_type, e.points))),
            [("earn", 200.0), ("redeem", -50.0)],
        )
        self.assertEqual(card.points, 150.0 - 50.0 + 200.0)

    def test_a_refund_at_the_till_takes_back_its_share(self):
        card = self._card()
        order = self._sell(qty=2)
        self._confirm(order, card.id, 100.0)
        self.assertEqual(card.points, 200.0)
        refund = self._sell(qty=-1, refunds=order)
        reversal = self._entries(refund)
        self.assertEqual(reversal.entry_type, "reversal")
        self.assertEqual(reversal.points, -100.0, "half the order returned")
        self.assertIn(refund.name, reversal.reason_display)
        self.assertEqual(card.points, 100.0)

    def test_a_cashier_earns_for_the_member(self):
        cashier = new_test_user(
            self.env,
            login="crm_loyalty_cashier",
            groups="base.group_user,point_of_sale.group_pos_user,stock.group_stock_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        card = self._card()
        self.env = self.env(user=cashier)
        order = self._sell()
        self._confirm(order, card.id, 100.0)
        self.assertEqual(card.points, 200.0)

    def test_the_till_loads_the_tier_pricelists(self):
        """Selecting a member at the till applies his tier's pricelist: the
        till loads it, and the member's pricelist is his tier's."""
        prices = self.env["product.pricelist"].create(
            {"name": "Gold 9折", "currency_id": self.config.currency_id.id}
        )
        gold = self.env["crm.loyalty.tier"].create(
            {
                "name": "Counter Gold",
                "company_id": self.company.id,
                "threshold": 0,
                "retention_threshold": 0,
                "pricelist_id": prices.id,
            }
        )
        self.assertNotIn(prices, self.config.available_pricelist_ids)
        self.assertIn(prices, self.config._get_available_pricelists())
        self.env["crm.loyalty.tier"]._update_members(self.member)
        self.assertEqual(self.member.with_company(self.company).loyalty_tier_id, gold)
        loaded = self.pos_session.load_data(["pos.config", "product.pricelist"])
        ids = [row["id"] for row in loaded["product.pricelist"]["data"]]
        self.assertIn(prices.id, ids)

    def test_the_till_knows_the_member(self):
        """What the till shows on selecting a member: tier and stars, balance,
        and today's multipliers of each ledger program, as the ledger will
        apply them; the tiers and each customer's tier travel with the
        session's data."""
        gold = self.env["crm.loyalty.tier"].create(
            {
                "name": "Counter Gold",
                "stars": "3",
                "company_id": self.company.id,
                "threshold": 0,
                "retention_threshold": 0,
            }
        )
        self.env["crm.loyalty.tier"]._update_members(self.member)
        self._card(150.0)
        cashier = new_test_user(
            self.env,
            login="till_member_cashier",
            groups="base.group_user,point_of_sale.group_pos_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        info = self.config.with_user(cashier).crm_loyalty_member_info(self.member.id)
        self.assertEqual(info["tier"], {"name": "Counter Gold", "stars": 3})
        self.assertEqual(info["balance"], 150.0)
        rule = info["programs"][str(self.program.id)]
        self.assertEqual(rule["factor"], 2.0)
        self.assertEqual(rule["factors"], [{"value": 2.0, "label": "member day"}])
        # Points earned today last a year: they do not expire within 30 days
        # (the till adds them to the receipt's expiring points only if so).
        self.assertFalse(rule["expires_within_30"])
        # Points that lapse at the year's end, earned on 9 December, do.
        self.program.crm_expiry_policy = "year_end"
        info = self.config.with_user(cashier).crm_loyalty_member_info(self.member.id)
        self.assertTrue(info["programs"][str(self.program.id)]["expires_within_30"])
        self.program.crm_expiry_policy = "months"
        # Whoever may not use the till may not read members through it.
        salesman = new_test_user(
            self.env,
            login="till_member_salesman",
            groups="base.group_user,sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        with self.assertRaises(AccessError):
            self.config.with_user(salesman).crm_loyalty_member_info(self.member.id)
        # A customer without card or tier: nothing to show, nothing multiplied.
        stranger = self.env["res.partner"].create({"name": "Walk-in"})
        info = self.config.with_user(cashier).crm_loyalty_member_info(stranger.id)
        self.assertFalse(info["tier"])
        self.assertEqual(info["balance"], 0.0)
        self.assertEqual(info["expiring_30"], 0.0)
        loaded = self.pos_session.load_data(["pos.config", "crm.loyalty.tier"])
        tiers = loaded["crm.loyalty.tier"]["data"]
        self.assertIn(gold.id, [row["id"] for row in tiers])
        self.assertIn(
            "loyalty_tier_id",
            self.env["res.partner"]._load_pos_data_fields(self.config.id),
        )
