import contextlib
import gc
import logging
import time
from datetime import timedelta

import psycopg2.errors
from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)
# What _claim_batch returns when another worker finished the batch it found.
RETRY = "retry"


@contextlib.contextmanager
def collector_paused():
    """Run the block without Python's cyclic garbage collector.

    A nightly batch keeps thousands of small dicts alive until it ends (the
    facts, the results, the rows to write). They push the collector into a
    full collection about once a batch, and a full collection walks every
    object of the process, the registry's included, to free none of them.
    Reference counting still frees the batch's objects as it goes; what
    cycles it leaves wait for the next collection after the block. The
    collector is switched back on only if it was on: a caller that paused
    it (another batch in another thread, Odoo's profiler) keeps it paused.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class CrmLifecycleBatchRun(models.AbstractModel):
    """The nightly engine: one pass of a step over every customer, in
    resumable batches, written once for every nightly step.

    A step is a concrete model that inherits this one and configures it by
    class attributes (as ``base_tier_validation`` is configured), then fills
    the hooks of what differs: which customers it counts and takes
    (``_count_customers``, ``_next_partner_ids``), what a batch does
    (``_run_batch``), what the run prepares before its first batch
    (``_prepare_vals``) and does after its last (``_finish_vals``). The
    run remembers the last customer id it finished, so that a crashed or
    timed-out cron call resumes after it; the cron calls
    ``_cron_nightly`` again while ``_notify_progress`` says work remains.
    """

    _name = "crm.lifecycle.batch.run"
    _description = "Nightly Batch Run"
    _order = "id desc"
    _rec_name = "as_of"

    # ir.config_parameter holding the batch size, and its default.
    _batch_size_param = None
    _batch_default_size = 5000
    # Run now: up to this many customers at once in the request, more by
    # the cron in the background.
    _batch_sync_limit = 10000
    # The step's cron (xmlid), triggered by Run now and by a wait.
    _batch_cron_xmlid = None
    # Steps (model names) that must be done tonight before this one starts:
    # while one of them runs, this step waits and comes back later.
    _batch_wait_for = ()
    _batch_wait_minutes = 15
    # The run's preparation is a cron call of its own (when it reads the
    # whole population, as the lifecycle's cut points do): with the first
    # batch on top it would be the longest transaction of the night.
    _batch_prepare_alone = False
    # Parallel query workers for a batch's statements (None: PostgreSQL's
    # setting). A batch reads a few thousand customers through indexes:
    # starting workers for each of its statements costs more than they
    # save, on cores the other cron workers need.
    _batch_parallel_workers = 0

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
    customers_total = fields.Integer("Customers", readonly=True)
    # Progress, read from the run's batches (crm.lifecycle.batch): each
    # worker writes only the batch it holds, never the run.
    cursor = fields.Integer(
        compute="_compute_progress",
        help="Last commercial partner id processed by this run.",
    )
    customers_done = fields.Integer("Customers done", compute="_compute_progress")
    rows_written = fields.Integer(
        "Rows written",
        compute="_compute_progress",
        help="Customers whose figures changed and were written.",
    )
    batch_count = fields.Integer("Batches", compute="_compute_progress")
    started_at = fields.Datetime("Started at", readonly=True)
    finished_at = fields.Datetime("Finished at", readonly=True)
    duration = fields.Float("Duration (s)", digits=(16, 1), readonly=True)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------

    @api.model
    def _cron_nightly(self, batch_size=None):
        """One step of tonight's work per cron call; nothing once tonight's
        run is done, so that the cron can run twice."""
        cron = self.env["ir.cron"]
        if self._batch_waiting():
            cron._notify_progress(done=0, remaining=0)
            self._trigger_cron(minutes=self._batch_wait_minutes)
            return
        starting = not self.search_count([("state", "=", "running")], limit=1)
        if starting and not self._done_today() and self._cron_before_run():
            # The hook used this call (one refit of the lifecycle's purchase
            # models...): come back for the run.
            cron._notify_progress(done=1, remaining=1)
            return
        run = self._current_run()
        if not run:
            cron._notify_progress(done=0, remaining=0)
            return
        if starting:
            self._trigger_workers()
        if starting and self._batch_prepare_alone:
            cron._notify_progress(done=0, remaining=run.customers_total)
            return
        done, remaining = run._process_batch(batch_size)
        cron._notify_progress(done=done, remaining=remaining)

    def action_run_now(self):
        """Managers' button: a fresh run, at once on small databases, in the
        background by the step's cron on larger ones."""
        self.check_access("create")
        today = fields.Date.context_today(self)
        abandoned = self.search([("state", "=", "running")])
        abandoned.write({"state": "done"})
        abandoned._compact_batches()
        run = self.create({"as_of": today, "forced": True})
        synchronous = run.customers_total <= self._batch_sync_limit
        if synchronous:
            while run.state == "running":
                done, _remaining = run._process_batch(self._batch_sync_limit)
                if not done:
                    break  # the batches left are held by a cron worker
        else:
            # Triggering needs write access on ir.cron, reserved to admins;
            # the caller was checked above for the right to start a run.
            self.sudo()._trigger_cron()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self._run_now_title(),
                "message": run._run_now_message(synchronous),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Hooks of the steps
    # ------------------------------------------------------------------

    @api.model
    def _cron_before_run(self):
        """Work done in cron calls of its own before tonight's run starts;
        returns True when it used this call."""
        return False

    def _prepare_vals(self):
        """What the run stores before its first batch."""
        return {
            "customers_total": self._count_customers(),
            "started_at": fields.Datetime.now(),
            "cursor": 0,
        }

    def _count_customers(self):
        """How many customers the run will go through (the progress shown
        to ir.cron)."""
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        query = SQL("SELECT COUNT(*) FROM (%s) c", self._customers_query(0))
        return self.env.execute_query(query)[0][0]

    def _next_partner_ids(self, batch_size):
        """The next batch: the ids after the cursor, in order."""
        query = self._customers_query(self.cursor, batch_size)
        return [row[0] for row in self.env.execute_query(query)]

    @api.model
    def _customers_query(self, after, limit=None, until=None):
        """The ids of the customers a run goes through: after ``after``, up
        to ``until`` (included) if given, in order and at most ``limit`` if
        given. Here every commercial partner."""
        return SQL(
            "SELECT id FROM res_partner WHERE id = commercial_partner_id"
            " AND id > %s %s %s",
            after,
            SQL("AND id <= %s", until) if until is not None else SQL(),
            SQL("ORDER BY id LIMIT %s", limit) if limit else SQL(),
        )

    @api.model
    def _profile_customers_query(self, after, limit=None, until=None):
        """``_customers_query`` of the steps that go through the customers
        with a lifecycle profile in some company (profiles exist for the
        customers with a purchase or a quotation)."""
        return SQL(
            "SELECT DISTINCT partner_id FROM crm_lifecycle_profile"
            " WHERE partner_id > %s %s %s",
            after,
            SQL("AND partner_id <= %s", until) if until is not None else SQL(),
            SQL("ORDER BY partner_id LIMIT %s", limit) if limit else SQL(),
        )

    def _run_batch(self, partner_ids):
        """Process these customers; return how many rows were written."""
        raise NotImplementedError

    def _finish_vals(self):
        """Work done once after the last batch (on the whole population);
        returns what the run stores with its end."""
        return {}

    def _run_now_title(self):
        return self._description

    def _run_now_message(self, synchronous):
        if synchronous:
            return self.env._("%(count)s customers done.", count=self.customers_done)
        return self.env._(
            "%(count)s customers will be done in the background.",
            count=self.customers_total,
        )

    # ------------------------------------------------------------------
    # The engine
    # ------------------------------------------------------------------

    def init(self):
        super().init()
        if self._abstract:
            return
        # One running run per step: two workers starting the night at once
        # cannot both create one (the second fails on this index and waits).
        # A database from before the index keeps its latest running run.
        table = SQL.identifier(self._table)
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s SET state = 'done'
                 WHERE state = 'running'
                   AND id < (SELECT MAX(id) FROM %(table)s WHERE state = 'running');
                CREATE UNIQUE INDEX IF NOT EXISTS %(index)s
                    ON %(table)s (state) WHERE state = 'running'
                """,
                table=table,
                index=SQL.identifier(f"{self._table}_one_running_idx"),
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        # A run closed in this transaction must be closed in the table before
        # the new one meets the one-running index.
        self.flush_model(["state"])
        runs = super().create(vals_list)
        for run in runs:
            run._prepare()
        return runs

    def _prepare(self):
        self.ensure_one()
        started = time.monotonic()
        self.write(self._prepare_vals())
        self._plan_batches(self._batch_size())
        _logger.info(
            "%s %s prepared in %.1fs for %s customers",
            self._description,
            self.as_of,
            time.monotonic() - started,
            self.customers_total,
        )

    def _plan_batches(self, batch_size):
        """Cut the customers into batches by id, in one statement. The
        batches cover every id, from 1 and with no upper bound on the last,
        so that a customer who appears during the run is not forgotten."""
        self.env.execute_query(
            SQL(
                """
                INSERT INTO crm_lifecycle_batch
                       (res_model, run_id, first_id, last_id, state, parts)
                SELECT %(model)s, %(run)s,
                       COALESCE(lag(MAX(id)) OVER (ORDER BY n) + 1, 1),
                       CASE WHEN n = MAX(n) OVER () THEN NULL ELSE MAX(id) END,
                       'todo', 1
                  FROM (SELECT c.id, (row_number() OVER (ORDER BY c.id) - 1)
                                     / %(size)s AS n
                          FROM (%(customers)s) c(id)) numbered
                 GROUP BY n
                """,
                model=self._name,
                run=self.id,
                size=batch_size,
                customers=self._customers_query(0),
            )
        )

    def _compute_progress(self):
        rows = {
            run_id: row
            for run_id, *row in self.env.execute_query(
                SQL(
                    """
                    SELECT run_id, MAX(last_done_id), SUM(customers),
                           SUM(rows_written), SUM(parts)
                      FROM crm_lifecycle_batch
                     WHERE res_model = %s AND run_id = ANY(%s) AND state = 'done'
                     GROUP BY run_id
                    """,
                    self._name,
                    self.ids,
                )
            )
        }
        for run in self:
            cursor, done, written, batches = rows.get(run.id, (0, 0, 0, 0))
            run.cursor = cursor or 0
            run.customers_done = done or 0
            run.rows_written = written or 0
            run.batch_count = batches or 0

    @api.model
    def _current_run(self):
        """The run in progress, else tonight's, new, unless it is done; an
        empty recordset also when another worker is creating it."""
        running = self.search([("state", "=", "running")], order="id", limit=1)
        if running:
            return running
        if self._done_today():
            return self.browse()
        try:
            with self.env.cr.savepoint():
                return self.create({"as_of": fields.Date.context_today(self)})
        except (psycopg2.errors.UniqueViolation, TransactionRollbackError):
            # Another worker created it first: its next call takes a batch.
            return self.browse()

    @api.model
    def _done_today(self):
        today = fields.Date.context_today(self)
        return bool(
            self.search_count([("as_of", "=", today), ("state", "=", "done")], limit=1)
        )

    @api.model
    def _batch_waiting(self):
        """A step this one waits for is still running."""
        return any(
            self.env[model].search_count([("state", "=", "running")], limit=1)
            for model in self._batch_wait_for
        )

    @api.model
    def _trigger_cron(self, minutes=0):
        cron = self._batch_cron_xmlid and self.env.ref(self._batch_cron_xmlid, False)
        if cron:
            cron._trigger(at=fields.Datetime.now() + timedelta(minutes=minutes))

    def _batch_size(self, batch_size=None):
        if batch_size:
            return batch_size
        if not self._batch_size_param:
            return self._batch_default_size
        # ir.config_parameter is readable by administrators only; the batch
        # size is no secret, and a manager's Run now needs it.
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(self._batch_size_param, self._batch_default_size)
        )

    def _claim_batch(self):
        """The next batch nobody holds, locked until this transaction ends:
        ``(id, first_id, last_id)``; None when every batch left is held by
        another worker; False when no batch is left; RETRY when the next
        one was finished by another worker since this transaction began."""
        try:
            with self.env.cr.savepoint():
                rows = self.env.execute_query(
                    SQL(
                        """
                        SELECT id, first_id, last_id FROM crm_lifecycle_batch
                         WHERE res_model = %s AND run_id = %s AND state = 'todo'
                         ORDER BY id LIMIT 1
                           FOR UPDATE SKIP LOCKED
                        """,
                        self._name,
                        self.id,
                    )
                )
        except TransactionRollbackError:
            # Done by another worker since this transaction's snapshot (as
            # ir.cron itself meets a job another worker just ran): the next
            # call, in a new transaction, sees it done.
            return RETRY
        if rows:
            return rows[0]
        return None if self._batches_left() else False

    def _batches_left(self, but=None):
        return self.env.execute_query(
            SQL(
                """
                SELECT COUNT(*) FROM crm_lifecycle_batch
                 WHERE res_model = %s AND run_id = %s AND state = 'todo'
                   AND id != %s
                """,
                self._name,
                self.id,
                but or 0,
            )
        )[0][0]

    def _take(self, batch, batch_size):
        """The ids of the claimed batch, at most ``batch_size``: a batch
        planned larger than that (a smaller size asked for) is cut, and the
        rest is a batch of its own, to do."""
        batch_id, first_id, last_id = batch
        partner_ids = [
            row[0]
            for row in self.env.execute_query(
                self._customers_query(first_id - 1, batch_size + 1, until=last_id)
            )
        ]
        if len(partner_ids) > batch_size:
            partner_ids = partner_ids[:batch_size]
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO crm_lifecycle_batch
                           (res_model, run_id, first_id, last_id, state, parts)
                    VALUES (%s, %s, %s, %s, 'todo', 1)
                    """,
                    self._name,
                    self.id,
                    partner_ids[-1] + 1,
                    last_id,
                )
            )
        return batch_id, partner_ids

    def _process_batch(self, batch_size=None):
        """The next batch of customers nobody else holds; the worker that
        does the last one also finishes the run. Returns (done, remaining)
        for ``_notify_progress``: (0, 0) when the batches left are all held
        by other workers, which finish the run."""
        self.ensure_one()
        batch_size = self._batch_size(batch_size)
        started = time.monotonic()
        batch = self._claim_batch()
        if batch is None:
            return 0, 0
        if batch == RETRY:
            # Nothing done, but ir.cron must call again: it stops a job
            # whose call reports no progress.
            return 1, 1
        if batch is False:
            self._finish()
            return 1, 0
        batch_id, partner_ids = self._take(batch, batch_size)
        written = 0
        if partner_ids:
            with collector_paused(), self._parallel_workers():
                written = self._run_batch(partner_ids)
        self.env.execute_query(
            SQL(
                """
                UPDATE crm_lifecycle_batch
                   SET state = 'done', customers = %s, rows_written = %s,
                       last_done_id = %s
                 WHERE id = %s
                """,
                len(partner_ids),
                written,
                partner_ids[-1] if partner_ids else None,
                batch_id,
            )
        )
        self.invalidate_recordset(self._progress_fields())
        left = self._batches_left()
        if not left:
            self._finish()
        remaining = (
            0 if not left else max(self.customers_total - self.customers_done, 1)
        )
        _logger.info(
            "%s %s: %s customers in %.2fs, %s written, %s remaining",
            self._description,
            self.as_of,
            len(partner_ids),
            time.monotonic() - started,
            written,
            remaining,
        )
        return max(len(partner_ids), 1), remaining

    @contextlib.contextmanager
    def _parallel_workers(self):
        """The batch's statements with ``_batch_parallel_workers``, the
        setting back afterwards (for the run's last step and the rest of
        the transaction)."""
        if self._batch_parallel_workers is None:
            yield
            return
        self.env.cr.execute(
            SQL(
                "SET LOCAL max_parallel_workers_per_gather = %s",
                int(self._batch_parallel_workers),
            )
        )
        yield
        # After a failure the transaction is rolled back, the setting with it.
        self.env.cr.execute(SQL("SET LOCAL max_parallel_workers_per_gather TO DEFAULT"))

    def _progress_fields(self):
        return ["cursor", "customers_done", "rows_written", "batch_count"]

    def _finish(self):
        """After the last batch: the step's work on the whole population,
        then the run is done. One worker only: the one that holds the run's
        row (another finishing at the same moment finds it held)."""
        try:
            with self.env.cr.savepoint():
                held = self.env.execute_query(
                    SQL(
                        "SELECT id FROM %s WHERE id = %s AND state = 'running'"
                        " FOR NO KEY UPDATE SKIP LOCKED",
                        SQL.identifier(self._table),
                        self.id,
                    )
                )
        except TransactionRollbackError:
            return
        if not held:
            return
        vals = self._finish_vals()
        self._compact_batches()
        finished_at = fields.Datetime.now()
        vals.update(
            state="done",
            finished_at=finished_at,
            duration=(finished_at - self.started_at).total_seconds()
            if self.started_at
            else 0.0,
        )
        self.write(vals)

    def _compact_batches(self):
        """A finished (or abandoned) run keeps one batch row with its
        figures instead of one per batch: a million customers make two
        hundred batches a step every night."""
        self.env.execute_query(
            SQL(
                """
                WITH gone AS (
                    DELETE FROM crm_lifecycle_batch
                     WHERE res_model = %(model)s AND run_id = ANY(%(runs)s)
                 RETURNING *
                )
                INSERT INTO crm_lifecycle_batch
                       (res_model, run_id, first_id, last_id, state, customers,
                        rows_written, last_done_id, parts)
                SELECT %(model)s, run_id, 1, NULL, 'done',
                       COALESCE(SUM(customers) FILTER (WHERE state = 'done'), 0),
                       COALESCE(SUM(rows_written) FILTER (WHERE state = 'done'), 0),
                       MAX(last_done_id) FILTER (WHERE state = 'done'),
                       COALESCE(SUM(parts) FILTER (WHERE state = 'done'), 0)
                  FROM gone
                 GROUP BY run_id
                """,
                model=self._name,
                runs=self.ids,
            )
        )
        self.invalidate_recordset(self._progress_fields())

    # ------------------------------------------------------------------
    # Several workers
    # ------------------------------------------------------------------

    @api.model
    def _steps(self):
        """The nightly steps: every concrete model on this engine."""
        return sorted(
            name
            for name in self.env.registry.descendants(
                ["crm.lifecycle.batch.run"], "_inherit"
            )
            if not self.env[name]._abstract
        )

    @api.model
    def _worker_crons(self):
        # Crons belong to the superuser; only the settings (administrators)
        # and the step's own cron reach here.
        return (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("model_id.model", "=", self._name),
                    ("code", "=like", "model._cron_nightly_worker(%"),
                ],
                order="id",
            )
        )

    @api.model
    def _sync_worker_crons(self, workers):
        """Keep ``workers - 1`` extra crons beside the step's own, each
        taking batches of the running run (``_cron_nightly_worker``); the
        others are switched off."""
        main = self._batch_cron_xmlid and self.env.ref(self._batch_cron_xmlid, False)
        if not main:
            return
        crons = self._worker_crons()
        wanted = max(workers - 1, 0)
        for number in range(len(crons), wanted):
            crons |= main.sudo().copy(
                {
                    "name": self.env._(
                        "%(name)s (worker %(number)s)",
                        name=main.name,
                        number=number + 2,
                    ),
                    "code": "model._cron_nightly_worker()",
                    "active": True,
                }
            )
        crons[:wanted].write({"active": True})
        crons[wanted:].write({"active": False})

    @api.model
    def _trigger_workers(self):
        """Wake the extra workers up as the night's run starts."""
        for cron in self._worker_crons().filtered("active"):
            cron._trigger()

    @api.model
    def _cron_nightly_worker(self, batch_size=None):
        """Entry point of an extra worker's cron: batches of the running run
        only (the step's own cron prepares and starts the night)."""
        cron = self.env["ir.cron"]
        run = self.search([("state", "=", "running")], order="id", limit=1)
        if not run or self._batch_waiting():
            cron._notify_progress(done=0, remaining=0)
            return
        done, remaining = run._process_batch(batch_size)
        cron._notify_progress(done=done, remaining=remaining)
