from odoo import fields, models, tools
from odoo.tools import SQL


class CrmLifecycleFunnelReport(models.Model):
    """How far customers went from New to Active to Loyal, by first-order cohort."""

    _name = "crm.lifecycle.funnel.report"
    _description = "Lifecycle Funnel from New to Loyal"
    _auto = False
    _order = "cohort desc, step"
    _rec_name = "step"

    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    cohort = fields.Date("Cohort (month became New)", readonly=True)
    step = fields.Selection(
        [("1_new", "1. New"), ("2_active", "2. Active"), ("3_loyal", "3. Loyal")],
        readonly=True,
    )
    reached_on = fields.Date(readonly=True)
    customer_count = fields.Integer("Customers", readonly=True, aggregator="sum")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH reached AS (
                        SELECT partner_id, company_id, stage, MIN(date_start) AS day
                          FROM crm_lifecycle_stage_history
                         WHERE stage IN ('new', 'active', 'loyal')
                         GROUP BY partner_id, company_id, stage
                    ), cohorts AS (
                        SELECT partner_id, company_id,
                               date_trunc('month', day)::date AS cohort
                          FROM reached WHERE stage = 'new'
                    )
                    SELECT row_number() OVER () AS id, r.partner_id, r.company_id,
                           c.cohort,
                           CASE r.stage WHEN 'new' THEN '1_new'
                                        WHEN 'active' THEN '2_active'
                                        ELSE '3_loyal' END AS step,
                           r.day AS reached_on, 1 AS customer_count
                      FROM reached r
                      JOIN cohorts c
                        ON c.partner_id = r.partner_id AND c.company_id = r.company_id
                )
                """,
                SQL.identifier(self._table),
            )
        )
