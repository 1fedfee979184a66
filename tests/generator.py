"""Deterministic bulk data for load tests and benchmarks.

Fills a database that has the suite installed with N customers and their
sales history, with SQL set operations and COPY (never the ORM one order at
a time), so that a million orders take minutes:

    python3 tests/generator.py --db <database> --customers 100000 [--seed 1]

Customers follow the BG/NBD story the purchase model assumes: each buys as a
Poisson process with its own rate (gamma-distributed across customers) and
drops out after any purchase with its own probability (beta-distributed);
order values are skewed (gamma-gamma). A share of customers belongs to a
second company when there is one, about 3% of orders are cancelled and 2% of
customers only have a quotation. The same seed gives the same data.
"""

import argparse
import io
import time
from datetime import date, datetime, timedelta

import numpy as np
import psycopg2


def simulate(customers, seed=1, today=None, years=3):
    """Purchase histories as arrays: customer index, day offset, amount."""
    rng = np.random.default_rng(seed)
    today = today or date.today()
    horizon = 365 * years
    rate = rng.gamma(shape=0.8, scale=1 / 30.0, size=customers)  # purchases per day
    dropout = rng.beta(0.5, 4.5, size=customers)
    spend = rng.gamma(shape=3.0, scale=1.0, size=customers)  # nu of gamma-gamma
    first = rng.integers(0, horizon, size=customers)  # days before today
    owners, offsets, amounts = [], [], []
    for index in range(customers):
        day = int(first[index])
        while day >= 0:
            owners.append(index)
            offsets.append(day)
            amounts.append(rng.gamma(4.0, 25.0 / spend[index]) + 5.0)
            if rng.random() < dropout[index]:
                break
            day -= max(1, int(rng.exponential(1.0 / rate[index])))
    return (
        np.array(owners, dtype=np.int64),
        np.array(offsets, dtype=np.int64),
        np.round(np.array(amounts), 2),
        today,
    )


def generate(conn, customers, seed=1, today=None, years=3, prefix="GEN"):
    """Insert the customers and orders; returns (partner ids, orders written)."""
    started = time.perf_counter()
    cr = conn.cursor()
    cr.execute("SELECT id, currency_id FROM res_company ORDER BY id")
    companies = cr.fetchall()
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, active, is_company, type,
                                 autopost_bills, customer_rank, create_date,
                                 write_date, create_uid, write_uid)
        SELECT %(prefix)s || ' customer ' || g, %(prefix)s || ' customer ' || g,
               true, true, 'contact', 'ask', 1, now(), now(), 1, 1
          FROM generate_series(1, %(n)s) g
        RETURNING id
        """,
        {"prefix": prefix, "n": customers},
    )
    partner_ids = np.array(sorted(row[0] for row in cr.fetchall()), dtype=np.int64)
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
        (partner_ids.tolist(),),
    )
    owners, offsets, amounts, today = simulate(customers, seed, today, years)
    rng = np.random.default_rng(seed + 1)
    second = len(companies) > 1
    company_of = np.where(second & (rng.random(customers) < 0.1), len(companies) - 1, 0)
    states = np.where(rng.random(len(owners)) < 0.03, "cancel", "sale")
    quote_only = rng.random(customers) < 0.02
    base = datetime.combine(today, datetime.min.time()) + timedelta(hours=10)
    buffer = io.StringIO()
    for i in range(len(owners)):
        customer = owners[i]
        if quote_only[customer]:
            continue
        company_id, currency_id = companies[company_of[customer]]
        partner = partner_ids[customer]
        stamp = base - timedelta(days=int(offsets[i]))
        buffer.write(
            f"{company_id}\t{partner}\t{partner}\t{partner}\t{prefix}/{i}\t{stamp}\t"
            f"{states[i]}\t{currency_id}\t1\t{amounts[i]}\t0\t{amounts[i]}\t"
            f"{stamp}\t{stamp}\t1\t1\n"
        )
    for customer in np.flatnonzero(quote_only):
        company_id, currency_id = companies[company_of[customer]]
        partner = partner_ids[customer]
        buffer.write(
            f"{company_id}\t{partner}\t{partner}\t{partner}\t{prefix}/Q{customer}\t"
            f"{base}\tdraft\t{currency_id}\t1\t100\t0\t100\t{base}\t{base}\t1\t1\n"
        )
    buffer.seek(0)
    cr.copy_from(
        buffer,
        "sale_order",
        columns=(
            "company_id",
            "partner_id",
            "partner_invoice_id",
            "partner_shipping_id",
            "name",
            "date_order",
            "state",
            "currency_id",
            "currency_rate",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "create_date",
            "write_date",
            "create_uid",
            "write_uid",
        ),
    )
    orders = cr.rowcount
    cr.execute("ANALYZE sale_order")
    cr.execute("ANALYZE res_partner")
    conn.commit()
    print(
        f"generated {customers} customers and {orders} orders "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return partner_ids, orders


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--prefix", default="GEN")
    args = parser.parse_args()
    conn = psycopg2.connect(dbname=args.db)
    generate(conn, args.customers, args.seed, years=args.years, prefix=args.prefix)
    conn.close()


if __name__ == "__main__":
    main()
