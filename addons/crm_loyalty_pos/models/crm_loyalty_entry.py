from odoo import api, models
from odoo.tools.misc import formatLang


class CrmLoyaltyEntry(models.Model):
    _inherit = "crm.loyalty.entry"

    @api.model
    def _reason_text(self, code, params):
        if code == "pos_refund":
            return self.env._(
                "Refund %(refund)s returns %(share)s%% of order %(order)s",
                refund=params.get("refund", ""),
                share=formatLang(self.env, params.get("share", 0.0), digits=1),
                order=params.get("order", ""),
            )
        return super()._reason_text(code, params)
