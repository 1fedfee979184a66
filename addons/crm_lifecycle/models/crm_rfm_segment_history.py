from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lifecycle_profile import SEGMENT_SELECTION


class CrmRfmSegmentHistory(models.Model):
    """One stay of a customer in an RFM segment, written in bulk."""

    _name = "crm.rfm.segment.history"
    _description = "RFM Segment History"
    _order = "date_start desc, id desc"
    _rec_name = "segment"

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
    segment = fields.Selection(SEGMENT_SELECTION, required=True, readonly=True)
    previous_segment = fields.Selection(
        SEGMENT_SELECTION, "From segment", readonly=True
    )
    date_start = fields.Date("Entered", required=True, readonly=True)
    date_end = fields.Date("Exited", readonly=True)
    duration_days = fields.Integer("Days in segment", readonly=True, aggregator="avg")

    @api.model
    def _record_moves(self, moves, day):
        """Same contract as ``crm.lifecycle.stage.history._record_moves``."""
        moves = [move for move in moves if move[3] != move[2]]
        if not moves:
            return
        self.flush_model()
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_rfm_segment_history h
                   SET date_end = %(day)s, duration_days = %(day)s - h.date_start,
                       write_date = now() AT TIME ZONE 'UTC', write_uid = %(uid)s
                  FROM unnest(%(partners)s::int[], %(companies)s::int[])
                       AS m(partner_id, company_id)
                 WHERE h.partner_id = m.partner_id AND h.company_id = m.company_id
                   AND h.date_end IS NULL
                """,
                day=day,
                uid=self.env.uid,
                partners=[move[0] for move in moves],
                companies=[move[1] for move in moves],
            )
        )
        opened = [move for move in moves if move[3]]
        if opened:
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO crm_rfm_segment_history
                           (partner_id, company_id, previous_segment, segment,
                            date_start, create_uid, create_date, write_uid, write_date)
                    SELECT m.partner_id, m.company_id, m.old, m.new, %(day)s,
                           %(uid)s, now() AT TIME ZONE 'UTC',
                           %(uid)s, now() AT TIME ZONE 'UTC'
                      FROM unnest(%(partners)s::int[], %(companies)s::int[],
                                  %(old)s::varchar[], %(new)s::varchar[])
                           AS m(partner_id, company_id, old, new)
                    """,
                    day=day,
                    uid=self.env.uid,
                    partners=[move[0] for move in opened],
                    companies=[move[1] for move in opened],
                    old=[move[2] for move in opened],
                    new=[move[3] for move in opened],
                )
            )
        self.invalidate_model()
