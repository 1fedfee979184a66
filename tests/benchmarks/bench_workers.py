"""The usual night's lifecycle and churn steps shared by several cron workers.

    python3 tests/benchmarks/bench_workers.py --db <database> \\
        --addons-path <addons path> --workers 2 [--days-ago 2]

On a database already scored on the night before (a copy of the one
``bench_nightly.py`` left after its first night), each step's run is
prepared in this process, as the step's own cron does, then ``--workers``
processes take its batches at once, as the extra workers' crons do
(``_cron_nightly_worker``: ``FOR UPDATE SKIP LOCKED``, a commit after each
batch), until the run is done. Prints each step's wall time from the
preparation to the run's end; the last line holds the figures as JSON for
``run_all.py``.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta

from benchlib import emit, odoo_env, settle

STEPS = ("crm.lifecycle.run", "crm.churn.run")


def work(db, addons_path, model):
    """One worker: batches of the running run until none is left for it."""
    with odoo_env(db, addons_path) as env:
        Run = env[model]
        calls = 0
        while True:
            run = Run.search([("state", "=", "running")], limit=1)
            if not run:
                break
            done, remaining = run._process_batch()
            env.cr.commit()  # as ir.cron does after every call
            if not done:
                break
            calls += 1
            if not remaining:
                break
        print(calls, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days-ago", type=int, default=2)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:
        work(args.db, args.addons_path, args.work)
        return
    as_of = date.today() - timedelta(days=args.days_ago)
    settle(args.db)
    figures = {"workers": args.workers, "steps": {}}
    with odoo_env(args.db, args.addons_path) as env:
        for model in STEPS:
            Run = env[model]
            Run.search([("state", "=", "running")]).write({"state": "done"})
            Run.search([("as_of", "=", as_of)]).unlink()
            env.cr.commit()
            started = time.perf_counter()
            run = Run.create({"as_of": as_of})
            env.cr.commit()
            command = [
                sys.executable,
                os.path.abspath(__file__),
                "--db",
                args.db,
                "--addons-path",
                args.addons_path,
                "--work",
                model,
            ]
            workers = [
                subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
                for _ in range(args.workers)
            ]
            taken = [int(worker.communicate()[0].split()[-1]) for worker in workers]
            seconds = time.perf_counter() - started
            env.invalidate_all()
            env.cr.rollback()  # a fresh snapshot, after the workers' commits
            run = Run.browse(run.id)
            assert run.state == "done", f"{model}: the workers left the run unfinished"
            figures["steps"][model] = {
                "seconds": seconds,
                "calls": taken,
                "customers": run.customers_done,
                "written": run.rows_written,
            }
            print(
                f"{model}: {seconds:.1f} s with {args.workers} workers, calls "
                f"{taken}, {run.customers_done} customers, {run.rows_written} written"
            )
    figures["seconds"] = sum(step["seconds"] for step in figures["steps"].values())
    print(f"lifecycle and churn steps: {figures['seconds']:.1f} s")
    emit(figures)


if __name__ == "__main__":
    main()
