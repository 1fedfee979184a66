from odoo import fields, models, tools
from odoo.tools import SQL


class CrmLoyaltyServiceReport(models.Model):
    """Service levels (星级管理): the activities the tiers' service levels
    created, done in time or not, per tier and per salesperson.

    A view over ``crm.loyalty.service.task`` whose rates and response times
    are NULL on the rows they do not apply to (an open activity has no
    response time yet): the pivot's averages then run over the activities
    done only, which a stored field (0.0 instead of NULL) would not allow."""

    _name = "crm.loyalty.service.report"
    _description = "Loyalty Service Level Report"
    _auto = False
    _order = "date_start desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", "Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    tier_id = fields.Many2one("crm.loyalty.tier", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    activity_type_id = fields.Many2one(
        "mail.activity.type", "Activity type", readonly=True
    )
    summary = fields.Char(readonly=True)
    date_start = fields.Datetime("Activity created on", readonly=True)
    date_deadline = fields.Date("Due date", readonly=True)
    date_done = fields.Datetime("Done on", readonly=True)
    state = fields.Selection(
        [("open", "Pending"), ("done", "Done"), ("cancelled", "Cancelled")],
        readonly=True,
    )
    in_time = fields.Boolean("In time", readonly=True)
    overdue = fields.Boolean(readonly=True)
    activity_count = fields.Integer("Activities", readonly=True)
    done_count = fields.Integer("Done", readonly=True)
    in_time_count = fields.Integer("Done in time", readonly=True)
    late_count = fields.Integer("Done late", readonly=True)
    overdue_count = fields.Integer(
        "Open overdue",
        readonly=True,
        help="Still open after its due date.",
    )
    in_time_rate = fields.Float(
        "Done in time (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the activities done that were done on or before their due date.",
    )
    response_hours = fields.Float(
        "Actual response (hours)",
        readonly=True,
        aggregator="avg",
        help="Hours from the activity's creation to its completion, on "
        "average over the activities done.",
    )
    target_hours = fields.Float(
        "Target (hours)",
        readonly=True,
        aggregator="avg",
        help="The tier's response time when the activity was created, on "
        "average over the activities that had one.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS
                SELECT t.id,
                       t.partner_id,
                       t.company_id,
                       t.tier_id,
                       t.user_id,
                       t.activity_type_id,
                       t.summary,
                       t.date_start,
                       t.date_deadline,
                       t.date_done,
                       t.state,
                       t.state = 'done' AND t.done_in_time AS in_time,
                       t.state = 'open' AND t.date_deadline < CURRENT_DATE
                           AS overdue,
                       1 AS activity_count,
                       (t.state = 'done')::int AS done_count,
                       (t.state = 'done' AND t.done_in_time)::int AS in_time_count,
                       (t.state = 'done' AND NOT t.done_in_time)::int AS late_count,
                       (t.state = 'open' AND t.date_deadline < CURRENT_DATE)::int
                           AS overdue_count,
                       CASE WHEN t.state = 'done'
                            THEN CASE WHEN t.done_in_time THEN 100.0 ELSE 0.0 END::float
                       END AS in_time_rate,
                       CASE WHEN t.state = 'done' THEN t.response_hours END
                           AS response_hours,
                       NULLIF(t.target_hours, 0)::float AS target_hours
                  FROM crm_loyalty_service_task t
                """,
                SQL.identifier(self._table),
            )
        )
