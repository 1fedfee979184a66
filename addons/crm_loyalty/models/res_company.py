from datetime import date

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    # Read by the tier reviews and the settings page: a prefetch group of
    # their own keeps them out of the company's fetches on every sale.
    loyalty_tier_basis = fields.Selection(
        [
            ("earned", "Points earned"),
            ("spent", "Amount spent"),
            ("orders", "Number of orders"),
        ],
        string="Tiers qualify on",
        default="earned",
        required=True,
        prefetch="crm_loyalty",
    )
    loyalty_tier_window = fields.Selection(
        [("rolling", "Rolling 12 months"), ("calendar", "Calendar year")],
        string="Qualification window",
        default="rolling",
        required=True,
        prefetch="crm_loyalty",
    )
    loyalty_tier_grace_days = fields.Integer(
        "Grace period (days)", default=30, prefetch="crm_loyalty"
    )
    loyalty_tier_warning_days = fields.Integer(
        "Warn members at risk (days before)",
        default=30,
        help="This many days before the end of the qualification year, members "
        "below their tier's keep threshold get an email and their salesperson "
        "an activity.",
        prefetch="crm_loyalty",
    )
    loyalty_tier_warned_review = fields.Date(readonly=True, prefetch="crm_loyalty")
    # Last member (partner id) that the running warnings or review handled;
    # 0 between runs.
    loyalty_tier_review_cursor = fields.Integer(
        "Tier review position", readonly=True, prefetch="crm_loyalty"
    )
    loyalty_tier_next_review = fields.Date(
        "Next tier review",
        default=lambda self: date(fields.Date.today().year + 1, 1, 31),
        help="Date of the next yearly requalification: the end of the "
        "qualification year plus the grace period.",
        prefetch="crm_loyalty",
    )

    @api.constrains("loyalty_tier_grace_days", "loyalty_tier_warning_days")
    def _check_loyalty_tier_days(self):
        for company in self:
            if not (
                0 <= company.loyalty_tier_grace_days <= 365
                and 0 <= company.loyalty_tier_warning_days <= 365
            ):
                raise ValidationError(
                    self.env._(
                        "The grace period and the warning of the tier review are "
                        "between 0 and 365 days."
                    )
                )
