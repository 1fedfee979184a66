from odoo import api, models


class CrmLoyaltyTier(models.Model):
    _name = "crm.loyalty.tier"
    _inherit = ["crm.loyalty.tier", "pos.load.mixin"]

    @api.model
    def _load_pos_data_domain(self, data):
        return [("company_id", "=", data["pos.config"]["data"][0]["company_id"])]

    @api.model
    def _load_pos_data_fields(self, config_id):
        return ["id", "name", "stars"]
