from odoo import api, fields, models
from odoo.tools import SQL

CRON_XMLID = "crm_lifecycle.ir_cron_lifecycle_refresh_queue"


class CrmLifecycleRefreshQueue(models.Model):
    """Customers whose orders changed since their profile was computed.

    Confirming or cancelling an order queues its partner here (in the
    companies that update in the background, the default; the cron takes
    the partner's commercial partner, the customer): the order's
    confirmation then costs one statement more instead of the customer's
    whole refresh, and a cron, triggered by that same statement, refreshes
    the queued customers in batches moments later.

    Rows are only ever inserted by confirmations and deleted by the cron,
    never updated: the cron deletes the rows its transaction sees, so a row
    committed while it runs is left for its next run (the next
    confirmation's trigger, or the hourly call).
    """

    _name = "crm.lifecycle.refresh.queue"
    _description = "Customer awaiting a lifecycle refresh"
    _order = "id"
    # Written by SQL on every confirmation, read and deleted by the cron:
    # the ORM's create and write columns would cost two foreign-key checks
    # per row for nothing anyone reads.
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner", "Customer", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")

    @api.model
    def _enqueue(self, orders):
        """Queue the customers of these orders and wake the cron, in one
        statement.

        Odoo's ``ir.cron._trigger`` would cost two statements more (the
        cron's ``active``, then the trigger's insert) on every order
        confirmation; the trigger rides in the queue's statement instead,
        with the same rule (an inactive cron gets no trigger) and the same
        wake-up of the cron workers after the commit.

        Unlike ``_trigger``, no second trigger is added while one is due:
        the cron is already woken and takes every queued row when it runs
        (it deletes its due triggers only when done). That spares the
        wake-up after the commit, a connection of its own to the
        ``postgres`` database, on all but the first of a burst of
        confirmations, and on the till's second call for the same sale.
        """
        if not orders:
            return
        # The orders' own partners and companies, from the ORM's cache (the
        # confirmation read them): sent as arrays, they spare the statement
        # a join of sale_order and res_partner, whose planning cost more than
        # the insert. The cron resolves their commercial partners.
        pairs = sorted({(order.partner_id.id, order.company_id.id) for order in orders})
        [(woken,)] = self.env.execute_query(
            SQL(
                "WITH %s SELECT COUNT(*) FROM woken",
                self._enqueue_ctes(
                    SQL(
                        "SELECT * FROM unnest(%s::int[], %s::int[])",
                        [partner_id for partner_id, _company_id in pairs],
                        [company_id for _partner_id, company_id in pairs],
                    )
                ),
            )
        )
        self._enqueue_woken(woken)

    @api.model
    def _enqueue_ctes(self, pairs):
        """The common table expressions that queue the rows of ``pairs`` (a
        ``SELECT`` of partner and company ids) and add the cron's trigger
        (``woken``, the ids of the triggers added), for a caller that
        queues within a statement of its own; it then passes the number of
        triggers added to ``_enqueue_woken``."""
        self.env["ir.cron"].flush_model(["active"])
        # The id alone, cached: env.ref would also check that the cron exists.
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(
            CRON_XMLID, raise_if_not_found=False
        )
        now = fields.Datetime.now()
        return SQL(
            """
            queued AS (
                INSERT INTO crm_lifecycle_refresh_queue (partner_id, company_id)
                %(pairs)s
             RETURNING id
            ), woken AS (
                INSERT INTO ir_cron_trigger
                       (cron_id, call_at, create_uid, create_date,
                        write_uid, write_date)
                SELECT c.id, %(now)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM ir_cron c
                 WHERE c.id = %(cron)s AND c.active
                   AND EXISTS (SELECT 1 FROM queued)
                   AND NOT EXISTS (
                        SELECT 1 FROM ir_cron_trigger t
                         WHERE t.cron_id = c.id AND t.call_at <= %(now)s)
             RETURNING id
            )
            """,
            pairs=pairs,
            now=now,
            uid=self.env.uid,
            cron=cron_id or 0,
        )

    @api.model
    def _enqueue_woken(self, woken):
        """Wake the cron workers after the commit when a statement of
        ``_enqueue_ctes`` added a trigger."""
        if woken:
            cron_id = self.env["ir.model.data"]._xmlid_to_res_id(CRON_XMLID)
            self.env.cr.postcommit.add(self.env["ir.cron"].browse(cron_id)._notifydb)

    @api.model
    def _cron_process(self, batch_size=2000):
        """Refresh one batch of queued customers (the cron calls this again
        while rows remain)."""
        self.flush_model()
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        rows = self.env.execute_query(
            SQL(
                """
                WITH taken AS (
                    DELETE FROM crm_lifecycle_refresh_queue
                     WHERE id IN (SELECT id FROM crm_lifecycle_refresh_queue
                                   ORDER BY id LIMIT %s)
                 RETURNING partner_id, company_id
                )
                -- The orders' partners, queued as they were: their
                -- customers are the commercial partners.
                SELECT DISTINCT COALESCE(p.commercial_partner_id, p.id),
                       taken.company_id
                  FROM taken
                  JOIN res_partner p ON p.id = taken.partner_id
                """,
                batch_size,
            )
        )
        if rows:
            self._process(sorted(rows))
        [(remaining,)] = self.env.execute_query(
            SQL("SELECT count(*) FROM crm_lifecycle_refresh_queue")
        )
        self.env["ir.cron"]._notify_progress(done=len(rows), remaining=remaining)

    @api.model
    def _process(self, customers):
        """What a confirmation left to the cron, for these (commercial
        partner id, company id) pairs: their profiles. Other addons extend
        this with what they derive from the same orders."""
        self.env["crm.lifecycle.profile"]._refresh_partners(
            sorted({partner_id for partner_id, _company_id in customers})
        )
