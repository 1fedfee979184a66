from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..rpc_guards import ensure_existing


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
    lifecycle_count_invoices = fields.Boolean(
        related="company_id.lifecycle_count_invoices", readonly=False
    )
    lifecycle_margin_available = fields.Boolean(
        compute="_compute_lifecycle_margin_available"
    )
    lifecycle_nightly_hour = fields.Integer(
        string="Nightly run at (hour)",
        config_parameter="crm_lifecycle.nightly_hour",
        default=2,
        help="Hour of the day (0-23) of the nightly recompute, in the time zone "
        "shown beside it.",
    )
    lifecycle_nightly_tz = fields.Char(
        string="Time zone of the nightly run",
        config_parameter="crm_lifecycle.nightly_tz",
        default=lambda self: self.env.user.tz or "UTC",
        readonly=True,
        help="The time zone of the user who last saved the settings: the nightly "
        "hour is read in it.",
    )
    lifecycle_user_tz = fields.Char(compute="_compute_lifecycle_user_tz")
    lifecycle_nightly_workers = fields.Integer(
        string="Nightly workers",
        config_parameter="crm_lifecycle.nightly_workers",
        default=1,
        help="Cron workers that share each nightly step's batches. More than "
        "one helps a large customer base when the server runs several cron "
        "threads (--max-cron-threads) or several servers share the database.",
    )

    @api.depends("company_id")
    def _compute_lifecycle_margin_available(self):
        available = "margin" in self.env["sale.order"]._fields
        for settings in self:
            settings.lifecycle_margin_available = available

    # On company_id, as the margin above: a compute without a field to
    # depend on is left empty on a new settings record.
    @api.depends("company_id")
    @api.depends_context("uid")
    def _compute_lifecycle_user_tz(self):
        for settings in self:
            settings.lifecycle_user_tz = self.env.user.tz or "UTC"

    @api.constrains("lifecycle_nightly_workers")
    def _check_lifecycle_nightly_workers(self):
        for settings in self:
            if not 1 <= settings.lifecycle_nightly_workers <= 32:
                raise ValidationError(
                    self.env._("The nightly workers must be between 1 and 32.")
                )

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
        # The hour is the saving user's: so is its time zone, kept beside it
        # so that whoever reads the settings later sees which hour it is.
        self.lifecycle_nightly_tz = self.env.user.tz or "UTC"
        res = super().set_values()
        self._lifecycle_schedule_cron()
        Run = self.env["crm.lifecycle.batch.run"]
        for step in Run._steps():
            self.env[step]._sync_worker_crons(self.lifecycle_nightly_workers)
        return res

    def _lifecycle_schedule_cron(self):
        """Move the nightly cron's next call to the chosen hour."""
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_nightly", False)
        if not cron:
            return
        hour = self.lifecycle_nightly_hour
        tz = pytz.timezone(self.lifecycle_nightly_tz or "UTC")
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
