import re
from datetime import date

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from .common import LoyaltyLedgerCommon


class MallCommon(LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.coupons = cls.env["loyalty.program"].create(
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
                        }
                    )
                ],
            }
        )
        cls.item = cls.env["crm.loyalty.mall.item"].create(
            {
                "name": "20 off your next order",
                "program_id": cls.program.id,
                "points_cost": 100,
                "reward_program_id": cls.coupons.id,
                "validity_days": 30,
                "stock_limit": 2,
                "stock_period": "month",
            }
        )


@tagged("post_install", "-at_install")
class TestPointsMall(MallCommon):
    def test_exchange_spends_points_once_and_gives_a_usable_code(self):
        card = self._card_with(250)
        with freeze_time("2026-05-10"):
            code = self.item._exchange(self.partner, "req-1")
            again = self.item._exchange(self.partner, "req-1")
            # Usable on a quotation like any coupon code.
            order = self._order(200.0)
            self.assertNotIn("error", order._try_apply_code(code.code))
        self.assertEqual(again, code, "a double click gets the same code")
        self.assertEqual(code.program_id, self.coupons)
        self.assertEqual(code.partner_id, self.partner)
        self.assertEqual(code.points, 1.0)
        self.assertEqual(code.expiration_date, date(2026, 6, 9))
        entry = code.crm_mall_entry_id
        self.assertEqual(entry.entry_type, "redeem")
        self.assertEqual(entry.points, -100.0)
        self.assertEqual(entry.card_id, card)
        self.assertIn("Points mall: 20 off your next order", entry.reason_display)
        self.assertEqual(card.points, 150.0)
        self.assertBalanced(card)

    def test_a_balance_too_small_is_refused_and_nothing_is_written(self):
        card = self._card_with(60)
        with self.assertRaisesRegex(UserError, "costs 100 Points; your balance is 60"):
            self.item._exchange(self.partner, "req-1")
        self.assertEqual(card.points, 60.0)
        self.assertFalse(self.item.code_ids)
        self.assertEqual(self.item.exchange_count, 0)

    def test_stock_per_period(self):
        self._card_with(1000)
        with freeze_time("2026-05-10"):
            self.item._exchange(self.partner, "a")
            self.item._exchange(self.partner, "b")
            with self.assertRaisesRegex(UserError, "out of stock"):
                self.item._exchange(self.partner, "c")
            self.assertEqual(self.item._stock_left(), 0)
        with freeze_time("2026-06-01"):
            self.assertEqual(self.item._stock_left(), 2)
            self.item._exchange(self.partner, "c")

    def test_archived_rewards_are_not_exchanged(self):
        self._card_with(1000)
        self.item.active = False
        with self.assertRaisesRegex(UserError, "no longer offered"):
            self.item._exchange(self.partner, "a")

    def test_bad_numbers_are_refused(self):
        with self.assertRaises(ValidationError):
            self.item.points_cost = 0
        with self.assertRaises(ValidationError):
            self.item.stock_limit = -1
        with self.assertRaisesRegex(ValidationError, "coupon or gift card"):
            self.item.reward_program_id = self.program
        with self.assertRaisesRegex(ValidationError, "points ledger"):
            self.item.program_id = self.coupons


@tagged("post_install", "-at_install")
class TestPointsMallPortal(HttpCase, MallCommon):
    def _member(self, login, points):
        user = new_test_user(self.env, login, groups="base.group_portal")
        card = self._card_with(points, partner=user.partner_id)
        return user, card

    def _form(self, page):
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        key = re.search(r'name="request_key" value="([^"]+)"', page).group(1)
        return {"csrf_token": token, "request_key": key, "item_id": self.item.id}

    def test_a_member_exchanges_points_for_a_code(self):
        user, card = self._member("mall_member", 250)
        self.authenticate(user.login, user.login)
        page = self.url_open("/my/loyalty/mall").text
        self.assertIn("20 off your next order", page)
        self.assertIn("o_loyalty_mall_exchange", page)
        form = self._form(page)
        done = self.url_open("/my/loyalty/mall/exchange", data=form).text
        self.env.invalidate_all()
        code = self.item.code_ids
        self.assertEqual(len(code), 1)
        self.assertIn(code.code, done)
        self.assertIn("crm_loyalty_mall_new_code", done)
        # The same form sent again (a double click): the same code.
        self.url_open("/my/loyalty/mall/exchange", data=form)
        self.assertEqual(
            self.env["loyalty.card"].search_count(
                [("crm_mall_item_id", "=", self.item.id)]
            ),
            1,
        )
        self.env.invalidate_all()
        self.assertEqual(card.points, 150.0)
        # Listed in "My codes".
        self.assertIn(code.code, self.url_open("/my/loyalty/mall").text)

    def test_what_the_balance_cannot_pay_is_refused_in_words(self):
        user, card = self._member("mall_poor", 40)
        self.authenticate(user.login, user.login)
        page = self.url_open("/my/loyalty/mall").text
        self.assertIn("60 points more needed", page)
        self.assertNotIn("o_loyalty_mall_exchange", page)
        refused = self.url_open("/my/loyalty/mall/exchange", data=self._form(page))
        self.assertIn("your balance is 40", refused.text)
        self.env.invalidate_all()
        self.assertFalse(self.item.code_ids)
        self.assertEqual(card.points, 40.0)

    def test_another_members_reward_is_not_offered(self):
        other_program = self.program.copy({"name": "Other shop points"})
        self.item.program_id = other_program
        user, _card = self._member("mall_stranger", 500)
        self.authenticate(user.login, user.login)
        page = self.url_open("/my/loyalty/mall").text
        self.assertNotIn("20 off your next order", page)
        token = re.search(r'csrf_token: "([^"]+)"', page).group(1)
        data = {
            "csrf_token": token,
            "request_key": "forged",
            "item_id": self.item.id,
        }
        refused = self.url_open("/my/loyalty/mall/exchange", data=data)
        self.assertIn("not offered to you", refused.text)
        self.env.invalidate_all()
        self.assertFalse(self.item.code_ids)
