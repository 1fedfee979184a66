from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """The company's KPI lines: a figure on the wrong side of its line gives
    the sales managers an activity, once per crossing."""

    _inherit = "res.company"

    # Read by the snapshot cron only: kept out of the company's fetches.
    lifecycle_kpi_churn_warning = fields.Float(
        "Churn warning line (%)",
        default=5.0,
        help="Yearly churn rate (overall and of high-value customers) above "
        "which the sales managers are told. 0 turns the warning off.",
        prefetch="crm_lifecycle_dashboard",
    )
    lifecycle_kpi_repurchase_healthy = fields.Float(
        "Healthy repurchase rate (%)",
        default=30.0,
        help="12-month repurchase rate below which the sales managers are "
        "told. 0 turns the warning off.",
        prefetch="crm_lifecycle_dashboard",
    )
    lifecycle_kpi_nps_good = fields.Float(
        "Good NPS",
        default=50.0,
        help="NPS (last 90 days) below which the sales managers are told. "
        "-100 turns the warning off.",
        prefetch="crm_lifecycle_dashboard",
    )
    lifecycle_kpi_point_value = fields.Float(
        "Value of one point",
        default=0.01,
        digits=(16, 4),
        help="What one loyalty point is worth to its holder in the company's "
        "currency (100 points for 1.00 by default): the points outstanding "
        "times this value is the programme's liability.",
        prefetch="crm_lifecycle_dashboard",
    )

    @api.constrains(
        "lifecycle_kpi_churn_warning",
        "lifecycle_kpi_repurchase_healthy",
        "lifecycle_kpi_nps_good",
        "lifecycle_kpi_point_value",
    )
    def _check_lifecycle_kpi_lines(self):
        for company in self:
            for rate in (
                company.lifecycle_kpi_churn_warning,
                company.lifecycle_kpi_repurchase_healthy,
            ):
                if not 0 <= rate <= 100:
                    raise ValidationError(
                        self.env._("A rate line is between 0 and 100 %.")
                    )
            if not -100 <= company.lifecycle_kpi_nps_good <= 100:
                raise ValidationError(
                    self.env._("An NPS line is between -100 and 100.")
                )
            if company.lifecycle_kpi_point_value < 0:
                raise ValidationError(
                    self.env._("A point cannot be worth less than nothing.")
                )

    def _lifecycle_kpi_lines(self):
        """The lines of the threshold rules (tools.kpi.RULES); None turns a
        rule off."""
        self.ensure_one()
        churn = self.lifecycle_kpi_churn_warning or None
        return {
            "churn": churn,
            "churn_high_value": churn,
            "repurchase": self.lifecycle_kpi_repurchase_healthy or None,
            "nps": (
                self.lifecycle_kpi_nps_good
                if self.lifecycle_kpi_nps_good > -100
                else None
            ),
        }
