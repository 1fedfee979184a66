"""The nightly lifecycle run at scale, against the SQL floor, then the churn
warning when crm_churn is installed.

    python3 tests/benchmarks/bench_nightly.py --db <database> \\
        --addons-path <addons path> [--batch-size 5000]

Run it on a scratch database with the suite installed and filled by
``tests/generator.py``. Prints the wall time of the preparation (purchase
model fits, RFM cut points) and of the batches, the slowest batch, the SQL
queries, the peak memory, and the time of one hand-written SQL statement doing
the same aggregate, quintile scoring and write (the floor), with the ratio.
"""

import argparse
import os
import platform
import resource
import time
from datetime import date

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import config

FLOOR = """
CREATE TEMP TABLE floor_profile ON COMMIT DROP AS
WITH facts AS (
    SELECT p.commercial_partner_id AS partner_id, so.company_id,
           COUNT(*) AS orders, MIN(so.date_order) AS first_order,
           MAX(so.date_order) AS last_order,
           SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS revenue
      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
     WHERE so.state = 'sale'
     GROUP BY 1, 2
)
SELECT partner_id, company_id, orders, first_order, last_order, revenue,
       ntile(5) OVER (PARTITION BY company_id ORDER BY last_order) AS r,
       ntile(5) OVER (PARTITION BY company_id ORDER BY orders) AS f,
       ntile(5) OVER (PARTITION BY company_id ORDER BY revenue) AS m
  FROM facts
"""


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument(
        "--refit",
        action="store_true",
        help="force the weekly purchase-model refit (new predictions for everyone)",
    )
    args = parser.parse_args()
    config.parse_config(["--addons-path", args.addons_path, "-d", args.db])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("SELECT COUNT(*) FROM sale_order")
        orders = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE id = commercial_partner_id")
        partners = cr.fetchone()[0]
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores; "
            f"{partners} commercial partners, {orders} orders"
        )
        Run = env["crm.lifecycle.run"]
        Run.search([("state", "=", "running")]).write({"state": "done"})
        Run.search([("as_of", "=", date.today())]).unlink()
        if args.refit:
            env["crm.purchase.model"].search([]).write({"fit_date": "2000-01-01"})
        cr.commit()
        memory_before = rss_mib()
        queries_before = cr.sql_log_count
        started = time.perf_counter()
        run = Run.create({"as_of": date.today()})
        cr.commit()
        prepared = time.perf_counter()
        batches = []
        while run.state == "running":
            tick = time.perf_counter()
            run._process_batch(args.batch_size)
            cr.commit()  # as ir.cron does after every batch
            batches.append(time.perf_counter() - tick)
        finished = time.perf_counter()
        queries = cr.sql_log_count - queries_before
        total = finished - started
        print(f"prepare (fits + RFM cut points): {prepared - started:.1f} s")
        print(
            f"batches: {len(batches)} x {args.batch_size}, "
            f"slowest {max(batches):.2f} s, total {finished - prepared:.1f} s"
        )
        print(
            f"nightly run: {total:.1f} s, {queries} SQL queries, "
            f"peak RSS {rss_mib():.0f} MiB (+{rss_mib() - memory_before:.0f} MiB), "
            f"{run.profiles_written} profiles written"
        )
        tick = time.perf_counter()
        cr.execute(FLOOR)
        floor = time.perf_counter() - tick
        cr.rollback()
        print(
            f"SQL floor (aggregate + ntile scoring, one statement): {floor:.1f} s; "
            f"ratio {total / floor:.1f}x"
        )
        if "crm.churn.run" in env:
            bench_churn(env, cr, args.batch_size)


def bench_churn(env, cr, batch_size):
    """The churn warning that follows the lifecycle run: scores, then alerts."""
    Run = env["crm.churn.run"]
    Run.search([("state", "=", "running")]).write({"state": "done"})
    Run.search([("as_of", "=", date.today())]).unlink()
    cr.commit()
    memory_before = rss_mib()
    queries_before = cr.sql_log_count
    started = time.perf_counter()
    run = Run.create({"as_of": date.today()})
    cr.commit()
    batches = []
    while run.state == "running":
        tick = time.perf_counter()
        run._process_batch(batch_size)
        cr.commit()  # as ir.cron does after every batch
        batches.append(time.perf_counter() - tick)
    total = time.perf_counter() - started
    queries = cr.sql_log_count - queries_before
    print(
        f"churn run: {total:.1f} s, {len(batches)} batches (slowest "
        f"{max(batches):.2f} s, the last one opens the alerts), {queries} SQL "
        f"queries, +{rss_mib() - memory_before:.0f} MiB; {run.customers_done} "
        f"customers, {run.rows_written} scores written, {run.alerts_created} "
        f"alerts, {run.alerts_deferred} deferred by the cap"
    )


if __name__ == "__main__":
    main()
