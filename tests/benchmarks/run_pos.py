"""Run the Point of Sale benchmarks and write docs/BENCHMARKS_POS.md.

    bash scripts/bench_pos.sh [--sizes 10000,100000] [--orders 200] \\
        [--base <database with sale_management and point_of_sale>] [--keep]

(``scripts/bench_pos.sh`` passes the addons path; this script can also be
run directly with ``--addons-path``.) Two measures:

* the till's server calls for a paid member order (``sync_from_ui`` then
  ``confirm_coupon_programs``), stock ``pos_loyalty`` against the suite,
  ``bench_pos_sync.py``, in two databases built the same way from
  ``--base`` (or from scratch: ``sale_management`` and ``point_of_sale``
  with demo data): the stock one with ``pos_loyalty``, the suite's with
  ``pos_loyalty``, ``crm_lifecycle``, ``crm_loyalty`` and ``crm_churn``
  (``crm_lifecycle_pos`` and ``crm_loyalty_pos`` install themselves), for a
  storable product (a picking per order) and a service (none);
* the nightly run (``bench_nightly.py``: the first night after the load,
  then the usual night) on copies of the suite's database filled by
  ``tests/generator.py --loyalty`` at each size, without and with a share of
  customers buying at the till (``--pos-share``), one right after the other.

docs/BENCHMARKS.md is written by ``run_all.py`` as a whole, from
docs/benchmarks.json (tests/test_bench_report.py checks that nobody edits
it): this report is a file of its own. The scratch databases are dropped
unless ``--keep``.
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import generator
from benchlib import code_commit, machine, parse
from run_all import drop, exists, log, odoo_version

STOCK = "sale_management,point_of_sale,pos_loyalty"
SUITE = STOCK + ",crm_lifecycle,crm_loyalty,crm_churn"


def bench(script, *args):
    """Run a benchmark script, echo its lines, return its figures."""
    command = [sys.executable, str(HERE / script), *args]
    log(" ".join(command[1:]))
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        if not line.startswith("FIGURES "):
            print(f"    {line}", file=sys.stderr)
    if result.returncode:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{script} failed")
    return parse(result.stdout)


def nightly(db, addons_path, *extra):
    return bench("bench_nightly.py", "--db", db, "--addons-path", addons_path, *extra)


def filestore(db):
    return Path.home() / ".local/share/Odoo/filestore" / db


def copy_db(source, db):
    drop(db)
    shutil.rmtree(filestore(db), ignore_errors=True)
    subprocess.run(["createdb", "-T", source, db], check=True)
    if filestore(source).is_dir():
        shutil.copytree(filestore(source), filestore(db))


def drop_db(db):
    drop(db)
    shutil.rmtree(filestore(db), ignore_errors=True)


def install(db, modules, addons_path):
    log(f"installing {modules} in {db}")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "odoo",
            "-d",
            db,
            f"--addons-path={addons_path}",
            "-i",
            modules,
            "--stop-after-init",
            "--log-level=warn",
            "--http-port=0",
            "--max-cron-threads=0",
        ],
        check=True,
    )


def databases(args):
    """The stock database and the suite's template, built the same way."""
    stock, suite = f"{args.prefix}_stock", f"{args.prefix}_suite_tpl"
    for db, modules in ((stock, STOCK), (suite, SUITE)):
        if exists(db) and args.reuse:
            log(f"{db} exists, reused")
            continue
        if args.base:
            copy_db(args.base, db)
        else:
            drop_db(db)
        install(db, modules, args.addons_path)
    return stock, suite


def count(db, sql):
    conn = psycopg2.connect(dbname=db)
    try:
        with conn.cursor() as cr:
            cr.execute(sql)
            return cr.fetchone()[0]
    finally:
        conn.close()


def filled(template, db, customers, share, years):
    copy_db(template, db)
    conn = psycopg2.connect(dbname=db)
    try:
        started = time.perf_counter()
        partner_ids, orders = generator.generate(
            conn, customers, years=years, pos_share=share
        )
        cards, lots = generator.generate_loyalty(conn, partner_ids)
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    till = count(db, "SELECT COUNT(*) FROM pos_order WHERE name LIKE 'GEN/P%'")
    buyers = count(
        db, "SELECT COUNT(DISTINCT partner_id) FROM pos_order WHERE name LIKE 'GEN/P%'"
    )
    return {
        "customers": customers,
        "pos_share": share,
        "orders": orders,
        "pos_orders": till,
        "pos_customers": buyers,
        "cards": cards,
        "lots": lots,
        "seconds": seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--products", default="storable,service")
    parser.add_argument("--pos-share", type=float, default=generator.POS_SHARE)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument(
        "--base",
        help="copy this database (sale_management and point_of_sale installed, "
        "demo data) instead of creating one",
    )
    parser.add_argument("--prefix", default="crm_bench_pos")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the installed databases"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS_POS.md"))
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--merge",
        help="an earlier run's --json: its nightly figures (or its till's, "
        "where this run measured none) join this report",
    )
    parser.add_argument(
        "--code-label",
        help="what code was measured, where this tree is no git checkout "
        "(default: the commit, and whether the tree has uncommitted changes)",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    results = {
        "date": date.today().isoformat(),
        "command": "bash scripts/bench_pos.sh "
        + shlex.join(
            arg
            for i, arg in enumerate(sys.argv[1:], 1)
            if "--addons-path" not in (arg, sys.argv[i - 1])
        ),
        "machine": machine(),
        "load_start": os.getloadavg(),
        "odoo": odoo_version(args.addons_path),
        "commit": args.code_label or code_commit(),
        "sync": [],
        "nightly": [],
    }
    stock, template = databases(args)
    suite = f"{args.prefix}_suite"
    scratch = [stock, template, suite]
    copy_db(template, suite)
    for product in [p for p in args.products.split(",") if p]:
        results["sync"].append(
            bench(
                "bench_pos_sync.py",
                "--stock-db",
                stock,
                "--suite-db",
                suite,
                "--orders",
                str(args.orders),
                "--warmup",
                str(args.warmup),
                "--product",
                product,
                "--queries",
                "--member-info",
                "--parts",
                "50",
                "--addons-path",
                args.addons_path,
            )
        )
    for size in [int(size) for size in args.sizes.split(",") if size]:
        for share in (0.0, args.pos_share):
            db = f"{args.prefix}_{size}_{round(share * 100)}"
            scratch.append(db)
            log(f"{size} customers, {share:.0%} at the till: generating {db}")
            row = {"data": filled(template, db, size, share, args.years)}
            row["first"] = nightly(db, args.addons_path, "--days-ago", "3")
            row["usual"] = nightly(db, args.addons_path, "--days-ago", "2")
            results["nightly"].append(row)
            if not args.keep:
                drop_db(db)
    if args.merge:
        earlier = json.loads(Path(args.merge).read_text(encoding="utf-8"))
        for key in ("sync", "nightly"):
            if not results[key] and earlier[key]:
                results[key] = earlier[key]
                results.setdefault("merged", {})[key] = {
                    name: earlier[name]
                    for name in ("date", "command", "commit", "seconds")
                }
    results["seconds"] = time.perf_counter() - started
    results["load_end"] = os.getloadavg()
    out = Path(args.out)
    out.write_text(render(results), encoding="utf-8")
    if args.json:
        Path(args.json).write_text(
            json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8"
        )
    log(f"wrote {out} in {results['seconds'] / 60:.0f} min")
    if not args.keep:
        for db in scratch:
            drop_db(db)


# ---------------------------------------------------------------------------
# docs/BENCHMARKS_POS.md
# ---------------------------------------------------------------------------


def verdict(ok):
    return "**met**" if ok else "**NOT met**"


def sync_section(rows):
    lines = [
        "## The till's calls for a paid member order",
        "",
        (
            "`bench_pos_sync.py`: per order, `pos.order.sync_from_ui([order])` then "
            "`confirm_coupon_programs(coupon_data)` with the card's points won, as "
            "the till sends them on payment, each as a request of its own (the "
            "administrator, an empty record cache, warm ormcaches; timed up to its "
            "last flush, the commit follows), in the stock database and in the "
            "suite's, alternately order after order in one process. Members of a "
            "loyalty programme (a point per currency unit) with a card, at the demo "
            "till *Furniture Shop*, one line paid in cash; in the suite's database "
            "the programme is ledger-managed, the company counts POS orders and "
            "updates its customers in the background (the default). Both databases "
            "hold as many sale order lines: the stock one gets quotations for the "
            "suite's demo orders, which stock `sale_loyalty` would otherwise scan "
            "in the suite's database only, on every confirmation (a programme's "
            "order count)."
        ),
        "",
        (
            "| Product | Orders (after warm-up) | Stock `pos_loyalty` | With the suite "
            "| Difference (medians) | Median of the per-order differences "
            "| With the two commits: stock / suite / per-order difference "
            "| Queries: stock / suite / difference |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in rows:
        stock, suite = f["stock"], f["suite"]
        lines.append(
            f"| {f['product']} | {f['orders']} ({f['warmup']}) "
            f"| {stock['median_ms']:.1f} ms (sync {stock['sync_ms']:.1f}, "
            f"confirm {stock['confirm_ms']:.1f}) "
            f"| {suite['median_ms']:.1f} ms (sync {suite['sync_ms']:.1f}, "
            f"confirm {suite['confirm_ms']:.1f}) "
            f"| {f['extra_ms']:+.1f} ms ({f['extra_percent']:+.1f}%) "
            f"| {f['paired_ms']:+.1f} ms ({f['paired_percent']:+.1f}%; sync "
            f"{f['paired_sync_ms']:+.1f}, confirm {f['paired_confirm_ms']:+.1f}) "
            f"| {stock['with_commits_ms']:.1f} / {suite['with_commits_ms']:.1f} ms / "
            f"{f['paired_with_commits_ms']:+.1f} ms "
            f"({f['paired_with_commits_percent']:+.1f}%; commits "
            f"{f['paired_commits_ms']:+.1f}) "
            f"| {stock['sync_queries']:.0f} + {stock['confirm_queries']:.0f} = "
            f"{stock['median_queries']:.0f} / {suite['sync_queries']:.0f} + "
            f"{suite['confirm_queries']:.0f} = {suite['median_queries']:.0f} / "
            f"{f['extra_queries']:+.0f} |"
        )
    lines += [
        "",
        "Against the targets (at most +10% time, at most +5 queries per order):",
        "",
    ]
    for f in rows:
        lines.append(
            f"- {f['product']}: time {f['extra_percent']:+.1f}% (medians), "
            f"{f['paired_percent']:+.1f}% (per-order differences) "
            f"{verdict(f['time_met'])}; with the commits, what the till waits "
            f"for, {f['paired_with_commits_percent']:+.1f}% "
            f"{verdict(f['paired_with_commits_percent'] <= f['target_percent'])}; "
            f"queries {f['extra_queries']:+.0f} {verdict(f['queries_met'])}."
        )
    for f in rows:
        info = f.get("member_info")
        if info:
            lines.append(
                f"- {f['product']}: the suite's call when the cashier selects "
                "the member (`pos.config.crm_loyalty_member_info`: tier, "
                "balance, points expiring within 30 days, today's multipliers; "
                "stock `pos_loyalty` reads the member's cards then too), "
                f"{info['median_ms']:.1f} ms / {info['median_queries']:.0f} "
                f"queries, {info['with_commit_ms']:.1f} ms with its commit. It is "
                "not on the sale's path: after the sale the till works the "
                "receipt's balance and expiring points out from the "
                "confirmation's answer, with no third call (the tour "
                "`crm_loyalty_pos_tour` counts the calls)."
            )
    first = rows[0]
    if first.get("parts"):
        lines += [
            "",
            (
                f"Where the suite's time goes ({first['product']}, median of 50 more "
                "orders in the suite's database, each step timed on every call):"
            ),
            "",
            "| Step | Median time | Median SQL queries |",
            "|---|---|---|",
        ]
        for label, part in first["parts"].items():
            lines.append(
                f"| {label} | {part['median_ms']:.2f} ms | "
                f"{part['median_queries']:.0f} |"
            )
    if first.get("added_statements") is not None:
        lines += [
            "",
            (
                f"The statements of one order ({first['product']}) that the suite "
                "adds and spares, by shape (numbers and names stripped; the same "
                "statement with other columns counts as one added and one spared):"
            ),
            "",
        ]
        for statement, times in first["added_statements"]:
            lines.append(f"- +{times} `{statement}`")
        for statement, times in first["removed_statements"]:
            lines.append(f"- -{times} `{statement}`")
    return lines


def nightly_section(rows):
    lines = [
        "## The nightly run with customers buying at the till",
        "",
        (
            "`bench_nightly.py` on copies of the suite's database (Point of Sale "
            "installed) filled by `tests/generator.py --loyalty`: without a till, "
            "then with a share of the customers buying at the till (paid POS orders "
            "instead of sale orders for those purchases: the same purchases, the "
            "same seed). The first night after the load, then the usual night (the "
            "next day); each preceded by the vacuum of the tables a night writes "
            "(not timed)."
        ),
        "",
        (
            "| Customers | At the till | Orders (of which POS) | Customers at the "
            "till | First night | Usual night | Lifecycle step | Churn step "
            "| Usual night against both floors |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        d, first, usual = row["data"], row["first"], row["usual"]
        steps = usual["steps"]
        lines.append(
            f"| {d['customers']:,} | {d['pos_share']:.0%} | {d['orders']:,} "
            f"({d['pos_orders']:,}) | {d['pos_customers']:,} "
            f"| {first['seconds']:.1f} s | {usual['seconds']:.1f} s "
            f"| {steps['lifecycle']['seconds']:.1f} s "
            f"| {steps.get('churn', {}).get('seconds', 0):.1f} s "
            f"| {usual['night_ratio']:.1f}x |"
        )
    by_size = {}
    for row in rows:
        by_size.setdefault(row["data"]["customers"], {})[row["data"]["pos_share"]] = row
    lines.append("")
    for size, shares in by_size.items():
        if len(shares) < 2:
            continue
        without, with_till = shares[min(shares)], shares[max(shares)]
        for night in ("first", "usual"):
            a, b = without[night]["seconds"], with_till[night]["seconds"]
            lines.append(
                f"- {size:,} customers, {night} night: {a:.1f} s without the till, "
                f"{b:.1f} s with {max(shares):.0%} of the customers buying there "
                f"({100 * (b / a - 1):+.0f}%)."
            )
    return lines


def render(r):
    m = r["machine"]
    lines = [
        "# Point of Sale benchmarks",
        "",
        (
            f"Measured on {r['date']} with `{r['command']}` "
            f"({r['seconds'] / 60:.0f} min), code of {r['commit']}, Odoo {r['odoo']}."
        ),
        (
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
            f"PostgreSQL {m['postgres']}, Python {m['python']}, {m['system']}; "
            f"shared (load average {r['load_start'][0]:.1f} at the start, "
            f"{r['load_end'][0]:.1f} at the end)."
        ),
        "",
    ]
    for key, earlier in r.get("merged", {}).items():
        lines += [
            (
                f"The {'nightly' if key == 'nightly' else 'till'} figures below "
                f"are those of an earlier run: `{earlier['command']}` on "
                f"{earlier['date']}, code of {earlier['commit']} "
                f"({earlier['seconds'] / 60:.0f} min)."
            ),
            "",
        ]
    if r["sync"]:
        lines += sync_section(r["sync"]) + [""]
    if r["nightly"]:
        lines += nightly_section(r["nightly"]) + [""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
