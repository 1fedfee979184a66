from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_lifecycle_profile import ensure_existing


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_new_days = fields.Integer(
        related="company_id.lifecycle_new_days", readonly=False
    )
    lifecycle_won_back_days = fields.Integer(
        related="company_id.lifecycle_won_back_days", readonly=False
    )
    lifecycle_loyal_min_orders = fields.Integer(
        related="company_id.lifecycle_loyal_min_orders", readonly=False
    )
    lifecycle_loyal_min_days = fields.Integer(
        related="company_id.lifecycle_loyal_min_days", readonly=False
    )
    lifecycle_at_risk_factor = fields.Float(
        related="company_id.lifecycle_at_risk_factor", readonly=False
    )
    lifecycle_dormant_days = fields.Integer(
        related="company_id.lifecycle_dormant_days", readonly=False
    )
    lifecycle_churned_days = fields.Integer(
        related="company_id.lifecycle_churned_days", readonly=False
    )
    lifecycle_rfm_window_days = fields.Integer(
        related="company_id.lifecycle_rfm_window_days", readonly=False
    )
    lifecycle_rfm_monetary = fields.Selection(
        related="company_id.lifecycle_rfm_monetary", readonly=False
    )
    lifecycle_refit_days = fields.Integer(
        related="company_id.lifecycle_refit_days", readonly=False
    )
    lifecycle_refresh_on_order = fields.Selection(
        related="company_id.lifecycle_refresh_on_order", readonly=False
    )
    lifecycle_margin_available = fields.Boolean(
        compute="_compute_lifecycle_margin_available"
    )
    lifecycle_nightly_hour = fields.Integer(
        string="Nightly run at (hour)",
        config_parameter="crm_lifecycle.nightly_hour",
        default=2,
        help="Hour of the day (0-23, in your time zone) of the nightly recompute.",
    )

    @api.depends("company_id")
    def _compute_lifecycle_margin_available(self):
        available = "margin" in self.env["sale.order"]._fields
        for settings in self:
            settings.lifecycle_margin_available = available

    @api.constrains("lifecycle_nightly_hour")
    def _check_lifecycle_nightly_hour(self):
        for settings in self:
            if not 0 <= settings.lifecycle_nightly_hour <= 23:
                raise ValidationError(
                    self.env._("The nightly run hour must be between 0 and 23.")
                )

    def set_values(self):
        # Saving an empty or missing settings record would reset every
        # setting to its empty value and move the nightly run to midnight.
        ensure_existing(self)
        self.ensure_one()
        res = super().set_values()
        self._lifecycle_schedule_cron()
        return res

    def _lifecycle_schedule_cron(self):
        """Move the nightly cron's next call to the chosen hour."""
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly", False)
        if not cron:
            return
        hour = self.lifecycle_nightly_hour
        tz = pytz.timezone(self.env.user.tz or "UTC")
        now = datetime.now(tz)
        local = tz.localize(datetime.combine(now.date(), time(hour)))
        if local <= now:
            local = tz.localize(
                datetime.combine(now.date() + timedelta(days=1), time(hour))
            )
        nextcall = local.astimezone(pytz.utc).replace(tzinfo=None)
        # The cron belongs to the superuser; settings are reserved to admins.
        cron.sudo().write(
            {"nextcall": nextcall, "interval_number": 1, "interval_type": "days"}
        )
