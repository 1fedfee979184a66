from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_confirm(self):
        res = super()._action_confirm()
        self._lifecycle_refresh()
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        self._lifecycle_refresh()
        return res

    def _lifecycle_refresh(self):
        """Refresh only these orders' customers: one aggregate, a few writes.

        Runs as superuser because profiles and histories are derived data that
        salespeople may read but not write; the customers touched are exactly
        those of the orders the user was allowed to confirm or cancel.
        """
        if self.partner_id:
            Profile = self.env["crm.lifecycle.profile"].sudo()
            Profile._refresh_partners(Profile._customers_of(self.partner_id.ids))
