"""Deterministic bulk data for load tests and benchmarks.

Fills a database that has the suite installed with N customers and their
sales history, with SQL set operations and COPY (never the ORM one order at
a time, and without foreign-key triggers when the role may skip them), so
that a million orders take minutes:

    python3 tests/generator.py --db <database> --customers 100000 [--seed 1]

Customers follow the BG/NBD story the purchase model assumes: each buys as a
Poisson process with its own rate (gamma-distributed across customers) and
drops out after any purchase with its own probability (beta-distributed);
order values are skewed (gamma-gamma). A share of customers belongs to a
second company when there is one, about 3% of orders are cancelled and 2% of
customers only have a quotation; about 2% of confirmed orders get a posted
credit note. The same seed gives the same data. The tables it fills are
vacuumed and analysed at the end, as a database that has lived would be.

Where Point of Sale is installed (its tables exist), a share of customers
(``--pos-share``, 30% by default) also buy at the till: a third of them only
there, the others for about half of their purchases. Those purchases are
paid POS orders (state ``done``, one line each for the order's untaxed
amount, no tax) in a closed session generated on the first till of the
customer's company, instead of sale orders; a company without a till keeps
them as sale orders, and credit notes stay on sale orders. Drawn from a
generator of their own: without POS, or with ``--pos-share 0``, the data is
what earlier versions generated for the same seed.

With ``--loyalty``, every customer who bought from a company with a ledger
loyalty programme gets a card, one earning entry and lot per confirmed order
(a point per currency unit, expiring as the programme says; lapsed lots are
expired as the nightly cron would have, or left for the expiry run with
``--backlog``) and every fifth card one redemption of 50 points, so that
balance = entries = lots holds as if the ledger had posted them.
"""

import argparse
import io
import time
from datetime import date, datetime, timedelta

import numpy as np
import psycopg2
from psycopg2 import sql


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


def skip_reference_checks(cr):
    """Skip the foreign-key triggers for the rest of this transaction when
    the database role may (a superuser, as on a benchmark machine).

    Every reference the generator writes points at a row it just read or
    wrote, and the tests reconcile the generated ledger; the checks cost
    two thirds of the loyalty generation (ten lookups per entry and lot).
    Other roles keep the checks and are only slower.
    """
    cr.execute("SAVEPOINT generator_role")
    try:
        cr.execute("SET LOCAL session_replication_role = replica")
    except psycopg2.Error:
        cr.execute("ROLLBACK TO SAVEPOINT generator_role")
    else:
        cr.execute("RELEASE SAVEPOINT generator_role")


# The share of customers who also buy at the till (where Point of Sale is
# installed); a third of them buy only there, the others about half of
# their purchases.
POS_SHARE = 0.3
POS_ONLY = 1 / 3
POS_ORDER_SHARE = 0.5
POS_COLUMNS = (
    "company_id",
    "session_id",
    "config_id",
    "partner_id",
    "user_id",
    "name",
    "pos_reference",
    "state",
    "date_order",
    "amount_tax",
    "amount_total",
    "amount_paid",
    "amount_return",
    "currency_rate",
    "sequence_number",
    "to_invoice",
    "is_tipped",
    "tip_amount",
    "create_date",
    "write_date",
    "create_uid",
    "write_uid",
)


def generate(
    conn, customers, seed=1, today=None, years=3, prefix="GEN", pos_share=POS_SHARE
):
    """Insert the customers and orders; returns (partner ids, orders written:
    sale orders and, where Point of Sale is installed, POS orders)."""
    started = time.perf_counter()
    cr = conn.cursor()
    skip_reference_checks(cr)
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
    journals = sales_journals(cr)
    refunded, shares, delays = refund_draws(len(owners), seed)
    refunded &= (states == "sale") & (offsets > delays)
    tills = pos_tills(cr, prefix, partner_ids, base)
    has_till = np.array([company_id in tills for company_id, _c in companies])
    at_till = (
        till_draws(owners, customers, seed, pos_share)
        & (states == "sale")
        & has_till[company_of[owners]]
        & ~quote_only[owners]
        if tills
        else np.zeros(len(owners), dtype=bool)
    )
    refunded &= ~at_till
    extra_columns = sale_order_extras(cr)
    extra = "".join(f"\t{value}" for value in extra_columns.values())
    buffer, refunds, pos = io.StringIO(), io.StringIO(), io.StringIO()
    for i in range(len(owners)):
        customer = owners[i]
        if quote_only[customer]:
            continue
        company_id, currency_id = companies[company_of[customer]]
        partner = partner_ids[customer]
        stamp = base - timedelta(days=int(offsets[i]))
        if at_till[i]:
            config_id, session_id = tills[company_id]
            pos.write(
                f"{company_id}\t{session_id}\t{config_id}\t{partner}\t1\t"
                f"{prefix}/P{i}\t{prefix}/P{i}\tdone\t{stamp}\t0\t{amounts[i]}\t"
                f"{amounts[i]}\t0\t1\t{i}\tf\tf\t0\t{stamp}\t{stamp}\t1\t1\n"
            )
            continue
        buffer.write(
            f"{company_id}\t{partner}\t{partner}\t{partner}\t{prefix}/{i}\t{stamp}\t"
            f"{states[i]}\t{currency_id}\t1\t{amounts[i]}\t0\t{amounts[i]}\t"
            f"{stamp}\t{stamp}\t1\t1{extra}\n"
        )
        if refunded[i] and company_id in journals:
            day = (stamp + timedelta(days=int(delays[i]))).date()
            amount = round(float(amounts[i]) * float(shares[i]), 2)
            refunds.write(
                f"{prefix}/R{partner}/{i}\t{journals[company_id]}\t{company_id}\t"
                f"{currency_id}\t{partner}\t{partner}\tout_refund\tposted\t{day}\t"
                f"{day}\t{amount}\t0\t{amount}\t0\t{-amount}\t0\t{-amount}\t0\t"
                f"no\tnot_paid\t{base}\t{base}\t1\t1\n"
            )
    for customer in np.flatnonzero(quote_only):
        company_id, currency_id = companies[company_of[customer]]
        partner = partner_ids[customer]
        buffer.write(
            f"{company_id}\t{partner}\t{partner}\t{partner}\t{prefix}/Q{customer}\t"
            f"{base}\tdraft\t{currency_id}\t1\t100\t0\t100\t{base}\t{base}\t1\t1"
            f"{extra}\n"
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
            *extra_columns,
        ),
    )
    orders = cr.rowcount
    refunds.seek(0)
    cr.copy_from(refunds, "account_move", columns=REFUND_COLUMNS)
    credit_notes = cr.rowcount
    till_orders = write_pos_orders(cr, pos, tills) if tills else 0
    conn.commit()
    settle(
        conn,
        ["sale_order", "res_partner", "account_move"]
        + (["pos_order", "pos_order_line", "pos_session"] if tills else []),
    )
    print(
        f"generated {customers} customers, {orders} orders, {till_orders} POS "
        f"orders and {credit_notes} credit notes in "
        f"{time.perf_counter() - started:.1f}s"
    )
    return partner_ids, orders + till_orders


def sale_order_extras(cr):
    """Columns that installed apps make required on sale orders: with
    ``sale_stock`` (Point of Sale installs stock), the shipping policy."""
    cr.execute(
        "SELECT 1 FROM information_schema.columns"
        " WHERE table_name = 'sale_order' AND column_name = 'picking_policy'"
    )
    return {"picking_policy": "direct"} if cr.fetchone() else {}


def till_draws(owners, customers, seed, share):
    """Which purchases (of ``owners``' customers) are made at the till:
    drawn from a generator of their own, like the credit notes."""
    rng = np.random.default_rng(seed + 3)
    buys_there = rng.random(customers) < share
    only_there = buys_there & (rng.random(customers) < POS_ONLY)
    half = rng.random(len(owners)) < POS_ORDER_SHARE
    return buys_there[owners] & (only_there[owners] | half)


def pos_tills(cr, prefix, partner_ids, stamp):
    """{company: (till, session)}: a closed session generated on the first
    till of each company that has one; empty without Point of Sale."""
    cr.execute("SELECT to_regclass('pos_order') IS NOT NULL")
    if not cr.fetchone()[0] or not len(partner_ids):
        return {}
    # Named after the first generated customer: unique for every load.
    cr.execute(
        """
        INSERT INTO pos_session (config_id, user_id, name, state, start_at,
                                 stop_at, sequence_number, login_number,
                                 rescue, update_stock_at_closing,
                                 create_uid, create_date, write_uid, write_date)
        SELECT DISTINCT ON (company_id) id, 1,
               %(prefix)s || '/POS/' || company_id || '/' || %(first)s, 'closed',
               %(stamp)s, %(stamp)s, 1, 0, false, false, 1, now(), 1, now()
          FROM pos_config
         WHERE active
         ORDER BY company_id, id
        RETURNING id, config_id, (SELECT company_id FROM pos_config c
                                   WHERE c.id = config_id)
        """,
        {"prefix": prefix, "first": int(partner_ids[0]), "stamp": stamp},
    )
    return {company: (config, session) for session, config, company in cr.fetchall()}


def write_pos_orders(cr, buffer, tills):
    """The POS orders of ``buffer`` and one line each (the order's amount,
    untaxed, of the first product sold at the till); returns their number."""
    buffer.seek(0)
    cr.copy_from(buffer, "pos_order", columns=POS_COLUMNS)
    written = cr.rowcount
    sessions = [session for _config, session in tills.values()]
    cr.execute(
        """
        INSERT INTO pos_order_line (order_id, company_id, product_id, name,
                                    full_product_name, qty, price_unit, discount,
                                    price_subtotal, price_subtotal_incl,
                                    create_uid, create_date, write_uid, write_date)
        SELECT o.id, o.company_id, p.id, o.name || '-1', p.name, 1, o.amount_total,
               0, o.amount_total, o.amount_total, 1, now(), 1, now()
          FROM pos_order o
          CROSS JOIN (SELECT pp.id, pt.name ->> 'en_US' AS name
                        FROM product_product pp
                        JOIN product_template pt ON pt.id = pp.product_tmpl_id
                       ORDER BY pt.available_in_pos DESC, pp.id LIMIT 1) p
         WHERE o.session_id = ANY(%s)
        """,
        (sessions,),
    )
    return written


# About 2% of the confirmed orders get a posted credit note for 20-100% of
# their untaxed amount, 1-30 days later (none after today), in the company's
# first sales journal (none for a company without one). Only the header that
# the suite reads is written, no journal items: the lifecycle facts and the
# churn signals sum the credit notes' signed untaxed amounts per customer.
REFUND_SHARE = 0.02
REFUND_COLUMNS = (
    "name",
    "journal_id",
    "company_id",
    "currency_id",
    "partner_id",
    "commercial_partner_id",
    "move_type",
    "state",
    "date",
    "invoice_date",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "amount_untaxed_signed",
    "amount_tax_signed",
    "amount_total_signed",
    "amount_residual_signed",
    "auto_post",
    "payment_state",
    "create_date",
    "write_date",
    "create_uid",
    "write_uid",
)


def refund_draws(orders, seed):
    """Which orders get a credit note, its share of the order and its delay
    in days: drawn from a generator of their own, so that the orders stay
    those that earlier versions generated for the same seed."""
    rng = np.random.default_rng(seed + 2)
    return (
        rng.random(orders) < REFUND_SHARE,
        rng.uniform(0.2, 1.0, size=orders),
        rng.integers(1, 31, size=orders),
    )


def sales_journals(cr):
    """The first sales journal of each company."""
    cr.execute(
        """
        SELECT DISTINCT ON (company_id) company_id, id FROM account_journal
         WHERE type = 'sale' ORDER BY company_id, sequence, id
        """
    )
    return dict(cr.fetchall())


LOYALTY_SQL = [
    # One card per customer and company that has a ledger programme.
    """
    INSERT INTO loyalty_card (program_id, company_id, partner_id, code, points,
                              active, create_uid, write_uid, create_date, write_date)
    SELECT prog.id, o.company_id, o.partner_id,
           %(prefix)s || '-' || o.company_id || '-' || o.partner_id, 0, true,
           1, 1, now(), now()
      FROM (SELECT DISTINCT partner_id, company_id FROM sale_order
             WHERE state = 'sale' AND name LIKE %(orders)s) o
      JOIN LATERAL (SELECT id FROM loyalty_program
                     WHERE program_type = 'loyalty' AND crm_ledger_managed AND active
                       AND (company_id = o.company_id OR company_id IS NULL)
                     ORDER BY id LIMIT 1) prog ON true
    """,
    "ANALYZE loyalty_card",
    # Every earning (a point per currency unit of each confirmed order) with
    # the ids of its entry and lot drawn beforehand, so that entry and lot
    # are written once, already linked: linking them afterwards rewrote
    # every entry (8M rows at 1M customers, most of the generation time).
    # The lot expires as the programme says (PostgreSQL's month arithmetic
    # clamps to the month's end like tools/ledger.expiry_date).
    """
    CREATE TEMP TABLE gen_earn ON COMMIT DROP AS
    SELECT nextval(pg_get_serial_sequence('crm_loyalty_entry', 'id')) AS entry_id,
           nextval(pg_get_serial_sequence('crm_loyalty_lot', 'id')) AS lot_id,
           so.id AS order_id, so.name AS order_name, so.date_order AS date,
           floor(so.amount_untaxed) AS points, c.id AS card_id, c.program_id,
           c.partner_id, c.company_id,
           CASE p.crm_expiry_policy
                WHEN 'months' THEN (
                    so.date_order::date
                    + make_interval(months => p.crm_expiry_months))::date
                WHEN 'year_end' THEN make_date(
                    extract(year FROM so.date_order)::int, 12, 31)
           END AS expiry_date,
           0 AS redeemed
      FROM sale_order so
      JOIN loyalty_card c ON c.code = %(prefix)s || '-' || so.company_id || '-'
                                      || so.partner_id
      JOIN loyalty_program p ON p.id = c.program_id
     WHERE so.state = 'sale' AND so.name LIKE %(orders)s
       AND floor(so.amount_untaxed) > 0
    """,
    # Every fifth card spends 50 points from its newest lot that holds them.
    """
    UPDATE gen_earn g SET redeemed = 50
      FROM (SELECT DISTINCT ON (card_id) lot_id FROM gen_earn
             WHERE card_id %% 5 = 0 AND points >= 50
               AND date + interval '1 day' < now()
             ORDER BY card_id, date DESC, lot_id DESC) r
     WHERE r.lot_id = g.lot_id
    """,
    # Entries and lots in one statement: each refers to the other, and the
    # foreign keys are checked at the end of the statement. A lot that lapsed
    # before today was expired on the day after its expiry date, as the
    # nightly cron would have done (kept open with ``backlog``, which leaves
    # it to the expiry run).
    """
    WITH lots AS (
        INSERT INTO crm_loyalty_lot (id, entry_id, card_id, program_id,
                                     partner_id, company_id, date, expiry_date,
                                     points, remaining, reminder_sent,
                                     create_uid, create_date, write_uid,
                                     write_date)
        SELECT lot_id, entry_id, card_id, program_id, partner_id, company_id,
               date, expiry_date, points,
               CASE WHEN expiry_date < current_date AND NOT %(backlog)s THEN 0
                    ELSE points - redeemed END,
               false, 1, now(), 1, now()
          FROM gen_earn
    )
    INSERT INTO crm_loyalty_entry (id, lot_id, entry_type, points, date, card_id,
                                   program_id, partner_id, company_id,
                                   source_model, source_id, source_key, reason,
                                   user_id, shortfall, create_uid, create_date,
                                   write_uid, write_date)
    SELECT entry_id, lot_id, 'earn', points, date, card_id, program_id,
           partner_id, company_id, 'sale.order', order_id,
           'gen:sale.order:' || order_id || ':earn', 'Order ' || order_name, 1, 0,
           1, now(), 1, now()
      FROM gen_earn
    """,
    """
    WITH redeemed AS (
        INSERT INTO crm_loyalty_entry (entry_type, points, date, card_id,
                                       program_id, partner_id, company_id,
                                       source_key, reason, user_id, shortfall,
                                       create_uid, create_date, write_uid,
                                       write_date)
        SELECT 'redeem', -50, date + interval '1 day', card_id, program_id,
               partner_id, company_id, 'gen:redeem:' || lot_id, 'Reward', 1, 0,
               1, now(), 1, now()
          FROM gen_earn
         WHERE redeemed > 0
        RETURNING id, substring(source_key FROM 12)::int AS lot_id
    )
    INSERT INTO crm_loyalty_allocation (entry_id, lot_id, points, create_uid,
                                        create_date, write_uid, write_date)
    SELECT id, lot_id, 50, 1, now(), 1, now() FROM redeemed
    """,
    """
    WITH expired AS (
        INSERT INTO crm_loyalty_entry (entry_type, points, date, card_id,
                                       program_id, partner_id, company_id,
                                       source_model, source_id, source_key,
                                       reason, user_id, shortfall, create_uid,
                                       create_date, write_uid, write_date)
        SELECT 'expire', -(points - redeemed), (expiry_date + 1)::timestamp,
               card_id, program_id, partner_id, company_id, 'crm.loyalty.lot',
               lot_id, 'crm.loyalty.lot:' || lot_id || ':expire',
               'Points expired', 1, 0, 1, now(), 1, now()
          FROM gen_earn
         WHERE expiry_date < current_date AND NOT %(backlog)s
           AND points - redeemed > 0
        RETURNING id, source_id, -points AS points
    )
    INSERT INTO crm_loyalty_allocation (entry_id, lot_id, points, create_uid,
                                        create_date, write_uid, write_date)
    SELECT id, source_id, points, 1, now(), 1, now() FROM expired
    """,
    # The balance is what the lots still hold (earned, less spent and expired).
    """
    UPDATE loyalty_card c SET points = t.total
      FROM (SELECT card_id,
                   SUM(CASE WHEN expiry_date < current_date AND NOT %(backlog)s
                            THEN 0 ELSE points - redeemed END) AS total
              FROM gen_earn GROUP BY card_id) t
     WHERE t.card_id = c.id
    """,
]


def settle(conn, tables):
    """VACUUM (ANALYZE) the tables a load filled, as a database that has
    lived has been: fresh statistics for the planner, and the visibility map
    set, without which the suite's covering indexes answer no index-only
    scan until autovacuum comes by (at a moment of its choosing, in the
    middle of a benchmark)."""
    autocommit = conn.autocommit
    conn.autocommit = True  # VACUUM cannot run inside a transaction
    try:
        cr = conn.cursor()
        for table in tables:
            cr.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    finally:
        conn.autocommit = autocommit


def generate_loyalty(conn, partner_ids, prefix="GEN", backlog=False):
    """Cards, entries and lots for the generated customers' orders; with
    ``backlog``, lapsed lots keep their points for the expiry run."""
    started = time.perf_counter()
    cr = conn.cursor()
    skip_reference_checks(cr)
    params = {
        "prefix": prefix,
        "orders": f"{prefix}/%",
        "partners": [int(pid) for pid in partner_ids],
        "backlog": backlog,
    }
    for statement in LOYALTY_SQL:
        cr.execute(statement, params)
    cr.execute(
        "SELECT COUNT(*), COALESCE(SUM(points), 0) FROM loyalty_card"
        " WHERE code LIKE %s",
        (f"{prefix}-%",),
    )
    cards, points = cr.fetchone()
    cr.execute(
        "SELECT COUNT(*) FROM crm_loyalty_lot WHERE partner_id = ANY(%s)",
        (params["partners"],),
    )
    lots = cr.fetchone()[0]
    conn.commit()
    tables = ["loyalty_card", "crm_loyalty_entry", "crm_loyalty_lot"]
    settle(conn, [*tables, "crm_loyalty_allocation"])
    print(
        f"generated {cards} loyalty cards, {lots} lots ({points:.0f} points) "
        f"in {time.perf_counter() - started:.1f}s"
    )
    return cards, lots


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--prefix", default="GEN")
    parser.add_argument(
        "--pos-share",
        type=float,
        default=POS_SHARE,
        help="share of customers who also buy at the till (where Point of Sale "
        "is installed)",
    )
    parser.add_argument(
        "--loyalty", action="store_true", help="also cards, ledger entries and lots"
    )
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="leave lapsed lots unexpired (an expiry run's worth of work)",
    )
    args = parser.parse_args()
    conn = psycopg2.connect(dbname=args.db)
    partner_ids, _orders = generate(
        conn,
        args.customers,
        args.seed,
        years=args.years,
        prefix=args.prefix,
        pos_share=args.pos_share,
    )
    if args.loyalty:
        generate_loyalty(conn, partner_ids, prefix=args.prefix, backlog=args.backlog)
    conn.close()


if __name__ == "__main__":
    main()
