"""A churn run in a separate process, for tests/test_faults.py.

Modes:
- ``baseline``: a whole run in one transaction, rolled back; prints the result.
- ``crash``: batches committed one by one as ir.cron does, then the process
  kills itself with SIGKILL in the middle of batch ``--crash-at``, after its
  scores were written but before the commit.
- ``resume``: finishes the running run, commits, prints the result.
- ``restart``: like ``crash``, but in the middle of batch ``--crash-at`` the
  database server goes away (see :func:`restart_postgres`) instead of the
  process; the worker's next statement fails and it exits.
- ``expire-restart``: the loyalty expiry cron, interrupted the same way in
  the middle of a batch (cards debited, entries not yet written).
- ``expire-resume``: runs the expiry to the end; prints what the ledger
  reconciliation finds.
- ``start``: a churn run planned in batches of ``--batch-size``, committed,
  for several ``work`` processes at once.
- ``work``: one cron worker: takes batches of the running run and commits
  each, as ir.cron does, until none is left for it (``--slow`` seconds in
  each batch make workers overlap; ``--crash-at`` kills it with SIGKILL in
  the middle of that batch); prints how many batches it did.
- ``result``: prints the last run's result and its batches.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date

import psycopg2

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL, config


def result(env, run):
    rows = env.execute_query(
        SQL(
            "SELECT partner_id, company_id, score, level, alert_pending"
            " FROM crm_churn_risk ORDER BY 1, 2"
        )
    )
    alerts = env.execute_query(
        SQL(
            "SELECT partner_id, company_id, level FROM crm_churn_alert"
            " WHERE alert_date = %s AND stage IN ('new', 'in_progress')"
            " ORDER BY 1, 2",
            run.as_of,
        )
    )
    return {
        "risks": [list(r) for r in rows],
        "alerts": [list(a) for a in alerts],
        "customers_done": run.customers_done,
        "batches": run.batch_count,
    }


def restart_postgres(cr):
    """Take the database server away under a running transaction.

    With ``CRM_SUITE_PG_CLUSTER`` ("<version> <name>", set by scripts/test.sh
    when it may manage the local cluster) the cluster is restarted in
    immediate mode: no checkpoint, crash recovery on start, every connection
    dropped. Without it, this process's server backend is terminated, which
    is what a restart looks like from the process's side.
    """
    cluster = os.environ.get("CRM_SUITE_PG_CLUSTER")
    print(json.dumps({"interrupted": "restart" if cluster else "terminate"}))
    sys.stdout.flush()
    if cluster:
        version, name = cluster.split()
        subprocess.run(
            ["pg_ctlcluster", version, name, "restart", "-m", "immediate"], check=True
        )
        return
    backend = cr.connection.get_backend_pid()
    conn = psycopg2.connect(cr.connection.dsn)
    conn.autocommit = True
    with conn.cursor() as other:
        other.execute("SELECT pg_terminate_backend(%s)", (backend,))
    conn.close()


def expire(env, args):
    Entry = env["crm.loyalty.entry"]
    if args.mode == "expire-restart":
        keys = type(Entry)._expiry_keys
        batch = {"n": 0}

        def interrupt_after_cards(self, lot_ids):
            # The cards of the batch are debited, its entries not yet written.
            batch["n"] += 1
            if batch["n"] == args.crash_at:
                restart_postgres(env.cr)
            return keys(self, lot_ids)

        type(Entry)._expiry_keys = interrupt_after_cards
    while Entry._cron_expire(limit=args.batch_size):
        env.cr.commit()  # as ir.cron does after every batch
    env.cr.commit()
    open_lapsed = env.execute_query(
        SQL(
            "SELECT COUNT(*) FROM crm_loyalty_lot"
            " WHERE expiry_date < current_date AND remaining > 0"
        )
    )[0][0]
    print(
        json.dumps(
            {
                "differences": len(Entry._reconcile()),
                "open_lapsed": open_lapsed,
            }
        )
    )


def parallel(env, args):
    Run = env["crm.churn.run"]
    params = env["ir.config_parameter"]
    if args.mode == "start":
        Run.search([("state", "=", "running")]).write({"state": "done"})
        params.set_param("crm_churn.batch_size", args.batch_size)
        run = Run.create({"as_of": date.today()})
        env.cr.commit()
        print(json.dumps({"run": run.id, "batches": batches(env, run)["todo"]}))
        return
    run = Run.search([], order="id desc", limit=1)
    if args.mode == "result":
        params.set_param("crm_churn.batch_size", False)
        env.cr.commit()
        print(json.dumps({**result(env, run), **batches(env, run)}))
        return
    score = type(env["crm.churn.risk"])._score_partners
    taken = {"n": 0}

    def slow_score(self, partner_ids, as_of=None):
        taken["n"] += 1
        written = score(self, partner_ids, as_of)
        if taken["n"] == args.crash_at:
            # Scores written, batch not done, nothing committed.
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(args.slow)
        return written

    type(env["crm.churn.risk"])._score_partners = slow_score
    while True:
        done, remaining = Run.browse(run.id)._process_batch()
        env.cr.commit()  # as ir.cron does after every call
        if not done or not remaining:
            break
    print(json.dumps({"batches": taken["n"]}))


def batches(env, run):
    rows = env.execute_query(
        SQL(
            "SELECT state, COUNT(*) FROM crm_lifecycle_batch"
            " WHERE res_model = 'crm.churn.run' AND run_id = %s GROUP BY state",
            run.id,
        )
    )
    counts = dict(rows)
    return {"todo": counts.get("todo", 0), "done": counts.get("done", 0)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "mode",
        choices=[
            "start",
            "work",
            "result",
            "baseline",
            "crash",
            "resume",
            "restart",
            "expire-restart",
            "expire-resume",
        ],
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--batch-size", type=int, default=40)
    parser.add_argument("--crash-at", type=int, default=3)
    parser.add_argument("--slow", type=float, default=0.0)
    args, rest = parser.parse_known_args()
    config.parse_config(["--addons-path", args.addons_path, "-d", args.db, *rest])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if args.mode.startswith("expire"):
            expire(env, args)
            return
        Run = env["crm.churn.run"]
        if args.mode in ("start", "work", "result"):
            parallel(env, args)
            return
        if args.mode == "resume":
            run = Run.search([("state", "=", "running")], limit=1)
            assert run, "no interrupted run to resume"
            while run.state == "running":
                run._process_batch(args.batch_size)
                cr.commit()
            print(json.dumps(result(env, run)))
            return
        Run.search([("state", "=", "running")]).write({"state": "done"})
        run = Run.create({"as_of": date.today()})
        if args.mode == "baseline":
            while run.state == "running":
                run._process_batch(args.batch_size)
            print(json.dumps(result(env, run)))
            cr.rollback()
            return
        cr.commit()
        Risk = type(env["crm.churn.risk"])
        write_mirror = Risk._write_partner_mirror
        batch = {"n": 0}

        def crash_after_scores(self, rows, gone=()):
            batch["n"] += 1
            if batch["n"] == args.crash_at:
                sys.stdout.flush()
                if args.mode == "restart":
                    restart_postgres(self.env.cr)
                else:
                    os.kill(os.getpid(), signal.SIGKILL)
            return write_mirror(self, rows, gone)

        Risk._write_partner_mirror = crash_after_scores
        while run.state == "running":
            run._process_batch(args.batch_size)
            cr.commit()  # as ir.cron does after every batch
        print(json.dumps({"error": "the run finished before the crash"}))


if __name__ == "__main__":
    main()
