from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_kpi_churn_warning = fields.Float(
        related="company_id.lifecycle_kpi_churn_warning", readonly=False
    )
    lifecycle_kpi_repurchase_healthy = fields.Float(
        related="company_id.lifecycle_kpi_repurchase_healthy", readonly=False
    )
    lifecycle_kpi_nps_good = fields.Float(
        related="company_id.lifecycle_kpi_nps_good", readonly=False
    )
    lifecycle_kpi_point_value = fields.Float(
        related="company_id.lifecycle_kpi_point_value", readonly=False
    )
