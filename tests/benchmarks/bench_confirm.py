"""What the suite adds to confirming one order, against Odoo's own
``sale_loyalty`` confirmation in the same database.

    python3 tests/benchmarks/bench_confirm.py --db <database> \\
        --addons-path <addons path> [--orders 100]

For each of ``--orders`` customers (with a sales history and a loyalty
card) it confirms one one-line order with the suite, lets the cron update
the customer it queued (timed: the work the confirmation leaves for moments
later), then, in the same transaction, times a second order confirmed with
the suite as installed (customers updated in the background, the default),
a third with the company set to update its customers as the order is
confirmed (``lifecycle_refresh_on_order``), and a fourth with every override
of the suite on the confirmation's path bypassed (they call straight through
to Odoo's: the order hooks, and the card and order-line overrides through
which the ledger would turn ``sale_loyalty``'s own balance write into an
entry), so that all see the same table state; each starts with an empty ORM
cache, as a request does. The first order is the customer's first of the
day: the cron's update after it may move their stage or tier or close an
alert as won back, which the later orders' updates then do not.
Each customer's transaction is rolled back, so the database is left as it
was. Prints the median time and SQL queries of each, and a JSON line for
``run_all.py``.
"""

import argparse
import importlib
import statistics
import time
from contextlib import ExitStack
from unittest.mock import patch

from benchlib import emit, odoo_env

# Every override of the suite that a confirmation goes through: (addon,
# module, class, method).
HOOKS = [
    ("crm_lifecycle", "sale_order", "SaleOrder", "_action_confirm"),
    ("crm_loyalty", "sale_order", "SaleOrder", "_action_confirm"),
    ("crm_loyalty", "sale_order", "SaleOrder", "action_confirm"),
    ("crm_loyalty", "sale_order_line", "SaleOrderLine", "create"),
    ("crm_loyalty", "sale_order_line", "SaleOrderLine", "write"),
    ("crm_loyalty", "loyalty_card", "LoyaltyCard", "create"),
    ("crm_loyalty", "loyalty_card", "LoyaltyCard", "write"),
    ("crm_churn", "sale_order", "SaleOrder", "_action_confirm"),
]


def bypassed():
    """Patch every suite override of the confirmation to call its parent."""
    stack = ExitStack()
    for addon, module_name, class_name, name in HOOKS:
        try:
            module = importlib.import_module(
                f"odoo.addons.{addon}.models.{module_name}"
            )
        except ImportError:
            continue
        cls = getattr(module, class_name)
        if name not in vars(cls):
            continue

        def skip(self, *args, _cls=cls, _name=name, **kwargs):
            return getattr(super(_cls, self), _name)(*args, **kwargs)

        stack.enter_context(patch.object(cls, name, skip))
    return stack


# Where the suite's time goes: its steps on the confirmation's path (the
# first two as installed; the lifecycle refresh and the tier upgrade where
# the company updates its customers as the order is confirmed).
PARTS = [
    (
        "customer queued for the cron",
        "crm_lifecycle",
        "crm_lifecycle_refresh_queue",
        "CrmLifecycleRefreshQueue",
        "_enqueue",
    ),
    (
        "ledger entries",
        "crm_loyalty",
        "sale_order",
        "SaleOrder",
        "_crm_loyalty_post_entries",
    ),
    (
        "lifecycle refresh",
        "crm_lifecycle",
        "sale_order",
        "SaleOrder",
        "_lifecycle_refresh",
    ),
    (
        "tier upgrade",
        "crm_loyalty",
        "crm_loyalty_tier",
        "CrmLoyaltyTier",
        "_update_members",
    ),
]
QUEUED_PARTS = ("customer queued for the cron", "ledger entries")
AT_ONCE_PARTS = ("lifecycle refresh", "ledger entries", "tier upgrade")


def timed(parts):
    """Patch the suite's steps to add their seconds and queries to ``parts``
    (name -> [seconds, queries]) on every call."""
    stack = ExitStack()
    for label, addon, module_name, class_name, name in PARTS:
        module = importlib.import_module(f"odoo.addons.{addon}.models.{module_name}")
        cls = getattr(module, class_name)
        method = vars(cls)[name]

        def wrapper(self, *args, _method=method, _label=label, **kwargs):
            queries = self.env.cr.sql_log_count
            tick = time.perf_counter()
            try:
                return _method(self, *args, **kwargs)
            finally:
                part = parts.setdefault(_label, [0.0, 0])
                part[0] += time.perf_counter() - tick
                part[1] += self.env.cr.sql_log_count - queries

        stack.enter_context(patch.object(cls, name, wrapper))
    return stack


def confirm_one(env, partner, product, rollback=True):
    cr = env.cr
    order = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "order_line": [(0, 0, {"product_id": product.id, "price_unit": 80})],
        }
    )
    env.flush_all()
    # Every confirmation starts with an empty ORM cache, as a request does:
    # otherwise what an earlier confirmation left in the cache, or emptied
    # from it (deleting records, as closing a won-back alert's activities
    # does, empties the whole cache), would count for or against the next.
    env.invalidate_all()
    queries = cr.sql_log_count
    tick = time.perf_counter()
    order.action_confirm()
    env.flush_all()
    seconds = time.perf_counter() - tick
    queries = cr.sql_log_count - queries
    if rollback:
        cr.rollback()
        env.invalidate_all()
    return seconds, queries


def medians(runs):
    return {
        "median_ms": statistics.median(s for s, _q in runs) * 1000,
        "median_queries": statistics.median(q for _s, q in runs),
    }


def part_medians(split, labels):
    return {
        label: {
            "median_ms": statistics.median(
                parts.get(label, [0, 0])[0] for parts in split
            )
            * 1000,
            "median_queries": statistics.median(
                parts.get(label, [0, 0])[1] for parts in split
            ),
        }
        for label in labels
    }


def process_queue(env):
    """The cron's work for what the confirmations queued, timed."""
    Queue = env["crm.lifecycle.refresh.queue"]
    queries = env.cr.sql_log_count
    tick = time.perf_counter()
    Queue._cron_process()
    env.flush_all()
    seconds = time.perf_counter() - tick
    return seconds, env.cr.sql_log_count - queries


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--orders", type=int, default=100)
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
        if env.company.lifecycle_refresh_on_order != "queue":
            raise SystemExit("measures the default: customers updated later")
        partners = cards.partner_id
        first, queue, suite, at_once, stock = [], [], [], [], []
        split, split_at_once = [], []
        confirm_one(env, partners[0], product)  # warm the caches
        for i in range(args.orders):
            partner = partners[i % len(partners)]
            first.append(confirm_one(env, partner, product, rollback=False))
            queue.append(process_queue(env))
            parts = {}
            with timed(parts):
                suite.append(confirm_one(env, partner, product, rollback=False))
            split.append(parts)
            env.company.lifecycle_refresh_on_order = "confirm"
            env.flush_all()
            parts = {}
            with timed(parts):
                at_once.append(confirm_one(env, partner, product, rollback=False))
            split_at_once.append(parts)
            with bypassed():
                stock.append(confirm_one(env, partner, product))
        figures = {
            name: medians(runs)
            for name, runs in (
                ("first", first),
                ("queue", queue),
                ("suite", suite),
                ("at_once", at_once),
                ("stock", stock),
            )
        }
        figures["parts"] = part_medians(split, QUEUED_PARTS)
        figures["parts_at_once"] = part_medians(split_at_once, AT_ONCE_PARTS)
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
            f"{figures['stock']['median_queries']:.0f} queries; the customer's "
            f"first order of the day with the suite "
            f"{figures['first']['median_ms']:.1f} ms / "
            f"{figures['first']['median_queries']:.0f} queries; the cron's update "
            f"of the customer it queued {figures['queue']['median_ms']:.1f} ms / "
            f"{figures['queue']['median_queries']:.0f} queries; customers updated "
            f"as the order is confirmed {figures['at_once']['median_ms']:.1f} ms / "
            f"{figures['at_once']['median_queries']:.0f} queries"
        )
        for key in ("parts", "parts_at_once"):
            for label, part in figures[key].items():
                print(
                    f"    {key} {label}: {part['median_ms']:.1f} ms / "
                    f"{part['median_queries']:.0f} queries"
                )
        emit(figures)


if __name__ == "__main__":
    main()
