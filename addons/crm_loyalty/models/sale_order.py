from collections import defaultdict

from odoo import models

from .loyalty_card import ORDER_FLOW


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_confirm(self):
        # sale_loyalty moves card points itself before confirming; for ledger
        # cards the typed entries posted in _action_confirm do it instead.
        return super(
            SaleOrder, self.with_context(**{ORDER_FLOW: True})
        ).action_confirm()

    def _action_confirm(self):
        res = super()._action_confirm()
        self._crm_loyalty_post_order()
        return res

    def _action_cancel(self):
        confirmed = self.filtered(lambda order: order.state == "sale")
        res = super(SaleOrder, self.with_context(**{ORDER_FLOW: True}))._action_cancel()
        confirmed._crm_loyalty_reverse_order()
        return res

    def _crm_loyalty_point_changes(self):
        """Points earned and spent per ledger card by this order."""
        self.ensure_one()
        earned, spent = defaultdict(float), defaultdict(float)
        for coupon_points in self.coupon_point_ids:
            if coupon_points.coupon_id.program_id._crm_is_ledger():
                earned[coupon_points.coupon_id] += coupon_points.points
        for line in self.order_line:
            if line.reward_id and line.coupon_id.program_id._crm_is_ledger():
                spent[line.coupon_id] += line.points_cost
        return earned, spent

    def _crm_loyalty_cycle(self, card):
        """How many times this order's points on this card were reversed:
        a re-confirmed order earns again under a new key, a retried
        confirmation never does."""
        return (
            self.env["crm.loyalty.entry"]
            .sudo()
            .search_count(
                [
                    ("source_model", "=", self._name),
                    ("source_id", "=", self.id),
                    ("card_id", "=", card.id),
                    ("entry_type", "=", "reversal"),
                    ("reversed_entry_id.entry_type", "=", "earn"),
                ]
            )
        )

    def _crm_loyalty_post_order(self):
        Entry = self.env["crm.loyalty.entry"]
        for order in self:
            earned, spent = order._crm_loyalty_point_changes()
            reason = self.env._("Order %(order)s", order=order.name)
            for card in set(earned) | set(spent):
                cycle = order._crm_loyalty_cycle(card)
                base = f"sale.order:{order.id}:card:{card.id}:{cycle}"
                # Spend first: the points a reward costs may come from the
                # balance held before this order, never from what it earns.
                if spent.get(card):
                    Entry._post(
                        card, "redeem", -spent[card], f"{base}:redeem", reason, order
                    )
                if earned.get(card):
                    Entry._post(
                        card, "earn", earned[card], f"{base}:earn", reason, order
                    )

    def _crm_loyalty_reverse_order(self):
        Entry = self.env["crm.loyalty.entry"].sudo()
        for order in self:
            entries = Entry.search(
                [
                    ("source_model", "=", self._name),
                    ("source_id", "=", order.id),
                    ("entry_type", "in", ("earn", "redeem")),
                ],
                order="id",
            )
            reversed_ids = set(
                Entry.search(
                    [("reversed_entry_id", "in", entries.ids)]
                ).reversed_entry_id.ids
            )
            reason = self.env._("Order %(order)s cancelled", order=order.name)
            # Give back what was spent before taking back what was earned.
            for entry in entries.sorted(lambda e: e.points > 0):
                if entry.id in reversed_ids:
                    continue
                Entry._post(
                    entry.card_id,
                    "reversal",
                    -entry.points,
                    f"crm.loyalty.entry:{entry.id}:reversal",
                    reason,
                    order,
                    reverses=entry,
                )
