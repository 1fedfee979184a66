"""What the suite adds to confirming one order, against Odoo's own
``sale_loyalty`` confirmation in the same database.

    python3 tests/benchmarks/bench_confirm.py --db <database> \\
        --addons-path <addons path> [--orders 30]

Confirms ``--orders`` one-line orders of generated customers (with a sales
history and a loyalty card) with the suite's confirmation hooks, then as many
with the hooks bypassed (the suite's overrides call straight through to
Odoo's), alternating so that both see the same cache and table state. Each
confirmation is its own transaction, rolled back afterwards so the database
is left as it was. Prints the median time and SQL queries of each, and a JSON
line for ``run_all.py``.
"""

import argparse
import importlib
import statistics
import time
from contextlib import ExitStack
from unittest.mock import patch

from benchlib import emit, odoo_env

HOOKS = [
    ("crm_lifecycle", "_action_confirm"),
    ("crm_loyalty", "_action_confirm"),
    ("crm_loyalty", "action_confirm"),
    ("crm_churn", "_action_confirm"),
]


def bypassed():
    """Patch every suite override of the confirmation to call its parent."""
    stack = ExitStack()
    for addon, name in HOOKS:
        try:
            module = importlib.import_module(f"odoo.addons.{addon}.models.sale_order")
        except ImportError:
            continue
        cls = module.SaleOrder
        if name not in vars(cls):
            continue

        def skip(self, *args, _cls=cls, _name=name, **kwargs):
            return getattr(super(_cls, self), _name)(*args, **kwargs)

        stack.enter_context(patch.object(cls, name, skip))
    return stack


def confirm_one(env, partner, product):
    cr = env.cr
    order = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "order_line": [(0, 0, {"product_id": product.id, "price_unit": 80})],
        }
    )
    env.flush_all()
    queries = cr.sql_log_count
    tick = time.perf_counter()
    order.action_confirm()
    env.flush_all()
    seconds = time.perf_counter() - tick
    queries = cr.sql_log_count - queries
    cr.rollback()
    env.invalidate_all()
    return seconds, queries


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()
    with odoo_env(args.db, args.addons_path) as env:
        cards = env["loyalty.card"].search(
            [
                ("program_id.crm_ledger_managed", "=", True),
                ("program_id.company_id", "in", [env.company.id, False]),
                ("partner_id", "!=", False),
            ],
            limit=args.orders,
            order="id",
        )
        product = env["product.product"].search([("sale_ok", "=", True)], limit=1)
        if not (cards and product):
            raise SystemExit("needs generated loyalty cards and a product")
        partners = cards.partner_id
        suite, stock = [], []
        confirm_one(env, partners[0], product)  # warm the caches
        for i in range(args.orders):
            partner = partners[i % len(partners)]
            suite.append(confirm_one(env, partner, product))
            with bypassed():
                stock.append(confirm_one(env, partner, product))
        figures = {}
        for name, runs in (("suite", suite), ("stock", stock)):
            figures[name] = {
                "median_ms": statistics.median(s for s, _q in runs) * 1000,
                "median_queries": statistics.median(q for _s, q in runs),
            }
        figures["orders"] = args.orders
        figures["extra_ms"] = (
            figures["suite"]["median_ms"] - figures["stock"]["median_ms"]
        )
        figures["extra_queries"] = (
            figures["suite"]["median_queries"] - figures["stock"]["median_queries"]
        )
        print(
            f"order confirmation, median of {args.orders}: with the suite "
            f"{figures['suite']['median_ms']:.1f} ms / "
            f"{figures['suite']['median_queries']:.0f} queries; sale_loyalty alone "
            f"{figures['stock']['median_ms']:.1f} ms / "
            f"{figures['stock']['median_queries']:.0f} queries"
        )
        emit(figures)


if __name__ == "__main__":
    main()
