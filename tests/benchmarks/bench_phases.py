"""Where one nightly step spends its time, phase by phase, per batch.

    python3 tests/benchmarks/bench_phases.py --db <database> \\
        --addons-path <addons path> [--step lifecycle|churn] [--days-ago 0]

Runs the lifecycle run (or the churn run) dated ``--days-ago`` days before
today, as ``bench_nightly.py`` does (batches of 5,000, a commit after each),
on a database already scored on the night before, and times the methods
each batch goes through: reading the facts, computing, writing, the
histories and the partner mirror. cProfile (``bench_nightly.py
--profile``) shows one batch; this shows the whole night with no
profiler's overhead, so that a change to one phase can be measured by two
consecutive nights, with and without it. Each phase's time is also shown
divided by the number of batches (the cut points are computed once a run).
"""

import argparse
import time
from datetime import date, timedelta

from benchlib import odoo_env, phase_times

RUNS = {"lifecycle": "crm.lifecycle.run", "churn": "crm.churn.run"}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--step", choices=sorted(RUNS), default="lifecycle")
    parser.add_argument("--days-ago", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    with (
        odoo_env(args.db, args.addons_path) as env,
        phase_times(env, args.step) as spent,
    ):
        Run = env[RUNS[args.step]]
        as_of = date.today() - timedelta(days=args.days_ago)
        Run.search([("state", "=", "running")]).write({"state": "done"})
        Run.search([("as_of", "=", as_of)]).unlink()
        env.cr.commit()
        started = time.perf_counter()
        run = Run.create({"as_of": as_of})
        env.cr.commit()
        prepared = time.perf_counter() - started
        batches = 0
        while run.state == "running":
            run._process_batch(args.batch_size)
            env.cr.commit()  # as ir.cron does after every batch
            batches += 1
        total = time.perf_counter() - started
    print(
        f"{args.step} run {as_of}: {total:.1f} s, prepared in {prepared:.1f} s, "
        f"{batches} batches"
    )
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(
            f"  {label:50} {seconds:8.2f} s {1000 * seconds / max(batches, 1):8.1f} "
            "ms a batch"
        )


if __name__ == "__main__":
    main()
