"""A churn run in a separate process, for tests/test_faults.py.

Modes:
- ``baseline``: a whole run in one transaction, rolled back; prints the result.
- ``crash``: batches committed one by one as ir.cron does, then the process
  kills itself with SIGKILL in the middle of batch ``--crash-at``, after its
  scores were written but before the commit.
- ``resume``: finishes the running run, commits, prints the result.
"""

import argparse
import json
import os
import signal
import sys
from datetime import date

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["baseline", "crash", "resume"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--batch-size", type=int, default=40)
    parser.add_argument("--crash-at", type=int, default=3)
    args, rest = parser.parse_known_args()
    config.parse_config(["--addons-path", args.addons_path, "-d", args.db, *rest])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Run = env["crm.churn.run"]
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
                os.kill(os.getpid(), signal.SIGKILL)
            return write_mirror(self, rows, gone)

        Risk._write_partner_mirror = crash_after_scores
        while run.state == "running":
            run._process_batch(args.batch_size)
            cr.commit()  # as ir.cron does after every batch
        print(json.dumps({"error": "the run finished before the crash"}))


if __name__ == "__main__":
    main()
