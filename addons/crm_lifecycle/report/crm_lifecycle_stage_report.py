from odoo import fields, models, tools
from odoo.tools import SQL

from ..models.crm_lifecycle_profile import STAGE_SELECTION


class CrmLifecycleStageReport(models.Model):
    """Customers per stage at the end of every month, from the stage history."""

    _name = "crm.lifecycle.stage.report"
    _inherit = ["crm.lifecycle.group.order.mixin"]
    _description = "Customers per Lifecycle Stage over Time"
    _auto = False
    _order = "date desc"
    _rec_name = "date"
    _lifecycle_ordered_groups = ("stage",)

    date = fields.Date("Month end", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    stage = fields.Selection(STAGE_SELECTION, readonly=True)
    customer_count = fields.Integer("Customers", readonly=True, aggregator="sum")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %s AS (
                    WITH months AS (
                        SELECT (date_trunc('month', m)
                                + interval '1 month - 1 day')::date AS month_end
                          FROM generate_series(
                                   (SELECT date_trunc('month', MIN(date_start))
                                      FROM crm_lifecycle_stage_history),
                                   date_trunc('month', now()),
                                   interval '1 month') AS m
                    )
                    SELECT row_number() OVER () AS id, months.month_end AS date,
                           h.company_id, h.stage, COUNT(*) AS customer_count
                      FROM months
                      JOIN crm_lifecycle_stage_history h
                        ON h.date_start <= months.month_end
                       AND (h.date_end IS NULL OR h.date_end > months.month_end)
                     GROUP BY months.month_end, h.company_id, h.stage
                )
                """,
                SQL.identifier(self._table),
            )
        )
