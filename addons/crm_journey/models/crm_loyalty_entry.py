from odoo import models


class CrmLoyaltyEntry(models.Model):
    _inherit = "crm.loyalty.entry"

    def _reason_text(self, code, params):
        if code == "journey":
            return self.env._(
                "Journey: %(journey)s", journey=self._translated(params.get("name"))
            )
        return super()._reason_text(code, params)
