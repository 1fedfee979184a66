import heapq
import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.utils import collector_paused, stream

from ..tools import scoring

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
SYNC_LIMIT = 10000
# Days a customer deferred by the nightly cap keeps waiting for an alert.
PENDING_DAYS = 7


class CrmChurnRun(models.Model):
    """One night of churn warning: score every customer in resumable batches,
    then act once on the whole population (won-back detection, new alerts
    under the cap, escalations).

    The run remembers the last commercial partner id it scored; a killed cron
    resumes after it. Alerts are opened only in the final step, so the cap
    keeps the most urgent customers of the whole base, not of the first batch.
    """

    _name = "crm.churn.run"
    _description = "Churn Warning Run"
    _order = "id desc"
    _rec_name = "as_of"

    as_of = fields.Date("Night of", required=True, readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")],
        default="running",
        required=True,
        readonly=True,
    )
    forced = fields.Boolean(
        "Started by hand", readonly=True, help="Started with Run now."
    )
    cursor = fields.Integer(readonly=True)
    customers_total = fields.Integer("Customers to score", readonly=True)
    customers_done = fields.Integer("Customers scored", readonly=True)
    rows_written = fields.Integer(
        "Scores changed",
        readonly=True,
        help="Customers whose score, level or reasons changed and were written.",
    )
    batch_count = fields.Integer("Batches", readonly=True)
    alerts_created = fields.Integer("New alerts", readonly=True)
    alerts_deferred = fields.Integer(
        "Alerts left for later nights",
        readonly=True,
        help="Customers left for the next nights by the cap of new alerts.",
    )
    alerts_escalated = fields.Integer("Alerts escalated", readonly=True)
    alerts_won_back = fields.Integer("Alerts won back", readonly=True)
    started_at = fields.Datetime("Started at", readonly=True)
    finished_at = fields.Datetime("Finished at", readonly=True)
    duration = fields.Float("Duration (s)", digits=(16, 1), readonly=True)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_nightly(self, batch_size=None):
        """One batch of today's run; nothing once today's run is done.

        Waits for a lifecycle run still in progress, so that the scores use
        tonight's stages and predictions.
        """
        if self.env["crm.lifecycle.run"].search_count(
            [("state", "=", "running")], limit=1
        ):
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            cron = self.env.ref("crm_churn.ir_cron_churn_nightly", False)
            if cron:
                cron._trigger(at=fields.Datetime.now() + timedelta(minutes=15))
            return
        run = self._current_run()
        if not run:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return
        done, remaining = run._process_batch(batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def action_run_now(self):
        """Managers' button: a fresh run, at once on small databases."""
        self.check_access("create")
        today = fields.Date.context_today(self)
        self.search([("state", "=", "running")]).write({"state": "done"})
        run = self.create({"as_of": today, "forced": True})
        if run.customers_total <= SYNC_LIMIT:
            while run.state == "running":
                run._process_batch(SYNC_LIMIT)
            message = self.env._(
                "%(count)s customers scored, %(alerts)s new alerts.",
                count=run.customers_done,
                alerts=run.alerts_created,
            )
        else:
            # Triggering needs write access on ir.cron, reserved to admins; the
            # caller was checked above for the right to start a run.
            self.env.ref("crm_churn.ir_cron_churn_nightly").sudo()._trigger()
            message = self.env._(
                "%(count)s customers will be scored in the background.",
                count=run.customers_total,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Churn warning"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Batches
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        for run in runs:
            run.write(
                {
                    "customers_total": run._count_customers(),
                    "started_at": fields.Datetime.now(),
                }
            )
        return runs

    @api.model
    def _current_run(self):
        today = fields.Date.context_today(self)
        running = self.search([("state", "=", "running")], order="id", limit=1)
        if running:
            return running
        if self.search_count([("as_of", "=", today), ("state", "=", "done")], limit=1):
            return self.browse()
        return self.create({"as_of": today})

    def _count_customers(self):
        self.env["crm.lifecycle.profile"].flush_model()
        return self.env.execute_query(
            SQL(
                "SELECT COUNT(DISTINCT partner_id) FROM crm_lifecycle_profile"
                " WHERE order_count > 0"
            )
        )[0][0]

    def _next_partner_ids(self, batch_size):
        return [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    SELECT DISTINCT partner_id FROM crm_lifecycle_profile
                     WHERE partner_id > %s
                     ORDER BY partner_id LIMIT %s
                    """,
                    self.cursor,
                    batch_size,
                )
            )
        ]

    def _process_batch(self, batch_size=None):
        """Score the next batch; the last one also acts. Returns (done, remaining)."""
        self.ensure_one()
        batch_size = batch_size or int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("crm_churn.batch_size", DEFAULT_BATCH_SIZE)
        )
        started = time.monotonic()
        partner_ids = self._next_partner_ids(batch_size)
        written = 0
        if partner_ids:
            with collector_paused():
                written, _risen = self.env["crm.churn.risk"]._score_partners(
                    partner_ids, self.as_of
                )
        vals = {
            "cursor": partner_ids[-1] if partner_ids else self.cursor,
            "customers_done": self.customers_done + len(partner_ids),
            "rows_written": self.rows_written + written,
            "batch_count": self.batch_count + 1,
        }
        finished = len(partner_ids) < batch_size
        self.write(vals)
        if finished:
            self._finish()
        remaining = (
            0 if finished else max(self.customers_total - self.customers_done, 1)
        )
        _logger.info(
            "Churn run %s: %s customers in %.2fs, %s written, %s remaining",
            self.as_of,
            len(partner_ids),
            time.monotonic() - started,
            written,
            remaining,
        )
        return max(len(partner_ids), 1), remaining

    def _finish(self):
        """Act on the scored population: won back, new alerts, escalations."""
        Alert = self.env["crm.churn.alert"]
        won = Alert._detect_won_back()
        Alert._refresh_open_windows(self.as_of)
        created, deferred = self._open_alerts()
        escalated = Alert._escalate(self.as_of)
        finished_at = fields.Datetime.now()
        self.write(
            {
                "state": "done",
                "alerts_won_back": len(won),
                "alerts_created": len(created),
                "alerts_deferred": deferred,
                "alerts_escalated": len(escalated),
                "finished_at": finished_at,
                "duration": (finished_at - self.started_at).total_seconds()
                if self.started_at
                else 0.0,
            }
        )

    def _pending_for(self, company, cap):
        """The company's pending customers: the ``cap`` first by
        ``scoring.alert_priority`` on their savable value at risk (risk ids,
        in that order), those who have an open alert already, and how many
        wait without one. Lost customers (``scoring.is_lost``) are win-back
        cases, not warnings: they get no new alert (an open one is still
        raised), and do not count as waiting.

        A first night on a large base makes hundreds of thousands pending:
        they stream past a bounded heap instead of being loaded and sorted.
        """
        pending = SQL(
            """
            SELECT r.id, r.level, COALESCE(r.value_at_risk, 0)::float8,
                   EXISTS (SELECT 1 FROM crm_churn_alert a
                            WHERE a.partner_id = r.partner_id
                              AND a.company_id = r.company_id
                              AND a.stage IN ('new', 'in_progress')),
                   r.lost IS TRUE
              FROM crm_churn_risk r
             WHERE r.company_id = %s AND r.alert_pending
               AND r.level IN ('high', 'critical')
               AND r.alert_pending_since >= %s
             ORDER BY r.id
            """,
            company.id,
            self.as_of - timedelta(days=PENDING_DAYS),
        )
        already_open, waiting = [], 0

        def fresh():
            nonlocal waiting
            for rows in stream(self.env.cr, pending):
                for risk_id, level, value, is_open, lost in rows:
                    if is_open:
                        already_open.append(risk_id)
                    elif not lost:
                        waiting += 1
                        yield risk_id, level, value

        rows = fresh()
        chosen = heapq.nsmallest(
            cap, rows, key=lambda row: scoring.alert_priority(row[1], row[2])
        )
        for _row in rows:  # with no room left, still count who waits
            pass
        return [row[0] for row in chosen], already_open, waiting

    def _open_alerts(self):
        """Open alerts for pending customers, up to each company's nightly cap,
        critical and most value at risk first. Returns (alerts, deferred
        count)."""
        Risk = self.env["crm.churn.risk"]
        Alert = self.env["crm.churn.alert"]
        Risk.flush_model()
        created = Alert.browse()
        deferred = 0
        for company in self.env["res.company"].search([]):
            cap = max(company.churn_alert_cap - self._created_today(company), 0)
            chosen, already_open, waiting = self._pending_for(company, cap)
            deferred += waiting - len(chosen)
            if not (chosen or already_open):
                continue
            details = {
                row[0]: row
                for row in self.env.execute_query(
                    SQL(
                        """
                        SELECT r.id, r.partner_id, r.score, r.level, r.reason_data,
                               COALESCE(pr.historic_clv, 0), r.value_at_risk
                          FROM crm_churn_risk r
                          LEFT JOIN crm_lifecycle_profile pr
                            ON pr.partner_id = r.partner_id
                           AND pr.company_id = r.company_id
                         WHERE r.id = ANY(%s)
                        """,
                        chosen + already_open,
                    )
                )
            }
            candidates = [
                {
                    "partner_id": row[1],
                    "company_id": company.id,
                    "score": row[2],
                    "level": row[3],
                    "reason_data": row[4],
                    "historic_clv": float(row[5]),
                    "value_at_risk": float(row[6] or 0.0),
                }
                for row in (details[risk_id] for risk_id in chosen + already_open)
            ]
            created |= Alert._open_for(candidates, self.as_of)
            self.env.execute_query(
                SQL(
                    "UPDATE crm_churn_risk SET alert_pending = FALSE"
                    " WHERE id = ANY(%s)",
                    chosen + already_open,
                )
            )
        # Customers the cap kept waiting for a week leave the queue (they stay
        # on the at-risk list): a first night on a large base, where everyone
        # at risk "rose", cannot feed alerts for years.
        self.env.execute_query(
            SQL(
                "UPDATE crm_churn_risk SET alert_pending = FALSE"
                " WHERE alert_pending AND alert_pending_since < %s",
                self.as_of - timedelta(days=PENDING_DAYS),
            )
        )
        Risk.invalidate_model(["alert_pending"])
        return created, deferred

    def _created_today(self, company):
        return self.env["crm.churn.alert"].search_count(
            [("company_id", "=", company.id), ("alert_date", "=", self.as_of)]
        )

    # ------------------------------------------------------------------
    # Demo data
    # ------------------------------------------------------------------

    @api.model
    def _load_demo_data(self):
        """Past alerts and tonight's run: see demo/demo_loader.py."""
        from ..demo import demo_loader

        return demo_loader.load(self.env)
