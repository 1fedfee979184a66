from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lifecycle_profile import STAGE_SELECTION


class CrmLifecycleStageHistory(models.Model):
    """One stay of a customer in a lifecycle stage.

    Written in bulk by the recompute (one statement closes the open stays,
    one opens the new ones), and by managers pinning a stage. Stays are
    facts: nobody edits them afterwards.
    """

    _name = "crm.lifecycle.stage.history"
    _description = "Lifecycle Stage History"
    _order = "date_start desc, id desc"
    _rec_name = "stage"

    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    stage = fields.Selection(STAGE_SELECTION, required=True, readonly=True)
    previous_stage = fields.Selection(STAGE_SELECTION, "From stage", readonly=True)
    date_start = fields.Date("Entered", required=True, readonly=True)
    date_end = fields.Date("Exited", readonly=True)
    duration_days = fields.Integer(
        "Days in stage",
        readonly=True,
        aggregator="avg",
        help="Filled when the customer leaves the stage.",
    )
    is_current = fields.Boolean(
        compute="_compute_is_current", search="_search_is_current"
    )
    is_manual = fields.Boolean("Manual", readonly=True)
    changed_by_id = fields.Many2one("res.users", "Changed by", readonly=True)
    reason = fields.Char(readonly=True)

    @api.depends("date_end")
    def _compute_is_current(self):
        for stay in self:
            stay.is_current = not stay.date_end

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        current = (operator == "=") == bool(value)
        return [("date_end", "=" if current else "!=", False)]

    @api.model
    def _record_moves(self, moves, day, manual=False, reason=False):
        """Close the open stays of moved customers and open the new ones.

        :param moves: tuples ``(partner_id, company_id, old, new)``
        """
        moves = [move for move in moves if move[3] != move[2]]
        if not moves:
            return
        self.flush_model()
        partner_ids = [move[0] for move in moves]
        company_ids = [move[1] for move in moves]
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_lifecycle_stage_history h
                   SET date_end = %(day)s, duration_days = %(day)s - h.date_start,
                       write_date = now() AT TIME ZONE 'UTC', write_uid = %(uid)s
                  FROM unnest(%(partners)s::int[], %(companies)s::int[])
                       AS m(partner_id, company_id)
                 WHERE h.partner_id = m.partner_id AND h.company_id = m.company_id
                   AND h.date_end IS NULL
                """,
                day=day,
                uid=self.env.uid,
                partners=partner_ids,
                companies=company_ids,
            )
        )
        opened = [move for move in moves if move[3]]
        if opened:
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO crm_lifecycle_stage_history
                           (partner_id, company_id, previous_stage, stage, date_start,
                            is_manual, changed_by_id, reason,
                            create_uid, create_date, write_uid, write_date)
                    SELECT m.partner_id, m.company_id, m.old, m.new, %(day)s,
                           %(manual)s, %(user)s, %(reason)s,
                           %(uid)s, now() AT TIME ZONE 'UTC',
                           %(uid)s, now() AT TIME ZONE 'UTC'
                      FROM unnest(%(partners)s::int[], %(companies)s::int[],
                                  %(old)s::varchar[], %(new)s::varchar[])
                           AS m(partner_id, company_id, old, new)
                    """,
                    day=day,
                    manual=manual,
                    user=self.env.uid if manual else None,
                    reason=reason or None,
                    uid=self.env.uid,
                    partners=[move[0] for move in opened],
                    companies=[move[1] for move in opened],
                    old=[move[2] for move in opened],
                    new=[move[3] for move in opened],
                )
            )
        self.invalidate_model()
