from odoo import Command
from odoo.tests import freeze_time, new_test_user, tagged

from .common import LoyaltyLedgerCommon


@freeze_time("2026-03-15")
@tagged("post_install", "-at_install")
class TestRefunds(LoyaltyLedgerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.company.id)], limit=1
        ):
            cls.env["account.chart.template"].try_loading(
                "generic_coa", company=cls.company, install_demo=False
            )

    def _confirmed(self, amount=100.0):
        order = self._order(amount)
        order.action_confirm()
        return order

    def _credit_note(self, order, amount, user=None):
        move = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": order.partner_id.id,
                "invoice_date": "2026-03-15",
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Refund",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                            "sale_line_ids": [Command.set(order.order_line.ids)],
                        }
                    )
                ],
            }
        )
        (move.with_user(user) if user else move).action_post()
        return move

    def test_credit_note_takes_back_points_in_proportion(self):
        order = self._confirmed(100.0)
        card = self._card()
        self.assertEqual(card.points, 100)
        accountant = new_test_user(
            self.env, "ledger_accountant", groups="account.group_account_invoice"
        )
        move = self._credit_note(order, 40.0, user=accountant)
        [clawback] = card.crm_entry_ids.filtered(lambda e: e.entry_type == "reversal")
        self.assertEqual(clawback.points, -40)
        self.assertEqual(
            (clawback.source_model, clawback.source_id), ("account.move", move.id)
        )
        self.assertEqual(card.points, 60)
        # Stored as a code with its values, worded for whoever reads it.
        self.assertEqual(clawback.reason_code, "credit_note")
        self.assertIn(move.name, clawback.reason_display)
        self.assertIn(order.name, clawback.reason_display)
        self.assertIn("40", clawback.reason_display)
        # Reset to draft and post again: nothing is taken twice.
        move.button_draft()
        move.action_post()
        self.assertEqual(card.points, 60)
        # A second credit note for the rest never takes more than was earned.
        self._credit_note(order, 100.0)
        self.assertEqual(card.points, 0)
        self.assertBalanced(card)

    def test_spent_points_cap_by_default(self):
        order = self._confirmed(100.0)
        card = self._card()
        self.Entry._post(card, "redeem", -90, "test:spent:1", "Spent")
        self._credit_note(order, 100.0)
        reversal = card.crm_entry_ids.filtered(lambda e: e.entry_type == "reversal")
        self.assertEqual((reversal.points, reversal.shortfall), (-10, 90))
        self.assertEqual(card.points, 0)
        self.assertBalanced(card)

    def test_negative_balance_policy_is_paid_back_by_the_next_lot(self):
        self.program.crm_refund_policy = "negative"
        order = self._confirmed(100.0)
        card = self._card()
        self.Entry._post(card, "redeem", -90, "test:spent:2", "Spent")
        self._credit_note(order, 100.0)
        self.assertEqual(card.points, -90)
        self.assertBalanced(card)
        self._confirmed(150.0)
        self.assertEqual(card.points, 60)
        new_lot = card.crm_lot_ids.sorted("id")[-1]
        self.assertEqual((new_lot.points, new_lot.remaining), (150, 60))
        self.assertBalanced(card)

    def test_cancelling_after_a_credit_note_takes_back_only_the_rest(self):
        order = self._confirmed(100.0)
        card = self._card()
        self._credit_note(order, 30.0)
        self.assertEqual(card.points, 70)
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(card.points, 0)
        reversals = card.crm_entry_ids.filtered(lambda e: e.entry_type == "reversal")
        self.assertEqual(sorted(reversals.mapped("points")), [-70, -30])
        self.assertBalanced(card)
