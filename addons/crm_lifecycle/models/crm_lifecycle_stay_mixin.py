from odoo import api, models
from odoo.tools import SQL

from ..bulk_sql import pair_filter


class CrmLifecycleStayMixin(models.AbstractModel):
    """A customer's stays in successive values (stages, segments), written in
    bulk: one statement closes the open stays of the customers that moved and
    opens the new ones. Stays are facts: nobody edits them afterwards.

    The models using it set ``_log_access = False``, which an abstract model
    cannot do for them, and this writes no ORM log columns: a stay says when
    it began, and a manual move who made it (``changed_by_id``); the
    creating user (the nightly run's, or whoever confirmed the order, which
    the order tells) only cost two foreign-key checks per row, a large
    share of the time of writing a batch's stays on the first night, when
    every customer gets one (docs/BENCHMARKS.md).
    """

    _name = "crm.lifecycle.stay.mixin"
    _description = "Lifecycle Stays"

    # Column holding the value of the stay, and the one holding the previous.
    _stay_field = None
    _stay_previous_field = None

    @api.model
    def _record_moves(self, moves, day, extra=None):
        """Close the open stays of moved customers and open the new ones.

        :param moves: tuples ``(partner_id, company_id, old, new)``
        :param extra: more columns for the new stays (same for all)
        """
        moves = [move for move in moves if move[3] != move[2]]
        if not moves:
            return
        self.flush_model()
        extra = extra or {}
        names = SQL(", ").join(SQL.identifier(name) for name in extra)
        values = SQL(", ").join(SQL("%s", value) for value in extra.values())
        # One statement: it runs on every order confirmation that moves its
        # customer. Both parts see the same snapshot, so the update never
        # closes the stays the insert opens. The update filters instead of
        # joining the list of moves: see pair_filter.
        rows = self.env.execute_query(
            SQL(
                """
                WITH m AS (
                    SELECT *
                      FROM unnest(%(partners)s::int[], %(companies)s::int[],
                                  %(old)s::varchar[], %(new)s::varchar[])
                           AS m(partner_id, company_id, old, new)
                ), closed AS (
                    UPDATE %(table)s h
                       SET date_end = %(day)s, duration_days = %(day)s - h.date_start
                     WHERE %(moved)s
                       AND h.date_end IS NULL
                )
                INSERT INTO %(table)s
                       (partner_id, company_id, %(previous)s, %(value)s,
                        date_start %(names)s)
                SELECT m.partner_id, m.company_id, m.old, m.new, %(day)s
                       %(values)s
                  FROM m
                 WHERE m.new IS NOT NULL
                RETURNING id
                """,
                table=SQL.identifier(self._table),
                previous=SQL.identifier(self._stay_previous_field),
                value=SQL.identifier(self._stay_field),
                names=SQL(", %s", names) if extra else SQL(),
                values=SQL(", %s", values) if extra else SQL(),
                day=day,
                moved=pair_filter("h", ((move[0], move[1]) for move in moves)),
                partners=[move[0] for move in moves],
                companies=[move[1] for move in moves],
                old=[move[2] for move in moves],
                new=[move[3] for move in moves],
            )
        )
        self.invalidate_model()
        if rows:
            self.browse([row[0] for row in rows])._lifecycle_stays_opened()

    def _lifecycle_stays_opened(self):
        """Hook called with the stays just opened, once per change of a
        customer's stage or segment, whichever path moved him (the nightly
        batches, an order's refresh, a manual pin): the rows are inserted in
        bulk, so the ORM's ``create`` never sees them. A glue addon
        (``crm_lifecycle_automation``) runs Odoo's automation rules
        "On creation" on them here."""
        return True
