from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_confirm(self):
        res = super()._action_confirm()
        # The salesperson confirming the order may not see the alert (another
        # salesperson's customer); closing it as won back is the order's effect.
        self.env["crm.churn.alert"].sudo()._detect_won_back(
            self.partner_id.commercial_partner_id.ids
        )
        return res
