from odoo import api, models


class CrmLifecycleRefreshQueue(models.Model):
    _inherit = "crm.lifecycle.refresh.queue"

    @api.model
    def _process(self, customers):
        """Close the open alerts of the queued customers whose new order
        wins them back: the check a confirmation leaves for later with the
        rest of the customer's update. One query for the batch; the nightly
        churn run checks every open alert again, so an order queued but not
        yet processed at night is not missed either."""
        res = super()._process(customers)
        partner_ids = sorted({partner_id for partner_id, _company_id in customers})
        self.env["crm.churn.alert"]._detect_won_back(partner_ids)
        return res
