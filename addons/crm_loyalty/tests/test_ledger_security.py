from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestLedgerSecurity(LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.card = cls._card_with(50)
        cls.salesman = new_test_user(
            cls.env, "ledger_sec_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.portal = new_test_user(
            cls.env, "ledger_sec_portal", groups="base.group_portal"
        )
        cls.company_b = cls.env["res.company"].create({"name": "Ledger Co B"})
        cls.user_b = new_test_user(
            cls.env,
            "ledger_sec_b",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )

    def test_loyalty_manager_group_adjusts_without_being_sales_admin(self):
        manager = new_test_user(
            self.env,
            "ledger_loyalty_manager",
            groups="sales_team.group_sale_salesman,crm_loyalty.group_loyalty_manager",
        )
        self.assertFalse(manager.has_group("sales_team.group_sale_manager"))
        wizard = (
            self.env["crm.loyalty.adjust.wizard"]
            .with_user(manager)
            .create({"card_id": self.card.id, "points": 5, "reason": "Goodwill"})
        )
        wizard.action_adjust()
        self.assertEqual(self.card.points, 55)
        admin = new_test_user(
            self.env, "ledger_sales_admin", groups="sales_team.group_sale_manager"
        )
        self.assertTrue(admin.has_group("crm_loyalty.group_loyalty_manager"))

    def test_salesman_reads_but_cannot_write(self):
        entries = self.Entry.with_user(self.salesman).search(
            [("card_id", "=", self.card.id)]
        )
        self.assertEqual(len(entries), 1)
        with self.assertRaises(UserError):
            entries.write({"points": 1})
        with self.assertRaises(UserError):
            entries.unlink()
        with self.assertRaises(UserError):
            self.Entry.with_user(self.salesman).create(
                {
                    "entry_type": "bonus",
                    "points": 5,
                    "card_id": self.card.id,
                    "program_id": self.program.id,
                    "source_key": "forged",
                }
            )
        with self.assertRaises(AccessError):
            self.env["crm.loyalty.adjust.wizard"].with_user(self.salesman).create(
                {"card_id": self.card.id, "points": 5, "reason": "no"}
            )

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_portal_and_other_company_see_nothing(self):
        for model in ("crm.loyalty.entry", "crm.loyalty.lot"):
            self.assertFalse(self.env[model].with_user(self.portal).search([]), model)
        with self.assertRaises(AccessError):
            self.env["crm.loyalty.allocation"].with_user(self.portal).search([])
        with self.assertRaises(AccessError):
            self.card.crm_entry_ids.with_user(self.portal).read(["points"])
        env_b = self.env(
            user=self.user_b, context={"allowed_company_ids": self.company_b.ids}
        )
        self.assertFalse(
            env_b["crm.loyalty.entry"].search([("card_id", "=", self.card.id)])
        )
        with self.assertRaises(AccessError):
            self.card.crm_entry_ids.with_env(env_b).read(["points"])

    def test_reward_line_on_a_confirmed_order_by_a_salesman(self):
        """sale_loyalty moves the card when a reward line of a confirmed
        order changes, as the salesperson editing it: that still works, as
        adjustments; writing the balance by hand does not."""
        order = self._order()
        order.user_id = self.salesman
        order.action_confirm()
        card = self.card
        before = card.points
        Line = self.env["sale.order.line"].with_user(self.salesman)
        line = Line.create(
            {
                "order_id": order.id,
                "product_id": self.reward.discount_line_product_id.id,
                "reward_id": self.reward.id,
                "coupon_id": card.id,
                "name": "10% on the order",
                "points_cost": 50,
                "price_unit": -10,
                "tax_id": [Command.clear()],
            }
        )
        card.invalidate_recordset(["points"])
        self.assertEqual(card.points, before - 50)
        line.write({"points_cost": 20})
        card.invalidate_recordset(["points"])
        self.assertEqual(card.points, before - 20)
        self.assertBalanced(card)
        with self.assertRaises(AccessError):
            card.with_user(self.salesman).write({"points": before + 500})
        card.invalidate_recordset(["points"])
        self.assertEqual(card.points, before - 20)
