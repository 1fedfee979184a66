from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.bulk_sql import pair_filter

from .crm_churn_risk import LEVEL_SELECTION


class CrmChurnRiskHistory(models.Model):
    """Past scores, kept when the level changed or the score moved enough:
    the trend on the customer without a row per customer per night."""

    _name = "crm.churn.risk.history"
    _inherit = ["crm.lifecycle.group.order.mixin"]
    _description = "Churn Risk History"
    _order = "date desc, id desc"
    _rec_name = "date"
    # The date says when; the creating user, always the nightly run's, cost
    # two foreign-key checks per row, a large share of writing a batch's
    # rows on the first night (see crm.lifecycle.stay.mixin).
    _log_access = False
    _lifecycle_ordered_groups = ("level",)

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    score = fields.Integer("Risk score", readonly=True, aggregator="avg")
    level = fields.Selection(LEVEL_SELECTION, "Risk level", readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_churn_risk_history_partner_date_idx"
                " ON crm_churn_risk_history (partner_id, company_id, date)"
            )
        )

    @api.model
    def _record(self, rows, day):
        """One INSERT for the batch; a second run the same day replaces its rows."""
        if not rows:
            return
        self.flush_model()
        partners = [r["partner_id"] for r in rows]
        companies = [r["company_id"] for r in rows]
        # Filtered, not joined with the batch's list: see pair_filter.
        self.env.execute_query(
            SQL(
                "DELETE FROM crm_churn_risk_history h WHERE h.date = %s AND %s",
                day,
                pair_filter("h", zip(partners, companies, strict=True)),
            )
        )
        self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_churn_risk_history
                       (partner_id, company_id, date, score, level)
                SELECT v.partner_id, v.company_id, %s, v.score, v.level
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::varchar[])
                       AS v(partner_id, company_id, score, level)
                """,
                day,
                partners,
                companies,
                [r["score"] for r in rows],
                [r["level"] for r in rows],
            )
        )
        self.invalidate_model()
