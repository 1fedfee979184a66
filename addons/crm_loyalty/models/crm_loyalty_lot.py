from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

from .crm_loyalty_entry import POSTING, show_points_by_precision


class CrmLoyaltyLot(models.Model):
    """Points earned together, expiring together.

    A lot is the running balance of one earning entry: ``remaining`` goes down
    as spends, expiries and reversals consume it (each consumption is an
    allocation row) and is only ever written by the ledger service.
    """

    _name = "crm.loyalty.lot"
    _description = "Loyalty Points Lot"
    _order = "expiry_date, id"
    _rec_name = "entry_id"

    entry_id = fields.Many2one(
        "crm.loyalty.entry", "Earned by", required=True, readonly=True, index=True
    )
    card_id = fields.Many2one("loyalty.card", required=True, readonly=True, index=True)
    program_id = fields.Many2one("loyalty.program", readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    date = fields.Datetime("Earned on", readonly=True)
    expiry_date = fields.Date(readonly=True, index=True)
    points = fields.Float(readonly=True, digits=(16, 2))
    remaining = fields.Float(readonly=True, digits=(16, 2))
    allocation_ids = fields.One2many("crm.loyalty.allocation", "lot_id", readonly=True)
    reminder_sent = fields.Boolean(readonly=True)

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return show_points_by_precision(
            self,
            super().fields_get(allfields, attributes),
            attributes,
            ("points", "remaining"),
        )

    def init(self):
        # The expiry cron and the reminders look for lapsed or lapsing lots
        # that still hold points: a small slice of a table that keeps every
        # lot ever earned.
        create_index(
            self.env.cr,
            "crm_loyalty_lot_open_expiry_idx",
            self._table,
            ["expiry_date", "id"],
            where="remaining > 0",
        )
        for name, columns, include in self._open_lot_indexes():
            self.env.execute_query(
                SQL(
                    "CREATE INDEX IF NOT EXISTS %s ON crm_loyalty_lot (%s)"
                    " INCLUDE (%s) WHERE remaining > 0",
                    SQL.identifier(name),
                    SQL(", ").join(map(SQL.identifier, columns)),
                    SQL(", ").join(map(SQL.identifier, include)),
                )
            )

    @api.model
    def _open_lot_indexes(self):
        """Covering indexes over the lots that still hold points, as
        ``(name, columns, included columns)``: an addon that reads the open
        lots of many customers at once (a batch of a nightly step) adds the
        shape its query needs, and drops its index when it is uninstalled."""
        return []

    @api.model
    def _cron_expire(self, limit=5000):
        """Expire what is left of lapsed lots, a batch at a time.

        A night can lapse hundreds of thousands of lots, so a batch is a few
        set-based statements (``crm.loyalty.entry._expire_lots``) instead of
        one ``_post`` per lot: each lot gets its own ``expire`` entry and
        allocation, is emptied, and its card loses the points, all in one
        transaction. Safe to run twice: an emptied lot is not selected again.
        """
        # sudo: the ledger tables are written by the ledger service only; the
        # callers are the expiry cron and the demo loader, never a user.
        service = self.env["crm.loyalty.entry"].sudo().with_context(**{POSTING: True})
        today = fields.Date.context_today(self)
        service.env["loyalty.card"].flush_model(["points"])
        service.flush_model()
        service.env["crm.loyalty.lot"].flush_model()
        lots = service.env.execute_query(
            SQL(
                """
                SELECT l.id, l.card_id, c.program_id, c.partner_id,
                       COALESCE(c.company_id, l.company_id), l.remaining, l.date
                  FROM crm_loyalty_lot l
                  JOIN loyalty_card c ON c.id = l.card_id
                 WHERE l.expiry_date < %s AND l.remaining > 0
                 ORDER BY l.expiry_date, l.id
                 LIMIT %s
                """,
                today,
                limit,
            )
        )
        if lots:
            service._expire_lots(lots)
        remaining = service.env.execute_query(
            SQL(
                "SELECT COUNT(*) FROM crm_loyalty_lot"
                " WHERE expiry_date < %s AND remaining > 0",
                today,
            )
        )[0][0]
        service.env["ir.cron"]._notify_progress(done=len(lots), remaining=remaining)
        return len(lots)
