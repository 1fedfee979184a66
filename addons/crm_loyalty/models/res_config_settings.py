from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_loyalty_entry import POINT_DIGITS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_loyalty_point_digits = fields.Integer(
        "Point decimals",
        help="Decimals of loyalty points (0: whole points). The ledger rounds "
        "the points it posts to them (points earned down), and every screen, "
        "email and statement shows points with them: the decimal accuracy "
        "Loyalty Points.",
    )
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

    @api.constrains("crm_loyalty_point_digits")
    def _check_crm_loyalty_point_digits(self):
        for settings in self:
            # The ledger stores points in cents at most.
            if not 0 <= settings.crm_loyalty_point_digits <= POINT_DIGITS:
                raise ValidationError(
                    self.env._(
                        "Loyalty points have between 0 and %(max)s decimals.",
                        max=POINT_DIGITS,
                    )
                )

    @api.model
    def get_values(self):
        res = super().get_values()
        res["crm_loyalty_point_digits"] = self.env["crm.loyalty.entry"]._point_digits()
        return res

    def set_values(self):
        res = super().set_values()
        precision = self.env.ref(
            "crm_loyalty.decimal_loyalty_points", raise_if_not_found=False
        )
        if precision and precision.digits != self.crm_loyalty_point_digits:
            precision.digits = self.crm_loyalty_point_digits
        return res
