from odoo import api, models


class PosSession(models.Model):
    _inherit = "pos.session"

    @api.model
    def _load_pos_data_models(self, config_id):
        # The member tiers travel with the customers: the till shows a
        # customer's stars from its own data, offline too.
        return [*super()._load_pos_data_models(config_id), "crm.loyalty.tier"]
