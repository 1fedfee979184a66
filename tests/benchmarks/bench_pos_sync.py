"""What the suite adds to the till's server calls for a paid member order,
against stock ``pos_loyalty``, in two databases built the same way.

    python3 tests/benchmarks/bench_pos_sync.py --stock-db <db> --suite-db <db> \\
        --addons-path <addons path> [--orders 200] [--warmup 20] \\
        [--product storable|service] [--queries]

``--stock-db`` has ``sale_management``, ``point_of_sale`` and ``pos_loyalty``
(Odoo's own); ``--suite-db`` the same plus ``crm_lifecycle``,
``crm_loyalty``, ``crm_churn``, ``crm_lifecycle_pos`` and
``crm_loyalty_pos``. Both get, on the first run, the same set-up, committed:
a loyalty programme *Bench points* available at every till (a point per
currency unit; in the suite's database ledger-managed, the default), members
each with a card of it, an open session of the demo till *Furniture
Shop*, and as many sale order lines in both (quotations of one line in the
stock database, for the suite's demo orders: see ``level``).

For each member the till's two calls on payment are made as the till makes
them, as the administrator (not the superuser), each in its own transaction
starting with an empty ORM cache as a request does: ``pos.order.sync_from_ui``
with the paid order (one line, paid in cash), then
``pos.order.confirm_coupon_programs`` with the card's points won (the net
change the till sends). Each call is timed up to its last flush (its commit,
not timed, follows), and its SQL queries counted. The two databases are
served by one process, alternately order after order (the first database of
each pair alternating too), so that the shared machine's load falls on both
alike; ``--warmup`` orders in each database come first and are not counted.
Prints the median time and queries per order of each database, the
difference against the targets (+10% time, +5 queries), and a JSON line for
``bash scripts/bench_pos.sh``. With ``--queries``, also the statements the
suite adds to one order (query shapes, numbers stripped), for profiling.

The databases keep the orders (a till's session grows as a day's does):
use scratch copies.
"""

import argparse
import re
import statistics
import time
from collections import Counter
from contextlib import contextmanager, nullcontext
from unittest.mock import patch

from benchlib import emit

PROGRAM = "Bench points"
MEMBER = "PB till member"
CONFIG_XMLID = "point_of_sale.pos_config_main"
PRODUCTS = {
    # Office Chair: a storable product, a delivery picking per order, as most
    # till sales of goods; a service: no picking, the cheapest order there is.
    "storable": "product.product_delivery_01",
    "service": "product.product_product_1",
}
TARGET_PERCENT = 10.0
TARGET_QUERIES = 5

# The suite's steps on the till's path, timed with ``--parts`` on extra
# orders after the measured ones: (label, addon, module, class, method).
PARTS = [
    (
        "sync: customer queued",
        "crm_lifecycle_pos",
        "pos_order",
        "PosOrder",
        "_lifecycle_refresh",
    ),
    (
        "sync: refund claw-back check",
        "crm_loyalty_pos",
        "pos_order",
        "PosOrder",
        "_crm_loyalty_clawback",
    ),
    (
        "confirm: whole override",
        "crm_loyalty_pos",
        "pos_order",
        "PosOrder",
        "confirm_coupon_programs",
    ),
    (
        "confirm: pos_loyalty's own",
        "pos_loyalty",
        "pos_order",
        "PosOrder",
        "confirm_coupon_programs",
    ),
    (
        "confirm: ledger cards",
        "crm_loyalty_pos",
        "pos_order",
        "PosOrder",
        "_crm_loyalty_cards",
    ),
    (
        "confirm: ledger entries",
        "crm_loyalty_pos",
        "pos_order",
        "PosOrder",
        "_crm_loyalty_post_entries",
    ),
    (
        "confirm: balances answered",
        "crm_loyalty_pos",
        "pos_order",
        "PosOrder",
        "_crm_loyalty_update_answer",
    ),
    (
        "sync: refresh queue statement",
        "crm_lifecycle",
        "crm_lifecycle_refresh_queue",
        "CrmLifecycleRefreshQueue",
        "_enqueue",
    ),
]


def registries(dbs, addons_path):
    """One registry per database, in this one process."""
    import odoo
    from odoo.tools import config

    config.parse_config(
        ["--addons-path", addons_path, "-d", ",".join(dbs), "--log-level=warn"]
    )
    return [odoo.modules.registry.Registry(db) for db in dbs]


def superuser(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, SUPERUSER_ID, {})


def prepare(registry, members, product_xmlid):
    """The programme, the members with their cards and an open session:
    created once, found again on later runs. Returns what the orders need."""
    from odoo import Command

    with registry.cursor() as cr:
        env = superuser(cr)
        suite = "crm_ledger_managed" in env["loyalty.program"]._fields
        program = env["loyalty.program"].search([("name", "=", PROGRAM)], limit=1)
        if not program:
            vals = {
                "name": PROGRAM,
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "company_id": env.company.id,
                "pos_ok": True,
                "rule_ids": [
                    Command.create(
                        {"reward_point_mode": "money", "reward_point_amount": 1}
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount_mode": "per_order",
                            "discount": 5,
                            "discount_applicability": "order",
                            "required_points": 500,
                        }
                    )
                ],
            }
            if suite:
                vals["crm_ledger_managed"] = True
            program = env["loyalty.program"].create(vals)
        if suite and not program.crm_ledger_managed:
            raise SystemExit(f"{cr.dbname}: {PROGRAM} is not ledger-managed")
        partners = env["res.partner"].search(
            [("name", "=like", f"{MEMBER} %")], order="id"
        )
        if len(partners) < members:
            partners |= env["res.partner"].create(
                [
                    {"name": f"{MEMBER} {number}"}
                    for number in range(len(partners) + 1, members + 1)
                ]
            )
        partners = partners[:members]
        cards = env["loyalty.card"].search(
            [("program_id", "=", program.id), ("partner_id", "in", partners.ids)]
        )
        missing = partners - cards.partner_id
        if missing:
            cards |= env["loyalty.card"].create(
                [
                    {"program_id": program.id, "partner_id": partner.id, "points": 0}
                    for partner in missing
                ]
            )
        config = env.ref(CONFIG_XMLID)
        if program not in config._get_program_ids():
            raise SystemExit(f"{cr.dbname}: {PROGRAM} is not available at the till")
        admin = env.ref("base.user_admin")
        session = config.current_session_id
        if not session:
            config.with_user(admin).open_ui()
            session = config.current_session_id
        if session.state == "opening_control":
            session.set_opening_control(0, None)
        product = env.ref(product_xmlid)
        cash = config.payment_method_ids.filtered(
            lambda pm: pm.is_cash_count and not pm.split_transactions
        )[:1]
        card_of = {card.partner_id.id: card.id for card in cards}
        setup = {
            "suite": suite,
            "uid": admin.id,
            "program_id": program.id,
            "config_id": config.id,
            "session_id": session.id,
            "product_id": product.id,
            "cash_id": cash.id,
            "members": [(partner.id, card_of[partner.id]) for partner in partners],
            "line": line_values(env, config, product),
            # The cron that refreshes the customers queued by a sale.
            "queue_cron_id": suite
            and env.ref("crm_lifecycle.ir_cron_lifecycle_refresh_queue").id,
        }
        cr.commit()
    return setup


def level(registries):
    """Give both databases as many sale order lines, with quotations of one
    line in the one that has fewer (created once, committed).

    The suite's demo data holds some three thousand sale orders, the stock
    database a few dozen; stock ``sale_loyalty`` scans ``sale_order_line``
    on every confirmation at the till (a programme's order count, with no
    index on ``reward_id``): 1.5 ms in the suite's database against 0.03 ms,
    which is the data's, not the suite's. A company's data is the same
    before and after it installs the suite; so are the benchmark's two
    databases where the till's calls read them."""
    counts = []
    for registry in registries:
        with registry.cursor() as cr:
            cr.execute("SELECT COUNT(*) FROM sale_order_line")
            counts.append((registry, cr.fetchone()[0]))
    from odoo import Command

    target = max(count for _registry, count in counts)
    for registry, count in counts:
        if count >= target:
            continue
        with registry.cursor() as cr:
            env = superuser(cr)
            partner = env.ref("base.res_partner_12")
            product = env.ref(PRODUCTS["service"])
            for start in range(count, target, 500):
                env["sale.order"].create(
                    [
                        {
                            "partner_id": partner.id,
                            "order_line": [
                                Command.create(
                                    {"product_id": product.id, "product_uom_qty": 1}
                                )
                            ],
                        }
                        for _number in range(start, min(start + 500, target))
                    ]
                )
                env.invalidate_all()
            cr.commit()


def cron_ran(registry, setup):
    """Between two sales the refresh cron has run, as it does moments after
    a sale, and deleted its due triggers: each sale then wakes it again, as
    at a till whose sales are further apart than the cron's run (not timed).
    Without this the first sale's trigger would stay due for the whole
    benchmark and spare every later sale its trigger and wake-up."""
    if not setup["queue_cron_id"]:
        return
    with registry.cursor() as cr:
        cr.execute(
            "DELETE FROM ir_cron_trigger WHERE cron_id = %s", [setup["queue_cron_id"]]
        )


def line_values(env, config, product):
    """Price and taxes of one unit at the till, as the till computes them."""
    price = config.pricelist_id._get_product_price(product, 1.0)
    taxes = config.default_fiscal_position_id.map_tax(
        product.taxes_id.filtered_domain(
            env["account.tax"]._check_company_domain(config.company_id)
        )
    )
    amounts = (
        taxes.compute_all(price, config.currency_id, 1.0)
        if taxes
        else {"total_excluded": price, "total_included": price}
    )
    return {
        "price_unit": price,
        "tax_ids": taxes.ids,
        "excluded": amounts["total_excluded"],
        "included": amounts["total_included"],
    }


def order_data(setup, partner_id, number):
    """The paid order as the till sends it to ``sync_from_ui``."""
    from odoo import fields

    line = setup["line"]
    uuid = f"pb-{setup['session_id']}-{number:06d}-{time.time_ns() % 10**9}"
    now = fields.Datetime.to_string(fields.Datetime.now())
    return {
        "amount_paid": line["included"],
        "amount_return": 0,
        "amount_tax": line["included"] - line["excluded"],
        "amount_total": line["included"],
        "date_order": now,
        "fiscal_position_id": False,
        "name": f"Order {uuid}",
        "last_order_preparation_change": "{}",
        "lines": [
            (
                0,
                0,
                {
                    "name": f"Order {uuid}-1",
                    "pack_lot_ids": [],
                    "price_unit": line["price_unit"],
                    "product_id": setup["product_id"],
                    "price_subtotal": line["excluded"],
                    "price_subtotal_incl": line["included"],
                    "qty": 1,
                    "discount": 0,
                    "tax_ids": [(6, 0, line["tax_ids"])],
                },
            )
        ],
        "partner_id": partner_id,
        "session_id": setup["session_id"],
        "sequence_number": number,
        "payment_ids": [
            (
                0,
                0,
                {
                    "amount": line["included"],
                    "name": now,
                    "payment_method_id": setup["cash_id"],
                },
            )
        ],
        "uuid": uuid,
        "user_id": setup["uid"],
        "to_invoice": False,
    }


def coupon_data(setup, partner_id, card_id):
    """What the till sends to ``confirm_coupon_programs``: the card's net
    change (here the points won: a point per currency unit of the order)."""
    return {
        str(card_id): {
            "points": float(int(setup["line"]["included"])),
            "program_id": setup["program_id"],
            "coupon_id": card_id,
            "barcode": False,
            "partner_id": partner_id,
        }
    }


@contextmanager
def recorded(statements):
    """Append every SQL statement run while the block runs to ``statements``."""
    from odoo.sql_db import Cursor

    execute = Cursor.execute

    def spy(self, query, params=None, log_exceptions=True):
        statements.append(query.code if hasattr(query, "code") else str(query))
        return execute(self, query, params, log_exceptions)

    with patch.object(Cursor, "execute", spy):
        yield


def request(registry, setup, call, statements=None):
    """One call of the till: a transaction of its own, an empty cache; the
    call's seconds and queries up to its last flush, then the seconds of
    its commit, post-commit hooks included (the till waits for them too:
    Odoo answers the request after them); with ``statements``, the call's
    statements are appended to it."""
    from odoo import api

    with registry.cursor() as cr:
        env = api.Environment(cr, setup["uid"], {})
        env = env(context=env["res.users"].context_get())
        env.invalidate_all()
        spy = recorded(statements) if statements is not None else nullcontext()
        with spy:
            queries = cr.sql_log_count
            tick = time.perf_counter()
            result = call(env)
            env.flush_all()
            seconds = time.perf_counter() - tick
            queries = cr.sql_log_count - queries
        tick = time.perf_counter()
        cr.commit()  # with its post-commit hooks, as a request's
        committed = time.perf_counter() - tick
    return result, seconds, queries, committed


def sell(registry, setup, number, statements=None):
    """One paid member order through the till's two calls; returns
    (sync seconds, sync queries, confirm seconds, confirm queries, seconds of
    the two commits)."""
    partner_id, card_id = setup["members"][number % len(setup["members"])]
    data = order_data(setup, partner_id, number)
    cron_ran(registry, setup)
    synced, sync_s, sync_q, sync_c = request(
        registry,
        setup,
        lambda env: env["pos.order"].sync_from_ui([data]),
        statements,
    )
    order_id = synced["pos.order"][0]["id"]
    answer, confirm_s, confirm_q, confirm_c = request(
        registry,
        setup,
        lambda env: (
            env["pos.order"]
            .browse(order_id)
            .confirm_coupon_programs(coupon_data(setup, partner_id, card_id))
        ),
        statements,
    )
    if not answer["coupon_updates"]:
        raise SystemExit("the till's card got no update: the set-up is wrong")
    return sync_s, sync_q, confirm_s, confirm_q, sync_c + confirm_c


def member_info(registry, setup, number):
    """The suite's till asks for the member's figures when the cashier
    selects him (``pos.config.crm_loyalty_member_info``), not after the sale
    (the receipt's figures follow from the confirmation's answer). (seconds
    up to the flush, queries, seconds of the commit)."""
    partner_id, _card_id = setup["members"][number % len(setup["members"])]
    info, seconds, queries, committed = request(
        registry,
        setup,
        lambda env: (
            env["pos.config"]
            .browse(setup["config_id"])
            .crm_loyalty_member_info(partner_id)
        ),
    )
    if not info:
        raise SystemExit("no member info: the set-up is wrong")
    return seconds, queries, committed


@contextmanager
def timed_parts(parts):
    """Add each of PARTS' seconds and queries to ``parts`` (label ->
    [seconds, queries]) on every call while the block runs."""
    import importlib
    from contextlib import ExitStack

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
    with stack:
        yield


def shape(statement):
    """A statement with its numbers and literals stripped, to count alike."""
    statement = re.sub(r"\s+", " ", statement).strip()
    statement = re.sub(r"'[^']*'", "?", statement)
    statement = re.sub(r'"[0-9a-f-]{20,}"', "<name>", statement)
    statement = re.sub(r"\b\d+\b", "N", statement)
    return statement[:120]


def median_ms(values):
    return statistics.median(values) * 1000


def summary(runs):
    sync_s, sync_q, confirm_s, confirm_q, commits = zip(*runs, strict=True)
    total_s = [a + b for a, b in zip(sync_s, confirm_s, strict=True)]
    waited = [a + b for a, b in zip(total_s, commits, strict=True)]
    total_q = [a + b for a, b in zip(sync_q, confirm_q, strict=True)]
    return {
        "median_ms": median_ms(total_s),
        "median_queries": statistics.median(total_q),
        "sync_ms": median_ms(sync_s),
        "sync_queries": statistics.median(sync_q),
        "confirm_ms": median_ms(confirm_s),
        "confirm_queries": statistics.median(confirm_q),
        "commits_ms": median_ms(commits),
        "with_commits_ms": median_ms(waited),
        "min_ms": min(total_s) * 1000,
        "max_queries": max(total_q),
        "min_queries": min(total_q),
    }


def arguments():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stock-db", required=True)
    parser.add_argument("--suite-db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--product", choices=sorted(PRODUCTS), default="storable")
    parser.add_argument(
        "--queries", action="store_true", help="list the statements the suite adds"
    )
    parser.add_argument(
        "--member-info",
        action="store_true",
        help="also time the suite's call on selecting the member "
        "(crm_loyalty_member_info), once per order",
    )
    parser.add_argument(
        "--parts",
        type=int,
        default=0,
        help="then time the suite's steps on this many more orders",
    )
    return parser.parse_args()


def compared(runs, args):
    """The figures of both databases and their differences."""
    figures = {name: summary(values) for name, values in runs.items()}
    stock, suite = figures["stock"], figures["suite"]
    pairs = list(zip(runs["suite"], runs["stock"], strict=True))
    # Each order's pair ran within a second of each other: the median of
    # their differences is the least sensitive to the machine's load.
    paired = median_ms([(a[0] + a[2]) - (b[0] + b[2]) for a, b in pairs])
    with_commits = median_ms(
        [(a[0] + a[2] + a[4]) - (b[0] + b[2] + b[4]) for a, b in pairs]
    )
    figures.update(
        orders=args.orders,
        warmup=args.warmup,
        product=args.product,
        paired_ms=paired,
        paired_percent=100 * paired / stock["median_ms"],
        paired_sync_ms=median_ms([a[0] - b[0] for a, b in pairs]),
        paired_confirm_ms=median_ms([a[2] - b[2] for a, b in pairs]),
        paired_with_commits_ms=with_commits,
        paired_with_commits_percent=100 * with_commits / stock["with_commits_ms"],
        paired_commits_ms=median_ms([a[4] - b[4] for a, b in pairs]),
        extra_ms=suite["median_ms"] - stock["median_ms"],
        extra_percent=100 * (suite["median_ms"] / stock["median_ms"] - 1),
        extra_queries=suite["median_queries"] - stock["median_queries"],
        target_percent=TARGET_PERCENT,
        target_queries=TARGET_QUERIES,
    )
    figures["time_met"] = (
        max(figures["extra_percent"], figures["paired_percent"]) <= TARGET_PERCENT
    )
    figures["queries_met"] = figures["extra_queries"] <= TARGET_QUERIES
    return figures


def print_figures(figures):
    stock, suite = figures["stock"], figures["suite"]
    for name in ("stock", "suite"):
        f = figures[name]
        print(
            f"{name}: {f['median_ms']:.1f} ms / {f['median_queries']:.0f} queries "
            f"per order (sync_from_ui {f['sync_ms']:.1f} ms / "
            f"{f['sync_queries']:.0f}, confirm_coupon_programs "
            f"{f['confirm_ms']:.1f} ms / {f['confirm_queries']:.0f}), "
            f"median of {figures['orders']}"
        )
    print(
        f"suite - stock: {figures['extra_ms']:+.1f} ms "
        f"({figures['extra_percent']:+.1f}%, target +{TARGET_PERCENT:.0f}%: "
        f"{'met' if figures['time_met'] else 'NOT met'}), "
        f"{figures['extra_queries']:+.0f} queries (target +{TARGET_QUERIES}: "
        f"{'met' if figures['queries_met'] else 'NOT met'}); median of the "
        f"per-order differences {figures['paired_ms']:+.1f} ms "
        f"({figures['paired_percent']:+.1f}%; sync_from_ui "
        f"{figures['paired_sync_ms']:+.1f} ms, confirm_coupon_programs "
        f"{figures['paired_confirm_ms']:+.1f} ms)"
    )
    print(
        f"with the two commits (post-commit hooks included), what the till "
        f"waits for: stock {stock['with_commits_ms']:.1f} ms, suite "
        f"{suite['with_commits_ms']:.1f} ms; median of the per-order "
        f"differences {figures['paired_with_commits_ms']:+.1f} ms "
        f"({figures['paired_with_commits_percent']:+.1f}%), of which the "
        f"commits {figures['paired_commits_ms']:+.1f} ms"
    )
    info = figures.get("member_info")
    if info:
        print(
            f"the suite's call on selecting the member, crm_loyalty_member_info: "
            f"{info['median_ms']:.1f} ms / {info['median_queries']:.0f} queries "
            f"({info['with_commit_ms']:.1f} ms with its commit)"
        )


def time_parts(registry, setup, first, count):
    """The suite's steps (PARTS) on ``count`` more orders, medians."""
    split = []
    for number in range(first, first + count):
        parts = {}
        with timed_parts(parts):
            sell(registry, setup, number)
        split.append(parts)
    parts = {
        label: {
            "median_ms": median_ms([p.get(label, [0, 0])[0] for p in split]),
            "median_queries": statistics.median(p.get(label, [0, 0])[1] for p in split),
        }
        for label, *_rest in PARTS
    }
    print(f"the suite's steps, median of {count} more orders:")
    for label, part in parts.items():
        print(
            f"    {label}: {part['median_ms']:.2f} ms / "
            f"{part['median_queries']:.0f} queries"
        )
    return parts


def list_statements(registry, setups, number, figures):
    """One more member order in each database, its statements compared."""
    shapes = {}
    for name in ("stock", "suite"):
        statements = []
        sell(registry[name], setups[name], number, statements)
        shapes[name] = Counter(shape(s) for s in statements)
    added = shapes["suite"] - shapes["stock"]
    removed = shapes["stock"] - shapes["suite"]
    figures["added_statements"] = sorted(added.items(), key=lambda i: -i[1])
    figures["removed_statements"] = sorted(removed.items(), key=lambda i: -i[1])
    print(f"statements the suite adds ({sum(added.values())}):")
    for statement, count in figures["added_statements"]:
        print(f"  +{count} {statement}")
    print(f"statements the suite spares ({sum(removed.values())}):")
    for statement, count in figures["removed_statements"]:
        print(f"  -{count} {statement}")


def main():
    args = arguments()
    members = args.orders + args.warmup
    registry = dict(
        zip(
            ("stock", "suite"),
            registries((args.stock_db, args.suite_db), args.addons_path),
            strict=True,
        )
    )
    level(registry.values())
    setups = {
        name: prepare(registry[name], members, PRODUCTS[args.product])
        for name in registry
    }
    if setups["stock"]["suite"] or not setups["suite"]["suite"]:
        raise SystemExit("--stock-db must be without the suite, --suite-db with it")
    for number in range(args.warmup):
        for name in ("stock", "suite"):
            sell(registry[name], setups[name], number)
    info = args.member_info and hasattr(
        registry["suite"]["pos.config"], "crm_loyalty_member_info"
    )
    runs, infos = {"stock": [], "suite": []}, []
    for number in range(args.warmup, members):
        pair = ("stock", "suite") if number % 2 else ("suite", "stock")
        for name in pair:
            runs[name].append(sell(registry[name], setups[name], number))
            if info and name == "suite":
                if number == args.warmup:  # its own warm-up
                    member_info(registry[name], setups[name], number)
                infos.append(member_info(registry[name], setups[name], number))
    figures = compared(runs, args)
    if infos:
        seconds, queries, commits = zip(*infos, strict=True)
        figures["member_info"] = {
            "median_ms": median_ms(seconds),
            "median_queries": statistics.median(queries),
            "with_commit_ms": median_ms(
                [a + b for a, b in zip(seconds, commits, strict=True)]
            ),
        }
    print_figures(figures)
    if args.parts:
        figures["parts"] = time_parts(
            registry["suite"], setups["suite"], members, args.parts
        )
    if args.queries:
        list_statements(registry, setups, members + args.parts, figures)
    emit(figures)


if __name__ == "__main__":
    main()
