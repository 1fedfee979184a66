from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_confirm(self):
        res = super()._action_confirm()
        # The salesperson confirming the order may not see the alert (another
        # salesperson's customer); closing it as won back is the order's effect.
        # Most customers have none open: their flag, in the cache since the
        # order was read, spares the search.
        alerted = self.sudo().partner_id.commercial_partner_id.filtered(
            "churn_alert_open"
        )
        if alerted:
            self.env["crm.churn.alert"].sudo()._detect_won_back(alerted.ids)
        return res
