from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    churn_medium_threshold = fields.Integer(
        related="company_id.churn_medium_threshold", readonly=False
    )
    churn_high_threshold = fields.Integer(
        related="company_id.churn_high_threshold", readonly=False
    )
    churn_critical_threshold = fields.Integer(
        related="company_id.churn_critical_threshold", readonly=False
    )
    churn_period_months = fields.Integer(
        related="company_id.churn_period_months", readonly=False
    )
    churn_redemption_days = fields.Integer(
        related="company_id.churn_redemption_days", readonly=False
    )
    churn_expiry_warning_days = fields.Integer(
        related="company_id.churn_expiry_warning_days", readonly=False
    )
    churn_alert_cap = fields.Integer(
        related="company_id.churn_alert_cap", readonly=False
    )
    churn_high_deadline_days = fields.Integer(
        related="company_id.churn_high_deadline_days", readonly=False
    )
    churn_escalation_days = fields.Integer(
        related="company_id.churn_escalation_days", readonly=False
    )
    churn_escalation_user_id = fields.Many2one(
        related="company_id.churn_escalation_user_id", readonly=False
    )
    churn_winback_days = fields.Integer(
        related="company_id.churn_winback_days", readonly=False
    )
    churn_auto_send = fields.Boolean(
        related="company_id.churn_auto_send", readonly=False
    )
    churn_control_share = fields.Float(
        related="company_id.churn_control_share", readonly=False
    )
    churn_backtest_days = fields.Integer(
        related="company_id.churn_backtest_days", readonly=False
    )
    churn_weights_source = fields.Selection(
        related="company_id.churn_weights_source", readonly=False
    )
    churn_coupon_program_id = fields.Many2one(
        related="company_id.churn_coupon_program_id", readonly=False
    )
    churn_nightly_hour = fields.Integer(
        string="Churn warning at (hour)",
        config_parameter="crm_churn.nightly_hour",
        default=3,
        help="Hour of the day (0-23, in your time zone) of the nightly churn "
        "warning; it waits for the lifecycle recompute when that is still running.",
    )
    churn_nightly_tz = fields.Char(
        "Time zone of the hour",
        compute="_compute_churn_nightly_tz",
        help="The hour is read in the time zone of your user preferences.",
    )
    churn_lost_after_days = fields.Integer(
        related="company_id.lifecycle_churned_days",
        string="Lost after (days)",
        readonly=True,
    )

    # company_id: a settings form computes only fields that depend on a
    # field on opening.
    @api.depends("company_id")
    @api.depends_context("uid")
    def _compute_churn_nightly_tz(self):
        # The time zone _churn_schedule_cron reads the hour in.
        for settings in self:
            settings.churn_nightly_tz = self.env.user.tz or "UTC"

    @api.constrains("churn_nightly_hour")
    def _check_churn_nightly_hour(self):
        for settings in self:
            if not 0 <= settings.churn_nightly_hour <= 23:
                raise ValidationError(
                    self.env._("The churn warning hour must be between 0 and 23.")
                )

    def set_values(self):
        res = super().set_values()
        self._churn_schedule_cron()
        return res

    def _churn_schedule_cron(self):
        cron = self.env.ref("crm_churn.ir_cron_churn_nightly", False)
        if not cron:
            return
        tz = pytz.timezone(self.env.user.tz or "UTC")
        now = datetime.now(tz)
        local = tz.localize(datetime.combine(now.date(), time(self.churn_nightly_hour)))
        if local <= now:
            local += timedelta(days=1)
        # The cron belongs to the superuser; settings are reserved to admins.
        cron.sudo().write(
            {
                "nextcall": local.astimezone(pytz.utc).replace(tzinfo=None),
                "interval_number": 1,
                "interval_type": "days",
            }
        )

    def action_run_churn_backtest(self):
        """Save the settings, then backtest the company's score now."""
        self.execute()
        return self.env["crm.churn.backtest"].action_run_backtest()

    def action_open_churn_backtests(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_backtest_action"
        )

    def action_open_churn_signals(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "crm_churn.crm_churn_signal_action"
        )
