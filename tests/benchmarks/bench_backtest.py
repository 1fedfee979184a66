"""How long the monthly churn backtest takes, and what it holds in memory.

    python3 tests/benchmarks/bench_backtest.py --addons-path <path> \\
        [--sizes 100000] [--template crm_bench_template] [--keep] \\
        [--out docs/BENCHMARKS_BACKTEST.md]

For each size, a copy of the benchmarks' template database filled by
``tests/generator.py --loyalty`` (four years of orders, about ten a
customer), then ``crm.churn.backtest._run_for`` on the main company, as the
monthly cron calls it: two replays of the whole clientele (the learning day
and the checked day: lifecycle facts, purchase model fit, signals and
scores as known on each day), the weights learned, the calibration fitted,
the figures written. Timed from the call to its commit; peak memory of the
process. Writes its own report (``docs/BENCHMARKS.md`` is rewritten by
``run_all.py``, which links to it).
"""

import argparse
import json
import os
import platform
import time
from datetime import date

import benchlib
import run_all

ROOT = run_all.ROOT


def measure(db, addons_path):
    with benchlib.odoo_env(db, addons_path) as env:
        company = env.ref("base.main_company")
        env.cr.commit()
        rss_before = benchlib.rss_mib()
        started = time.perf_counter()
        run = env["crm.churn.backtest"]._run_for(company)
        env.cr.commit()
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "rss_mib": benchlib.rss_mib(),
            "rss_before_mib": rss_before,
            "state": run.state,
            "customers": run.customer_count,
            "lost": run.lost_count,
            "auc": run.auc_score,
            "auc_prob_alive": run.auc_prob_alive,
            "auc_expected": run.auc_expected,
            "auc_current": run.auc_current,
            "auc_learned": run.auc_learned,
            "adopted": run.weights_adopted,
            "as_of": str(run.as_of),
            "fit_day": str(run.fit_day),
        }


def report(rows, args, started):
    machine = benchlib.machine()
    commit = benchlib.code_commit()
    lines = [
        "# Churn backtest benchmark",
        "",
        (
            f"Measured on {date.today()} with `python3 tests/benchmarks/"
            f"bench_backtest.py --sizes {args.sizes}` "
            f"({(time.time() - started) / 60:.0f} min with the data generation), "
            f"code of {commit}; machine: {machine['cpu']}, {machine['cores']} cores, "
            f"{machine['memory_gib']} GiB, PostgreSQL {machine['postgres']}; "
            f"Python {platform.python_version()}; load average "
            f"{args.load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end."
        ),
        "",
        (
            "The monthly backtest of one company (`crm.churn.backtest._run_for`, as "
            "the cron calls it): two replays of every customer (the learning day "
            "and the checked day, 180 and 360 days ago), each with its purchase "
            "model fit, facts, signals and scores as known that day, then the "
            "learned weights, the calibration and the figures. Data: "
            "`tests/generator.py --loyalty`, four years of orders."
        ),
        "",
        (
            "| Customers | Orders | Backtest | Peak memory of the process | "
            "Customers replayed | AUC (risk / probability alive / expected "
            "purchases) | Learned weights adopted |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        m = row["measure"]
        lines.append(
            f"| {row['data']['customers']:,} | {row['data']['orders']:,} | "
            f"{m['seconds']:.0f} s ({m['seconds'] / 60:.1f} min) | "
            f"{m['rss_mib']:.0f} MiB | {m['customers']:,} | "
            f"{m['auc']:.3f} / {m['auc_prob_alive']:.3f} / {m['auc_expected']:.3f} | "
            f"{'yes' if m['adopted'] else 'no'} |"
        )
    lines += [
        "",
        (
            "Target of the issue: in minutes at 100,000 customers / 1M orders on "
            "this 2-core machine. The AUCs are those of generated customers, whose "
            "story the generator draws from the BG/NBD model: they show the "
            "backtest ran, not how good the score is on real customers "
            "(see `docs/ACCURACY.md`)."
        ),
        "",
    ]
    with open(args.out, "w", encoding="utf-8") as report_file:
        report_file.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--template", default="crm_bench_template")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--measure", help="only measure this database")
    parser.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS_BACKTEST.md"))
    args = parser.parse_args()
    if args.measure:
        benchlib.emit(measure(args.measure, args.addons_path))
        return
    started = time.time()
    args.load_start = os.getloadavg()[0]
    run_all.make_template(args.template, args.addons_path)
    rows = []
    for size in (int(size) for size in args.sizes.split(",")):
        db = f"crm_bench_backtest_{size}"
        data = run_all.filled(args.template, db, size)
        measured = benchlib.measure_in_process(__file__, args.addons_path, db)
        rows.append({"data": data, "measure": measured})
        if not args.keep:
            run_all.drop(db)
        m = rows[-1]["measure"]
        print(
            f"backtest at {size:,} customers: {m['seconds']:.0f} s, "
            f"{m['rss_mib']:.0f} MiB, {m['customers']:,} customers replayed"
        )
        print(json.dumps({"size": size, **m}))
    report(rows, args, started)


if __name__ == "__main__":
    main()
