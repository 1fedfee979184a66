from collections import defaultdict

from odoo import api, models


class CrmLifecycleRefreshQueue(models.Model):
    _inherit = "crm.lifecycle.refresh.queue"

    @api.model
    def _process(self, customers):
        """The tier upgrade that the queued confirmations left for later,
        company by company, as a confirmation does it at once."""
        res = super()._process(customers)
        by_company = defaultdict(list)
        for partner_id, company_id in customers:
            by_company[company_id].append(partner_id)
        Partner = self.env["res.partner"]
        for company in self.env["res.company"].browse(sorted(by_company)):
            self.env["crm.loyalty.tier"].with_company(company)._update_members(
                Partner.browse(by_company[company.id]), company=company
            )
        return res
