from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import LoyaltyLedgerCommon


@tagged("post_install", "-at_install")
class TestSudoGuard(LoyaltyLedgerCommon):
    """Every sudo() of crm_loyalty serves a public entry point that checks
    its caller first (docs/SECURITY.md): a caller without the right gets an
    error and the ledger does not move."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(
            cls.env, "guard_ly_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.owner = new_test_user(
            cls.env, "guard_ly_owner", groups="sales_team.group_sale_salesman"
        )
        cls.manager = new_test_user(
            cls.env,
            "guard_ly_manager",
            groups="sales_team.group_sale_salesman,crm_loyalty.group_loyalty_manager",
        )
        cls.portal = new_test_user(
            cls.env, "guard_ly_portal", groups="base.group_portal"
        )
        cls.company_b = cls.env["res.company"].create({"name": "Guard Loyalty Co B"})
        cls.manager_b = new_test_user(
            cls.env,
            "guard_ly_manager_b",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.partner.user_id = cls.owner
        cls.card = cls._card_with(100)
        cls.share = cls.program.crm_behaviour_ids.filtered(lambda b: b.code == "share")

    def _ledger(self, card=None):
        card = card or self.card
        card.invalidate_recordset(["points"])
        return card.points, len(card.crm_entry_ids)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_adjustments_need_a_loyalty_manager(self):
        """crm_loyalty_entry._post: the adjustment wizards and card creation."""
        before = self._ledger()
        wizard = (
            self.env["crm.loyalty.adjust.wizard"]
            .with_user(self.manager)
            .create({"card_id": self.card.id, "points": 50, "reason": "Goodwill"})
        )
        for user in (self.salesman, self.portal, self.manager_b):
            with self.assertRaises(UserError):
                wizard.with_user(user).action_adjust()
        # Odoo's own balance wizard is open to salespeople; on ledger cards it
        # is reserved to loyalty managers.
        update = (
            self.env["loyalty.card.update.balance"]
            .with_user(self.salesman)
            .create({"card_id": self.card.id, "new_balance": 999, "description": "x"})
        )
        with self.assertRaises(UserError):
            update.action_update_card_point()
        with self.assertRaises(AccessError):
            self.env["loyalty.card"].with_user(self.salesman).create(
                {
                    "program_id": self.program.id,
                    "partner_id": self.partner.id,
                    "points": 5,
                }
            )
        with self.assertRaises(AccessError):
            self.card.with_user(self.portal).write({"points": 999})
        self.assertEqual(self._ledger(), before)
        wizard.action_adjust()
        self.assertEqual(self._ledger(), (before[0] + 50, before[1] + 1))

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_behaviour_points_need_a_loyalty_manager(self):
        """crm_loyalty_behaviour._grant and _card_for: the public RPC method and
        the wizard."""
        newcomer = self.env["res.partner"].create({"name": "Guard newcomer"})
        Behaviour = self.env["crm.loyalty.behaviour"]
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                Behaviour.with_user(user).grant_behaviour_points(
                    newcomer.id, "share", "guard-1"
                )
        wizard = (
            self.env["crm.loyalty.behaviour.wizard"]
            .with_user(self.manager)
            .create({"partner_id": newcomer.id, "behaviour_id": self.share.id})
        )
        for user in (self.salesman, self.portal, self.manager_b):
            with self.assertRaises(UserError):
                wizard.with_user(user).action_grant()
        self.assertFalse(self._card(newcomer), "no card was opened")
        wizard.action_grant()
        self.assertEqual(self._card(newcomer).points, self.share.points)

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_switching_the_ledger_on_needs_program_rights(self):
        """loyalty_program.write and crm_loyalty_entry._post_opening."""
        program = self.env["loyalty.program"].create(
            {
                "name": "Guard off",
                "program_type": "loyalty",
                "crm_ledger_managed": False,
            }
        )
        card = self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": self.partner.id, "points": 40}
        )
        for user in (self.salesman, self.manager):
            with self.assertRaises(AccessError):
                program.with_user(user).write({"crm_ledger_managed": True})
        self.assertFalse(program.crm_ledger_managed)
        self.assertFalse(card.crm_entry_ids)
        # Switching off is refused whoever asks (today before the access
        # check, see docs/SECURITY.md): AccessError is a UserError too.
        for user in (self.salesman, self.portal):
            with self.assertRaises(UserError):
                self.program.with_user(user).write({"crm_ledger_managed": False})
        self.assertTrue(self.program.crm_ledger_managed)
        program.write({"crm_ledger_managed": True})
        self.assertEqual(card.crm_entry_ids.points, 40)

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_orders_move_points_only_for_those_who_may_confirm(self):
        """sale_order._crm_loyalty_posted, _crm_loyalty_post_order (tiers and
        their history), _crm_loyalty_reverse_order, and the multiplier of
        loyalty_program._crm_multiplier shown on the order."""
        order = self._order(150.0)
        order.user_id = self.owner
        History = self.env["crm.loyalty.tier.history"]
        histories = History.search_count([("partner_id", "=", self.partner.id)])
        before = self._ledger()
        for user in (self.salesman, self.portal):
            with self.assertRaises(AccessError):
                order.with_user(user).action_confirm()
            with self.assertRaises(AccessError):
                order.with_user(user).read(["crm_loyalty_points_preview"])
        self.assertEqual(order.state, "draft")
        self.assertEqual(self._ledger(), before)
        self.assertEqual(
            History.search_count([("partner_id", "=", self.partner.id)]), histories
        )
        # The order's salesperson cannot write the ledger: the hooks do it.
        order.with_user(self.owner).action_confirm()
        earned = self._ledger()
        self.assertEqual(earned[1], before[1] + 1)
        self.assertGreater(earned[0], before[0])
        no_warning = {"disable_cancel_warning": True}
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).with_context(**no_warning).action_cancel()
        self.assertEqual(self._ledger(), earned)
        # (Odoo lets only sales administrators cancel an order with points.)
        order.with_context(**no_warning).action_cancel()
        self.assertEqual(self._ledger(), (before[0], before[1] + 2))

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_credit_notes_need_an_accountant(self):
        """account_move._post: the clawback runs as superuser for whoever may
        post the credit note."""
        if not self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", self.company.id)], limit=1
        ):
            self.env["account.chart.template"].try_loading(
                "generic_coa", company=self.company, install_demo=False
            )
        order = self._order(100.0)
        order.action_confirm()
        before = self._ledger(self._card())
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.partner.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Refund",
                            "quantity": 1,
                            "price_unit": 100.0,
                            "tax_ids": [Command.clear()],
                            "sale_line_ids": [Command.set(order.order_line.ids)],
                        }
                    )
                ],
            }
        )
        for user in (self.salesman, self.manager, self.portal):
            with self.assertRaises(AccessError):
                refund.with_user(user).action_post()
        self.assertEqual(refund.state, "draft")
        self.assertEqual(self._ledger(self._card()), before)
        accountant = new_test_user(
            self.env, "guard_ly_accountant", groups="account.group_account_invoice"
        )
        refund.with_user(accountant).action_post()
        self.assertEqual(self._ledger(self._card()), (before[0] - 100, before[1] + 1))

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_crons_are_for_administrators(self):
        """_cron_expire, _cron_crm_loyalty_messages (reminders, birthdays,
        greetings): private, run by the crons, which only administrators can
        start by hand."""
        lot = self.card.crm_lot_ids
        self.assertEqual(lot.remaining, 100)
        lot.expiry_date = fields.Date.today() - timedelta(days=1)
        crons = (
            self.env.ref("crm_loyalty.ir_cron_loyalty_expire")
            | self.env.ref("crm_loyalty.ir_cron_loyalty_messages")
            | self.env.ref("crm_loyalty.ir_cron_loyalty_reconcile")
            | self.env.ref("crm_loyalty.ir_cron_loyalty_requalify")
        )
        admin = new_test_user(
            self.env,
            "guard_ly_sales_admin",
            groups="sales_team.group_sale_manager",
        )
        for cron in crons:
            for user in (admin, self.manager, self.salesman):
                with self.assertRaises(AccessError, msg=cron.name):
                    cron.with_user(user).method_direct_trigger()
        self.assertEqual(lot.remaining, 100)
        self.env["crm.loyalty.entry"]._cron_expire(limit=100000)
        self.assertEqual(lot.remaining, 0)
