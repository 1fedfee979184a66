from odoo import fields, models, tools
from odoo.tools import SQL

# Stages of a paying relationship: prospects never bought, churned customers
# already left, so neither can churn this month.
BASE_STAGES = ("new", "active", "loyal", "at_risk", "dormant", "won_back")
HISTORY_MONTHS = 36


class CrmChurnRateReport(models.Model):
    """Monthly churn rate read from the stage history, so that past months keep
    the figures they had, whatever the customers became since.

    The base of a month is taken when the month opens, before that month's
    moves: a customer moved on the 1st still counts in the base he left.
    Only customers of that base count as churned, so that the first
    classification of old customers straight into Churned (when the addon is
    installed on a database with years of orders) is no churn of the month,
    and the rate never exceeds 100 %.
    """

    _name = "crm.churn.rate.report"
    _description = "Monthly Churn Rate"
    _auto = False
    _order = "month desc"
    _rec_name = "month"

    month = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    active_base = fields.Integer(
        "Customers at month start",
        readonly=True,
        aggregator="sum",
        help="Customers in a stage from New to Won back, except Churned, "
        "when the month began. 0 before the lifecycle stage history began: "
        "such months have no churn rate and are hidden by the filter "
        "Months with customers.",
    )
    churned_count = fields.Integer(
        "Churned customers",
        readonly=True,
        aggregator="sum",
        help="Customers at month start who entered the Churned stage during "
        "the month (no order for the lifecycle's churned days).",
    )
    churn_rate = fields.Float(
        "Churn rate (%)",
        readonly=True,
        aggregator="avg",
        help="Churned customers per hundred customers at month start. 0 means "
        "that none of them churned that month (a customer churns only after "
        "the lifecycle's churned days without an order, so the first year of "
        "orders shows none); a month without customers has no rate.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(view)s AS (
                    WITH bounds AS (
                        SELECT date_trunc('month', CURRENT_DATE::timestamp)::date
                                   AS last_month,
                               (date_trunc('month', CURRENT_DATE::timestamp)
                                - make_interval(months => %(back)s))::date
                                   AS first_month
                    ), months AS (
                        SELECT m::date AS month
                          FROM bounds,
                               generate_series(bounds.first_month, bounds.last_month,
                                               interval '1 month') AS m
                    ), companies AS (
                        SELECT c.id AS company_id
                          FROM res_company c
                         WHERE EXISTS (SELECT 1 FROM crm_lifecycle_stage_history h
                                        WHERE h.company_id = c.id)
                    ), opening AS (
                        -- Months a stay was open at: started before the 1st
                        -- and not closed before it.
                        SELECT DISTINCT m::date AS month, h.company_id, h.partner_id
                          FROM bounds
                          JOIN crm_lifecycle_stage_history h
                            ON h.date_end IS NULL OR h.date_end >= bounds.first_month
                         CROSS JOIN LATERAL generate_series(
                                   GREATEST(date_trunc('month', h.date_start::timestamp)
                                            + interval '1 month', bounds.first_month),
                                   LEAST(date_trunc('month', h.date_end::timestamp),
                                         bounds.last_month),
                                   interval '1 month') AS m
                         WHERE h.stage IN %(base_stages)s
                    ), churns AS (
                        SELECT DISTINCT
                               date_trunc('month', h.date_start::timestamp)::date
                                   AS month,
                               h.company_id, h.partner_id
                          FROM bounds
                          JOIN crm_lifecycle_stage_history h
                            ON h.date_start >= bounds.first_month
                         WHERE h.stage = 'churned'
                    ), counts AS (
                        SELECT o.month, o.company_id, COUNT(*) AS active_base,
                               COUNT(c.partner_id) AS churned_count
                          FROM opening o
                          LEFT JOIN churns c
                            ON c.month = o.month AND c.company_id = o.company_id
                           AND c.partner_id = o.partner_id
                         GROUP BY o.month, o.company_id
                    )
                    SELECT row_number() OVER (
                               ORDER BY companies.company_id, months.month) AS id,
                           months.month, companies.company_id,
                           COALESCE(counts.active_base, 0) AS active_base,
                           COALESCE(counts.churned_count, 0) AS churned_count,
                           -- No base, no rate (NULL): a month before the
                           -- stage history is no month without churn.
                           (100.0 * counts.churned_count
                            / NULLIF(counts.active_base, 0))::double precision
                               AS churn_rate
                      FROM months
                     CROSS JOIN companies
                      LEFT JOIN counts
                        ON counts.month = months.month
                       AND counts.company_id = companies.company_id
                )
                """,
                view=SQL.identifier(self._table),
                back=HISTORY_MONTHS - 1,
                base_stages=BASE_STAGES,
            )
        )
