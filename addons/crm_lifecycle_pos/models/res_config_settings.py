from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_count_pos = fields.Boolean(
        related="company_id.lifecycle_count_pos", readonly=False
    )
