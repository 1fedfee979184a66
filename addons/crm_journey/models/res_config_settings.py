from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    journey_weekly_cap = fields.Integer(
        related="company_id.journey_weekly_cap", readonly=False
    )
