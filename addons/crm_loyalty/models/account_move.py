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
                share = min(amount / order.amount_untaxed, 1.0)
                earned = Entry.search(
                    [
                        ("source_model", "=", "sale.order"),
                        ("source_id", "=", order.id),
                        ("entry_type", "=", "earn"),
                    ]
                )
                for card in earned.card_id:
                    card_entries = earned.filtered(lambda e, c=card: e.card_id == c)
                    card_earned = sum(card_entries.mapped("points"))
                    taken = -sum(
                        Entry.search(
                            [
                                ("card_id", "=", card.id),
                                ("entry_type", "=", "reversal"),
                                ("reversed_entry_id", "in", card_entries.ids),
                            ]
                        ).mapped(lambda e: e.points - e.shortfall)
                    )
                    points = min(round(card_earned * share, 2), card_earned - taken)
                    if points <= 0:
                        continue
                    Entry._post(
                        card,
                        "reversal",
                        -points,
                        f"account.move:{move.id}:order:{order.id}:card:{card.id}",
                        source=move,
                        reverses=card_entries[:1],
                        # Worded when read, in the reader's language.
                        reason_code="credit_note",
                        reason_params={
                            "move": move.name,
                            "share": round(share * 100, 1),
                            "order": order.name,
                        },
                    )
