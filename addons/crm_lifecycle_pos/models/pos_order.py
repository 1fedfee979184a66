from odoo import models

from .crm_lifecycle_profile import PAID_STATES


class PosOrder(models.Model):
    _inherit = "pos.order"

    def _process_saved_order(self, draft):
        res = super()._process_saved_order(draft)
        self._lifecycle_refresh()
        return res

    def _lifecycle_refresh(self):
        """Queue the customers of these paid orders (sales and refunds) for
        the refresh cron, whatever the company's setting for sale orders:
        the till does not wait for a customer's profile, the profile follows
        moments later.

        As superuser, like a confirmed sale order's: the queue is derived
        data that the cashier does not write; the customers queued are
        exactly those of the orders the till was allowed to save.
        """
        paid = self.filtered(
            lambda order: (
                order.partner_id
                and order.state in PAID_STATES
                and order.company_id.lifecycle_count_pos
            )
        )
        if paid:
            self.env["crm.lifecycle.refresh.queue"].sudo()._enqueue(paid)
