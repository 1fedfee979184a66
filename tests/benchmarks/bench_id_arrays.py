"""What naming a batch's ids as one literal saves the nightly facts statements.

    python3 tests/benchmarks/bench_id_arrays.py --db <database> \\
        --addons-path <addons path> [--batches 20] [--batch-size 5000] \\
        [--out docs/BENCHMARKS_ID_ARRAYS.md]

``--db``: a database filled by ``tests/generator.py --loyalty`` whose
lifecycle and churn nights have run (``bash scripts/bench_pos.sh --keep``
leaves ``<prefix>_100000_0``). For ``--batches`` batches of commercial
partners, as the nightly runs cut them, the lifecycle step's facts
statement (``crm.lifecycle.profile._facts_query``) and the churn step's
(``crm.churn.risk._gather_query``) are run with the batch's ids passed as
the suite passes them, one ``int4[]`` literal (``bulk_sql.int_array``), and
as psycopg2 sends a Python list, ``ARRAY[1, 2, ...]``: the two ways
alternately, batch after batch, each statement timed from the client
(parsing, planning, running and fetching its rows). Read only: nothing is
written.
"""

import argparse
import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path
from unittest.mock import patch

import benchlib

ROOT = Path(__file__).resolve().parents[2]
STATEMENTS = ("lifecycle facts", "churn facts")


def measure(env, batches, size):
    """Seconds per statement and way: {way: {statement: [seconds]}}."""
    from odoo.addons.crm_churn.models import crm_churn_risk
    from odoo.addons.crm_lifecycle import bulk_sql
    from odoo.addons.crm_lifecycle.models import crm_lifecycle_profile

    def as_list(ids):
        return list(ids)

    list_ways = [
        patch.object(module, "int_array", as_list)
        for module in (bulk_sql, crm_churn_risk, crm_lifecycle_profile)
    ]
    cr = env.cr
    cr.execute(
        "SELECT id FROM res_partner WHERE id = commercial_partner_id ORDER BY id"
    )
    customers = [row[0] for row in cr.fetchall()]
    companies = env["res.company"].sudo().search([])
    today = date.today()
    seconds = {way: {name: [] for name in STATEMENTS} for way in ("literal", "list")}
    for number in range(batches):
        ids = customers[number * size : (number + 1) * size]
        if not ids:
            break
        ways = ("literal", "list") if number % 2 else ("list", "literal")
        for way in ways:
            patches = list_ways if way == "list" else []
            for patcher in patches:
                patcher.start()
            try:
                queries = {
                    "lifecycle facts": env["crm.lifecycle.profile"]._facts_query(
                        today, ids
                    ),
                    "churn facts": env["crm.churn.risk"]._gather_query(
                        ids, today, companies
                    ),
                }
            finally:
                for patcher in patches:
                    patcher.stop()
            for name, query in queries.items():
                tick = time.perf_counter()
                env.execute_query(query)
                seconds[way][name].append(time.perf_counter() - tick)
    cr.rollback()
    return seconds


def report(args, seconds, started, load_start):
    machine = benchlib.machine()
    commit = benchlib.code_commit()
    batches = len(seconds["literal"]["churn facts"])
    lines = [
        "# A batch's ids as one literal",
        "",
        (
            f"Measured on {date.today()} with `python3 tests/benchmarks/"
            f"bench_id_arrays.py --db {args.db} --batches {args.batches}` "
            f"({time.time() - started:.0f} s), code of {commit}; machine: "
            f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} "
            f"GiB, PostgreSQL {machine['postgres']}; Python "
            f"{platform.python_version()}; load average {load_start:.1f} at the "
            f"start, {os.getloadavg()[0]:.1f} at the end."
        ),
        "",
        (
            "The nightly steps' facts statements for a batch of "
            f"{args.batch_size:,} customers (the steps' batch size), with the "
            "batch's ids as the suite names them, one `int4[]` literal "
            "(`bulk_sql.int_array`), and as psycopg2 sends a Python list, "
            "`ARRAY[1, 2, ...]`, which PostgreSQL parses as one expression per "
            "id and folds while planning, for each place the ids appear (six in "
            "each statement). The two ways alternately, batch after batch, in "
            "one process; each statement timed from the client: parsing, "
            "planning, running, fetching. Data: `tests/generator.py --loyalty`, "
            "four years of orders, its nights run."
        ),
        "",
        "| Statement | Batches | As a list | As one literal | Difference |",
        "|---|---|---|---|---|",
    ]
    for name in STATEMENTS:
        before = statistics.median(seconds["list"][name]) * 1000
        after = statistics.median(seconds["literal"][name]) * 1000
        lines.append(
            f"| {name} | {batches} | {before:.0f} ms | {after:.0f} ms | "
            f"{after - before:+.0f} ms ({100 * (after / before - 1):+.0f}%) |"
        )
    lines += ["", "Medians of the batches.", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS_ID_ARRAYS.md"))
    args = parser.parse_args()
    started, load_start = time.time(), os.getloadavg()[0]
    with benchlib.odoo_env(args.db, args.addons_path) as env:
        seconds = measure(env, args.batches, args.batch_size)
    report(args, seconds, started, load_start)


if __name__ == "__main__":
    main()
