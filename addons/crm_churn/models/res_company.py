from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import scoring


class ResCompany(models.Model):
    _inherit = "res.company"

    # Read by the nightly run and the settings page only: a prefetch group of
    # their own keeps them out of the company's fetches on every sale.
    churn_medium_threshold = fields.Integer(
        string="Medium risk from (score)", default=40, prefetch="crm_churn"
    )
    churn_high_threshold = fields.Integer(
        string="High risk from (score)", default=60, prefetch="crm_churn"
    )
    churn_critical_threshold = fields.Integer(
        string="Critical risk from (score)", default=80, prefetch="crm_churn"
    )
    churn_period_months = fields.Integer(
        string="Compare periods of (months)",
        default=6,
        help="Order frequency and spending of this many recent months are "
        "compared with the same length of time before.",
        prefetch="crm_churn",
    )
    churn_redemption_days = fields.Integer(
        string="No redemption warning after (days)",
        default=365,
        help="Members holding points who redeemed nothing for this long are a "
        "risk signal; it starts counting at half this time.",
        prefetch="crm_churn",
    )
    churn_expiry_warning_days = fields.Integer(
        string="Points expiring within (days)",
        default=30,
        help="Points whose lot expires within this many days count as expiring unused.",
        prefetch="crm_churn",
    )
    churn_alert_cap = fields.Integer(
        string="New alerts per night (at most)",
        default=50,
        help="A bad night cannot flood the sales team: beyond this number the "
        "remaining customers wait for the next nights, critical and most "
        "valuable first.",
        prefetch="crm_churn",
    )
    churn_high_deadline_days = fields.Integer(
        string="High risk: deadline (working days)", default=3, prefetch="crm_churn"
    )
    churn_escalation_days = fields.Integer(
        string="Escalate untouched alerts after (days)",
        default=7,
        help="An alert still New after this many days is escalated to the sales "
        "team leader (or the escalation manager below).",
        prefetch="crm_churn",
    )
    churn_escalation_user_id = fields.Many2one(
        "res.users",
        string="Escalation manager",
        help="Receives escalations when the salesperson's team has no leader.",
        prefetch="crm_churn",
    )
    churn_winback_days = fields.Integer(
        string="Win-back window (days)",
        default=90,
        help="An order confirmed within this many days after the alert marks it "
        "won back; coupons offered expire after the same time.",
        prefetch="crm_churn",
    )
    churn_auto_send = fields.Boolean(
        string="Send offers without approval",
        help="When off, offers and emails wait for the salesperson's approval.",
        prefetch="crm_churn",
    )
    churn_control_share = fields.Float(
        string="Control group (%)",
        default=10.0,
        help="Share of alerted customers, drawn by a stable hash of the customer, "
        "who get no offer so the win-back rate with and without offer can be "
        "compared.",
        prefetch="crm_churn",
    )
    churn_backtest_days = fields.Integer(
        string="Backtest: days checked",
        default=180,
        help="The backtest replays the score as it was this many days ago "
        "and counts as lost the customers who bought nothing since.",
        prefetch="crm_churn",
    )
    churn_weights_source = fields.Selection(
        [
            ("learned", "Learned from the backtest when they do better"),
            ("manual", "The weights set by managers"),
        ],
        string="Signal weights",
        default="learned",
        required=True,
        help="Learned weights are adopted only when they ranked the "
        "customers of the last backtest better than the weights in force; "
        "choose the managers' weights to keep your own.",
        prefetch="crm_churn",
    )
    # Written by the backtest (crm.churn.backtest._run), read by the nightly
    # scoring: the learned weights, and the calibration curve with the
    # weights it was fitted for (it only applies to scores made with them).
    churn_learned_weights = fields.Json(
        "Learned signal weights", readonly=True, copy=False, prefetch="crm_churn"
    )
    churn_calibration = fields.Json(
        "Churn score calibration", readonly=True, copy=False, prefetch="crm_churn"
    )
    churn_coupon_program_id = fields.Many2one(
        "loyalty.program",
        string="Default win-back coupon program",
        domain="[('program_type', 'in', ('coupons', 'next_order_coupons')),"
        " ('company_id', 'in', (False, id))]",
        help="Coupon program of the win-back offers on churn alerts whose "
        "journey step names none.",
        prefetch="crm_churn",
    )

    @api.constrains(
        "churn_medium_threshold", "churn_high_threshold", "churn_critical_threshold"
    )
    def _check_churn_thresholds(self):
        for company in self:
            try:
                company._churn_thresholds().validate()
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "Churn risk thresholds must rise from medium to high to "
                        "critical, between 1 and 100."
                    )
                ) from None

    @api.constrains(
        "churn_control_share",
        "churn_alert_cap",
        "churn_period_months",
        "churn_winback_days",
        "churn_escalation_days",
        "churn_redemption_days",
        "churn_backtest_days",
    )
    def _check_churn_numbers(self):
        for company in self:
            if not 0 <= company.churn_control_share <= 50:
                raise ValidationError(
                    self.env._("The control group share must be between 0% and 50%.")
                )
            if company.churn_alert_cap < 0:
                raise ValidationError(
                    self.env._("The number of alerts per night cannot be negative.")
                )
            if (
                min(
                    company.churn_period_months,
                    company.churn_winback_days,
                    company.churn_escalation_days,
                    company.churn_redemption_days,
                )
                < 1
            ):
                raise ValidationError(
                    self.env._("Churn periods and windows must be at least 1.")
                )
            if not 30 <= company.churn_backtest_days <= 730:
                raise ValidationError(
                    self.env._(
                        "A backtest checks between 30 and 730 days after the "
                        "replayed day."
                    )
                )

    def _churn_thresholds(self):
        self.ensure_one()
        return scoring.Thresholds(
            medium=self.churn_medium_threshold,
            high=self.churn_high_threshold,
            critical=self.churn_critical_threshold,
        )
