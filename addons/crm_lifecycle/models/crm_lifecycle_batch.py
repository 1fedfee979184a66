from odoo import fields, models
from odoo.tools import SQL


class CrmLifecycleBatch(models.Model):
    """A slice of a nightly run's customers (by id), taken by one cron worker
    at a time.

    A run plans its batches when it is prepared; each worker takes the next
    batch nobody holds (``FOR UPDATE SKIP LOCKED``), so that the threads of
    one server and the crons of several servers share a night. The lock is
    the claim: it lasts as long as the worker's transaction, so that the
    batch of a worker that crashed is free again, still to do, for the next
    one. What a batch did is kept on its row, written by the worker that
    holds it, and the run's progress is read from its batches: two workers
    never write the same row.
    """

    _name = "crm.lifecycle.batch"
    _description = "Nightly Run Batch"
    _order = "id"
    _log_access = False

    res_model = fields.Char("Step", required=True, readonly=True)
    run_id = fields.Integer("Run of the step", required=True, readonly=True)
    first_id = fields.Integer(
        "From customer id", required=True, readonly=True, help="Included."
    )
    last_id = fields.Integer(
        "To customer id",
        readonly=True,
        help="Included; empty: to the last customer, those added since the "
        "run was planned included.",
    )
    state = fields.Selection(
        [("todo", "To do"), ("done", "Done")],
        default="todo",
        required=True,
        readonly=True,
    )
    customers = fields.Integer("Customers done", readonly=True)
    rows_written = fields.Integer("Rows written", readonly=True)
    last_done_id = fields.Integer("Last customer done", readonly=True)
    parts = fields.Integer(
        "Batches",
        default=1,
        readonly=True,
        help="Batches this row stands for (the runs before batches had rows "
        "have one row each).",
    )

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crm_lifecycle_batch_run_idx"
                " ON crm_lifecycle_batch (res_model, run_id, state)"
            )
        )


def migrate_run_progress(cr, model, table):
    """The runs of a step made before batches had rows (their progress
    stored on the run, in columns the update leaves in place) get them:
    used by the migrations of every addon whose step runs on the engine."""
    cr.execute(
        SQL(
            """
            SELECT COUNT(*) FROM information_schema.columns
             WHERE table_name = %s
               AND column_name IN ('cursor', 'customers_done', 'rows_written',
                                   'batch_count')
            """,
            table,
        )
    )
    if cr.fetchone()[0] < 4:
        return
    # What each run did, as one done batch; a run still going on gets the
    # rest of its customers, after its cursor, as a batch to do.
    cr.execute(
        SQL(
            """
            WITH runs AS (
                SELECT r.* FROM %(table)s r
                 WHERE NOT EXISTS (SELECT 1 FROM crm_lifecycle_batch b
                                    WHERE b.res_model = %(model)s
                                      AND b.run_id = r.id)
            )
            INSERT INTO crm_lifecycle_batch
                   (res_model, run_id, first_id, last_id, state, customers,
                    rows_written, last_done_id, parts)
            SELECT %(model)s, id, 1, COALESCE(cursor, 0), 'done',
                   COALESCE(customers_done, 0), COALESCE(rows_written, 0),
                   NULLIF(cursor, 0), GREATEST(COALESCE(batch_count, 0), 1)
              FROM runs
             UNION ALL
            SELECT %(model)s, id, COALESCE(cursor, 0) + 1, NULL, 'todo',
                   0, 0, NULL, 1
              FROM runs WHERE state = 'running'
            """,
            model=model,
            table=SQL.identifier(table),
        )
    )
