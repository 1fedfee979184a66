from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _lifecycle_facts_index_includes(self):
        # The churn signals (crm.churn.risk._gather_query) count and sum a
        # batch's orders of the churn periods and of the last year from
        # crm_lifecycle's covering index of orders by customer, for
        # index-only scans.
        return [
            *super()._lifecycle_facts_index_includes(),
            "company_id",
            "state",
            "date_order",
            "amount_untaxed",
            "currency_rate",
        ]

    def _action_confirm(self):
        res = super()._action_confirm()
        # Where the company updates its customers in the background (the
        # default), the cron that refreshes the queued customers closes
        # their won-back alerts moments later (crm.lifecycle.refresh.queue);
        # elsewhere it is done here, with the refresh.
        now = self - self._lifecycle_queued()
        if now:
            now._churn_detect_won_back()
        return res

    def _churn_detect_won_back(self):
        # The salesperson confirming the order may not see the alert (another
        # salesperson's customer); closing it as won back is the order's effect.
        # Most customers have none open: their flag spares the search. Only
        # the two columns are fetched: a request starts with an empty cache,
        # and reading the flag through the ORM loaded the customer's whole
        # row (a hundred columns) on every confirmation.
        partners = self.sudo().partner_id
        partners.fetch(["commercial_partner_id", "churn_alert_open"])
        customers = partners.commercial_partner_id
        customers.fetch(["churn_alert_open"])  # nothing left to read, usually
        alerted = customers.filtered("churn_alert_open")
        if alerted:
            self.env["crm.churn.alert"].sudo()._detect_won_back(alerted.ids)
