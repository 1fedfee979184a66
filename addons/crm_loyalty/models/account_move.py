from collections import defaultdict

from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        refunds = posted.filtered(lambda move: move.move_type == "out_refund")
        if refunds:
            # Accountants post credit notes without rights on the ledger; the
            # points taken back are exactly those the refunded orders earned.
            refunds.sudo()._crm_loyalty_clawback()
        return posted

    def _crm_loyalty_clawback(self):
        """Take back the points refunded orders earned, in proportion to the
        untaxed amount refunded. Keyed per credit note, order and card: a
        credit note reset to draft and posted again takes nothing twice."""
        Entry = self.env["crm.loyalty.entry"]
        for move in self:
            refunded = defaultdict(float)
            for line in move.invoice_line_ids:
                for order in line.sale_line_ids.order_id:
                    refunded[order] += line.price_subtotal
            for order, amount in refunded.items():
                if not order.amount_untaxed:
                    continue
                Entry._claw_back(
                    order,
                    min(amount / order.amount_untaxed, 1.0),
                    move,
                    f"account.move:{move.id}:order:{order.id}",
                    "credit_note",
                    {"move": move.name, "order": order.name},
                )
