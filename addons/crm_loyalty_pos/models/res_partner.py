from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _load_pos_data_fields(self, config_id):
        # The tier of the till's company (a company-dependent column read
        # with the customers, no extra query): stars in the customer list.
        return [*super()._load_pos_data_fields(config_id), "loyalty_tier_id"]
