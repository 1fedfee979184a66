from odoo import api, models


class CrmLoyaltyEntry(models.Model):
    _inherit = "crm.loyalty.entry"

    @api.model
    def _reason_text(self, code, params):
        """The bonus points of a win-back offer (crm.churn.alert)."""
        if code == "winback":
            return self.env._("Win-back offer")
        return super()._reason_text(code, params)
