from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    loyalty_tier_basis = fields.Selection(
        related="company_id.loyalty_tier_basis", readonly=False
    )
    loyalty_tier_window = fields.Selection(
        related="company_id.loyalty_tier_window", readonly=False
    )
    loyalty_tier_grace_days = fields.Integer(
        related="company_id.loyalty_tier_grace_days", readonly=False
    )
    loyalty_tier_warning_days = fields.Integer(
        related="company_id.loyalty_tier_warning_days", readonly=False
    )
    loyalty_tier_next_review = fields.Date(
        related="company_id.loyalty_tier_next_review", readonly=False
    )
