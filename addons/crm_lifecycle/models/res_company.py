from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import ormcache

from ..tools import stages, workdays

# A hundred years: longer periods are typos, and out of the date arithmetic's
# range once subtracted from today.
MAX_DAYS = 36500


class ResCompany(models.Model):
    _inherit = "res.company"

    # The settings below are read by the nightly run and the settings page,
    # not by the orders: their own prefetch group keeps them out of every
    # fetch of the company (a sale, a till's sync and confirmation each
    # fetch it). The switches an order reads stay in the default group.
    lifecycle_new_days = fields.Integer(
        string="New for (days)",
        default=90,
        help="A customer whose first order is this recent is New.",
        prefetch="crm_lifecycle",
    )
    lifecycle_won_back_days = fields.Integer(
        string="Won back for (days)",
        default=90,
        help="A customer who bought again after being Dormant or Churned stays "
        "Won back for this many days.",
        prefetch="crm_lifecycle",
    )
    lifecycle_loyal_min_orders = fields.Integer(
        string="Loyal after (orders)",
        default=5,
        help="Orders needed, together with the tenure below, to become Loyal.",
        prefetch="crm_lifecycle",
    )
    lifecycle_loyal_min_days = fields.Integer(
        string="Loyal after (days of tenure)",
        default=365,
        help="Days since the first order needed to become Loyal.",
        prefetch="crm_lifecycle",
    )
    lifecycle_at_risk_factor = fields.Float(
        string="At risk when overdue by (x usual gap)",
        default=1.5,
        help="A customer silent for longer than this factor times their usual "
        "gap between orders is At risk.",
        prefetch="crm_lifecycle",
    )
    lifecycle_dormant_days = fields.Integer(
        string="Dormant after (days)",
        default=180,
        help="Days without an order after which a customer is Dormant.",
        prefetch="crm_lifecycle",
    )
    lifecycle_churned_days = fields.Integer(
        string="Churned after (days)",
        default=365,
        help="Days without an order after which a customer is Churned.",
        prefetch="crm_lifecycle",
    )
    lifecycle_rfm_window_days = fields.Integer(
        string="RFM analysis window (days)",
        default=730,
        help="Only orders of this many past days count for RFM scores.",
        prefetch="crm_lifecycle",
    )
    lifecycle_rfm_monetary = fields.Selection(
        [("revenue", "Net revenue"), ("margin", "Margin")],
        string="RFM monetary value",
        default="revenue",
        required=True,
        help="Margin needs the Sales Margin app (sale_margin); without it net "
        "revenue is used.",
        prefetch="crm_lifecycle",
    )
    lifecycle_refit_days = fields.Integer(
        string="Refit purchase model every (days)",
        default=7,
        help="The nightly run fits a new purchase model when the latest fit is "
        "older than this.",
        prefetch="crm_lifecycle",
    )
    lifecycle_count_invoices = fields.Boolean(
        string="Count invoices without a sale order",
        default=True,
        help="Posted customer invoices that no sale order produced (a company "
        "that invoices directly) count as purchases, on their invoice date and "
        "for their untaxed amount. Credit notes always reduce what the "
        "customer bought, never below zero; when this is off, a credit note "
        "of such an invoice is ignored too.",
    )
    lifecycle_refresh_on_order = fields.Selection(
        [
            ("queue", "Moments later, in the background"),
            ("confirm", "As the order is confirmed"),
        ],
        string="Update customers after an order",
        default="queue",
        required=True,
        help="When a confirmed or cancelled order updates its customer's "
        "stage and scores. In the background, a scheduled "
        "action that the order wakes does it moments later, and confirming "
        "stays nearly as fast as without this app; as the order is "
        "confirmed, the salesperson sees the new stage at once, and every "
        "confirmation takes a little longer.",
    )

    @api.constrains(
        "lifecycle_new_days",
        "lifecycle_won_back_days",
        "lifecycle_loyal_min_orders",
        "lifecycle_loyal_min_days",
        "lifecycle_at_risk_factor",
        "lifecycle_dormant_days",
        "lifecycle_churned_days",
        "lifecycle_rfm_window_days",
        "lifecycle_refit_days",
    )
    def _check_lifecycle_thresholds(self):
        for company in self:
            problems = company._lifecycle_thresholds().validate()
            if company.lifecycle_rfm_window_days <= 0:
                problems.append("rfm_window_days")
            if company.lifecycle_refit_days <= 0:
                problems.append("refit_days")
            if problems:
                raise ValidationError(
                    self.env._(
                        "The lifecycle settings of %(company)s are inconsistent. "
                        "Day counts must be positive, New < Dormant < Churned, "
                        "Loyal needs at least 2 orders and the at-risk factor must "
                        "be at least 1.",
                        company=company.name,
                    )
                )
            days = (
                company.lifecycle_new_days,
                company.lifecycle_won_back_days,
                company.lifecycle_loyal_min_days,
                company.lifecycle_dormant_days,
                company.lifecycle_churned_days,
                company.lifecycle_rfm_window_days,
                company.lifecycle_refit_days,
            )
            # Written so that a NaN factor is refused too.
            if max(days) > MAX_DAYS or not company.lifecycle_at_risk_factor <= 100:
                raise ValidationError(
                    self.env._(
                        "The lifecycle settings of %(company)s are out of range: day "
                        "counts go up to %(days)s and the at-risk factor up to 100.",
                        company=company.name,
                        days=MAX_DAYS,
                    )
                )

    def _lifecycle_thresholds(self):
        self.ensure_one()
        return stages.StageThresholds(
            new_days=self.lifecycle_new_days,
            won_back_days=self.lifecycle_won_back_days,
            loyal_min_orders=self.lifecycle_loyal_min_orders,
            loyal_min_days=self.lifecycle_loyal_min_days,
            at_risk_factor=self.lifecycle_at_risk_factor,
            dormant_days=self.lifecycle_dormant_days,
            churned_days=self.lifecycle_churned_days,
        )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env.registry.clear_cache()  # _lifecycle_skips_invoices
        return companies

    def write(self, vals):
        if "lifecycle_count_invoices" in vals or "active" in vals:
            self.env.registry.clear_cache()  # _lifecycle_skips_invoices
        return super().write(vals)

    @api.model
    @ormcache()
    def _lifecycle_skips_invoices(self):
        """Some company does not count invoices without a sale order: only
        then can a credit note be left out of the facts. Kept per registry
        (cleared when the setting changes): every order confirmation and
        every nightly batch asks."""
        # The setting of every company, whoever asks: no customer data.
        return bool(
            self.sudo()
            .with_context(active_test=False)
            .search_count([("lifecycle_count_invoices", "=", False)], limit=1)
        )

    def _lifecycle_add_working_days(self, day, days):
        """``day`` plus ``days`` working days of this company: Monday to
        Friday, or the Chinese calendar of holidays and adjusted working
        days (调休) for a company in China (``tools/workdays.py``)."""
        self.ensure_one()
        rule = workdays.workday_rule(self.country_id.code)
        return workdays.add_working_days(day, days, rule)
