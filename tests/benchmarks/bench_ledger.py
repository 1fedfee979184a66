"""The points ledger at scale: posting throughput, the expiry run over a
table of lots, reconciliation, and qualifying every member for a tier.

    python3 tests/benchmarks/bench_ledger.py --db <database> \\
        --addons-path <addons path> [--entries 2000]

Run it on a scratch database filled by ``tests/generator.py --loyalty``.
Posting goes through the ledger service (``crm.loyalty.entry._post``), one
commit per entry as one order confirmation each would; the expiry run is the
cron's own method, batch after batch, each committed. Prints the figures and
a JSON line for ``run_all.py``.
"""

import argparse
import time
import uuid

from bench_nightly import bench_expiry
from benchlib import Meter, emit, odoo_env


def post_many(env, cards, count, entry_type, points):
    """Post ``count`` entries round-robin over ``cards``; entries per second."""
    Entry = env["crm.loyalty.entry"]
    tag = uuid.uuid4().hex[:8]
    with Meter(env.cr) as meter:
        for i in range(count):
            card = cards[i % len(cards)]
            Entry._post(card, entry_type, points, f"bench:{tag}:{i}", "benchmark")
            env.cr.commit()  # one order confirmation, one transaction
    return {
        "entries": count,
        "seconds": meter.seconds,
        "per_second": count / meter.seconds,
        "queries_per_entry": meter.queries / count,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    with odoo_env(args.db, args.addons_path) as env:
        cr = env.cr
        cr.execute(
            """SELECT COUNT(*), COUNT(*) FILTER (
                        WHERE remaining > 0 AND expiry_date < current_date)
                 FROM crm_loyalty_lot"""
        )
        lots, lapsed = cr.fetchone()
        cr.execute("SELECT COUNT(*) FROM crm_loyalty_entry")
        entries = cr.fetchone()[0]
        print(f"{lots} lots ({lapsed} lapsed with points left), {entries} entries")
        figures = {"lots": lots, "lapsed": lapsed, "entries": entries}

        Entry = env["crm.loyalty.entry"]
        expiry = figures["expiry"] = bench_expiry(env, args.batch_size)
        expiry["per_second"] = expiry["expired"] / expiry["seconds"]
        print(
            f"expiry: {expiry['expired']} lots in {expiry['seconds']:.1f} s "
            f"({expiry['per_second']:.0f} lots/s, slowest batch "
            f"{expiry['slowest_batch']:.2f} s)"
        )

        cards = env["loyalty.card"].search(
            [("program_id.crm_ledger_managed", "=", True), ("points", ">=", 200)],
            limit=500,
            order="id",
        )
        if not cards:
            raise SystemExit("no ledger card holds points: run the generator first")
        figures["earn"] = post_many(env, cards, args.entries, "earn", 10)
        figures["redeem"] = post_many(env, cards, args.entries, "redeem", -10)
        for kind in ("earn", "redeem"):
            row = figures[kind]
            print(
                f"{kind}: {row['entries']} entries in {row['seconds']:.1f} s, "
                f"{row['per_second']:.0f}/s, {row['queries_per_entry']:.1f} "
                f"queries each"
            )

        with Meter(cr) as meter:
            differences = Entry._reconcile()
        figures["reconcile"] = {"seconds": meter.seconds, "cards": len(differences)}
        print(f"reconcile: {meter.seconds:.1f} s, {len(differences)} cards differ")
        if differences:
            raise SystemExit("the ledger does not reconcile")

        Tier = env["crm.loyalty.tier"]
        company = env.company
        partners = (
            env["loyalty.card"]
            .search([("program_id.crm_ledger_managed", "=", True)])
            .partner_id.commercial_partner_id
        )
        with Meter(cr) as meter:
            moved = 0
            for start in range(0, len(partners), args.batch_size):
                moved += len(
                    Tier.with_company(company)._update_members(
                        partners[start : start + args.batch_size], company=company
                    )
                )
                cr.commit()
        figures["qualify"] = {
            "members": len(partners),
            "moved": moved,
            "seconds": meter.seconds,
            "queries": meter.queries,
        }
        print(
            f"tier qualification: {len(partners)} customers, {moved} moved, "
            f"{meter.seconds:.1f} s"
        )
        review = time.strftime("%Y-%m-%d")
        company.loyalty_tier_next_review = review
        cr.commit()
        durations = []
        with Meter(cr) as meter:
            # As the cron drives it: a batch of members per call, until the
            # review date moves on to next year.
            while str(company.loyalty_tier_next_review) == review:
                tick = time.perf_counter()
                Tier._cron_requalify()
                cr.commit()
                durations.append(time.perf_counter() - tick)
        figures["review"] = {
            "seconds": meter.seconds,
            "calls": len(durations),
            "slowest_call": max(durations),
            "queries": meter.queries,
            "memory_growth": meter.memory_growth,
        }
        print(
            f"yearly tier review: {meter.seconds:.1f} s, {len(durations)} calls, "
            f"slowest {max(durations):.2f} s"
        )
        emit(figures)


if __name__ == "__main__":
    main()
