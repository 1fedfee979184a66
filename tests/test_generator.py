"""The bulk data generator: deterministic, realistic, and usable by the suite."""

import os
import uuid
from datetime import date

import generator
import numpy as np
import psycopg2
import pytest

TODAY = date(2026, 6, 30)


def test_simulation_is_deterministic_and_follows_the_story():
    first = generator.simulate(3000, seed=3, today=TODAY)
    again = generator.simulate(3000, seed=3, today=TODAY)
    other = generator.simulate(3000, seed=4, today=TODAY)
    for left, right in zip(first[:3], again[:3], strict=True):
        assert np.array_equal(left, right)
    assert not np.array_equal(first[2], other[2])
    owners, offsets, amounts, _today = first
    per_customer = np.bincount(owners, minlength=3000)
    assert per_customer.min() >= 1
    assert 4 <= per_customer.mean() <= 15
    assert (per_customer == 1).mean() > 0.05  # early dropouts exist
    assert per_customer.max() > 5 * per_customer.mean()  # heterogeneous rates
    assert (offsets >= 0).all() and (offsets < 3 * 365).all()
    assert (amounts > 0).all()
    assert amounts.mean() > np.median(amounts)  # skewed order values


def test_generate_fills_the_database_and_the_suite_scores_it(demo_server):
    db = os.environ["CRM_SUITE_DB"]
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute("SELECT clock_timestamp()")
        [(started,)] = cr.fetchall()
        conn.commit()
        partner_ids, orders = generator.generate(conn, 300, seed=5, prefix="PYT")
        assert len(partner_ids) == 300
        assert orders > 900
        # Vacuumed by the generator itself (not by autovacuum, whenever it
        # comes): the covering indexes answer index-only scans at once.
        for table in ("sale_order", "res_partner", "account_move"):
            cr.execute("SELECT pg_stat_get_last_vacuum_time(%s::regclass)", (table,))
            [(vacuumed,)] = cr.fetchall()
            assert vacuumed and vacuumed >= started, table
        cr.execute(
            "SELECT state, COUNT(*) FROM sale_order WHERE name LIKE 'PYT/%%' GROUP BY 1"
        )
        states = dict(cr.fetchall())
        assert states["sale"] > 10 * states.get("cancel", 0) > 0
        assert states.get("draft", 0) > 0
        # Credit notes: posted, after a confirmed order of their customer,
        # for no more than that customer's confirmed sales.
        cr.execute(
            """
            SELECT m.commercial_partner_id, m.move_type, m.state,
                   m.amount_untaxed_signed, m.invoice_date,
                   (SELECT MIN(so.date_order::date) FROM sale_order so
                     WHERE so.partner_id = m.commercial_partner_id
                       AND so.state = 'sale'),
                   (SELECT SUM(so.amount_untaxed) FROM sale_order so
                     WHERE so.partner_id = m.commercial_partner_id
                       AND so.state = 'sale')
              FROM account_move m
             WHERE m.name LIKE 'PYT/R%%'
            """
        )
        refunds = cr.fetchall()
        assert 0.005 * states["sale"] < len(refunds) < 0.05 * states["sale"]
        for _partner, move_type, state, signed, day, first, sold in refunds:
            assert (move_type, state) == ("out_refund", "posted")
            assert signed < 0 and -signed <= sold
            assert first < day < date.today()
        refunded = {}
        for partner, *_rest in refunds:
            refunded[partner] = refunded.get(partner, 0) + 1
        partner = max(refunded, key=refunded.get)
        cr.execute(
            """
            SELECT (SELECT SUM(amount_untaxed) FROM sale_order
                     WHERE partner_id = %(p)s AND state = 'sale')
                 + (SELECT SUM(amount_untaxed_signed) FROM account_move
                     WHERE commercial_partner_id = %(p)s)
            """,
            {"p": int(partner)},
        )
        [(net,)] = cr.fetchall()
    finally:
        conn.close()
    admin = demo_server.login("admin", "admin")
    admin("crm.lifecycle.run", "action_recompute_now", [])
    # The suite nets the credit notes out of the customer's value.
    [profile] = admin(
        "crm.lifecycle.profile",
        "search_read",
        [("partner_id", "=", int(partner))],
        ["historic_clv"],
    )
    assert profile["historic_clv"] == pytest.approx(float(net), abs=0.01)
    groups = admin(
        "crm.lifecycle.profile",
        "read_group",
        [("partner_id.name", "like", "PYT customer")],
        ["stage"],
        ["stage"],
    )
    stages = {g["stage"] for g in groups}
    assert {"new", "active", "churned", "prospect"} <= stages, stages


@pytest.mark.parametrize("customers", [0])
def test_generate_nothing(customers):
    owners, _offsets, _amounts, _today = generator.simulate(customers, seed=1)
    assert owners.size == 0


def test_generated_loyalty_is_a_balanced_ledger_and_expires_in_bulk(demo_server):
    """Generated cards hold what their entries and lots say; the expiry cron
    empties every lapsed lot in one pass and the ledger stays balanced."""
    db = os.environ["CRM_SUITE_DB"]
    pyl_prefix = f"PYL{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(dbname=db)
    try:
        partner_ids, _orders = generator.generate(conn, 200, seed=7, prefix=pyl_prefix)
        cr = conn.cursor()
        cr.execute("SELECT clock_timestamp()")
        [(started,)] = cr.fetchall()
        conn.commit()
        cards, lots = generator.generate_loyalty(
            conn, partner_ids, prefix=pyl_prefix, backlog=True
        )
        assert cards > 150 and lots > 3 * cards
        for table in ("crm_loyalty_entry", "crm_loyalty_lot"):
            cr.execute("SELECT pg_stat_get_last_vacuum_time(%s::regclass)", (table,))
            [(vacuumed,)] = cr.fetchall()
            assert vacuumed and vacuumed >= started, table
        cr.execute(
            """SELECT COUNT(*) FROM crm_loyalty_lot l
                JOIN loyalty_card c ON c.id = l.card_id
               WHERE c.code LIKE %s AND l.expiry_date < current_date
                 AND l.remaining > 0""",
            (f"{pyl_prefix}-%",),
        )
        lapsed = cr.fetchone()[0]
        cr.execute(
            "SELECT COUNT(*) FROM crm_loyalty_entry"
            " WHERE source_key LIKE 'gen:redeem:%%' AND partner_id = ANY(%s)",
            ([int(p) for p in partner_ids],),
        )
        assert cr.fetchone()[0] > 10
    finally:
        conn.close()
    assert lapsed > lots / 3  # three years of history, points last a year
    admin = demo_server.login("admin", "admin")
    check = admin("crm.loyalty.entry", "action_reconcile", [])
    assert check["params"]["type"] == "success", check["params"]["message"]
    cron = admin.ref("crm_loyalty.ir_cron_loyalty_expire")
    admin("ir.cron", "method_direct_trigger", [cron])
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute(
            """SELECT COUNT(*) FILTER (WHERE l.remaining > 0),
                      COUNT(e.id)
                 FROM crm_loyalty_lot l
                 JOIN loyalty_card c ON c.id = l.card_id
                 LEFT JOIN crm_loyalty_entry e
                        ON e.source_key = 'crm.loyalty.lot:' || l.id || ':expire'
                WHERE c.code LIKE %s AND l.expiry_date < current_date""",
            (f"{pyl_prefix}-%",),
        )
        still_open, expired = cr.fetchone()
    finally:
        conn.close()
    assert still_open == 0
    assert expired >= lapsed
    check = admin("crm.loyalty.entry", "action_reconcile", [])
    assert check["params"]["type"] == "success", check["params"]["message"]


def test_generated_loyalty_history_has_its_lapsed_lots_expired(demo_server):
    db = os.environ["CRM_SUITE_DB"]
    pye_prefix = f"PYE{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(dbname=db)
    try:
        partner_ids, _orders = generator.generate(conn, 100, seed=9, prefix=pye_prefix)
        generator.generate_loyalty(conn, partner_ids, prefix=pye_prefix)
        cr = conn.cursor()
        cr.execute(
            """SELECT COUNT(*) FILTER (WHERE l.remaining > 0), COUNT(*)
                 FROM crm_loyalty_lot l
                 JOIN loyalty_card c ON c.id = l.card_id
                WHERE c.code LIKE %s AND l.expiry_date < current_date""",
            (f"{pye_prefix}-%",),
        )
        still_open, lapsed = cr.fetchone()
    finally:
        conn.close()
    assert lapsed > 50 and still_open == 0
    admin = demo_server.login("admin", "admin")
    check = admin("crm.loyalty.entry", "action_reconcile", [])
    assert check["params"]["type"] == "success", check["params"]["message"]


def test_till_draws_are_deterministic_and_leave_sale_orders_alone():
    owners, _offsets, _amounts, _today = generator.simulate(3000, seed=3, today=TODAY)
    first = generator.till_draws(owners, 3000, seed=3, share=0.3)
    assert np.array_equal(first, generator.till_draws(owners, 3000, seed=3, share=0.3))
    assert not generator.till_draws(owners, 3000, seed=3, share=0.0).any()
    buyers = np.unique(owners[first])
    assert 0.15 * 3000 < len(buyers) < 0.3 * 3000
    # Some of them buy only at the till, the others also get sale orders.
    only = [c for c in buyers if first[owners == c].all()]
    assert 0.2 * len(buyers) < len(only) < 0.8 * len(buyers)
    # The sale orders' own draws do not move: the same seed without the
    # till gives the same purchase history.
    again = generator.simulate(3000, seed=3, today=TODAY)
    assert np.array_equal(owners, again[0])


def test_generate_without_point_of_sale_writes_sale_orders_only():
    db = os.environ.get("CRM_SUITE_DB")
    if not db:
        pytest.skip("needs the databases prepared by scripts/test.sh")
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute("SELECT to_regclass('pos_order')")
        assert cr.fetchone()[0] is None, "the core database has no Point of Sale"
        prefix = f"PYN{uuid.uuid4().hex[:6]}"
        _partners, orders = generator.generate(conn, 100, seed=5, prefix=prefix)
        cr.execute(
            "SELECT COUNT(*) FROM sale_order WHERE name LIKE %s", (f"{prefix}/%",)
        )
        assert cr.fetchone()[0] == orders > 100
    finally:
        conn.close()


def test_generated_till_orders_count_in_the_nightly_run(glue_server):
    """Where Point of Sale is installed, a share of the customers buy at the
    till: paid POS orders with one line each in a generated closed session;
    after the nightly run the customers who bought only there have their
    orders counted."""
    db = os.environ["CRM_SUITE_DB_GLUE"]
    prefix = f"PYP{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        partner_ids, orders = generator.generate(conn, 300, seed=11, prefix=prefix)
        cr.execute(
            """
            SELECT o.partner_id, o.state, o.amount_total, s.state, s.name,
                   COUNT(l.id), SUM(l.price_subtotal)
              FROM pos_order o
              JOIN pos_session s ON s.id = o.session_id
              LEFT JOIN pos_order_line l ON l.order_id = o.id
             WHERE o.name LIKE %s
             GROUP BY o.id, s.id
            """,
            (f"{prefix}/P%",),
        )
        till = cr.fetchall()
        cr.execute(
            "SELECT partner_id, COUNT(*) FROM sale_order"
            " WHERE name LIKE %s AND state = 'sale' GROUP BY 1",
            (f"{prefix}/%",),
        )
        sold = dict(cr.fetchall())
        # The same seed without the till: every purchase a sale order.
        other = f"{prefix}N"
        _partners, all_sales = generator.generate(
            conn, 300, seed=11, prefix=other, pos_share=0.0
        )
        cr.execute("SELECT COUNT(*) FROM pos_order WHERE name LIKE %s", (f"{other}/%",))
        assert cr.fetchone()[0] == 0
    finally:
        conn.close()
    assert orders == all_sales, "the purchases are the same, wherever made"
    assert 0.1 * orders < len(till) < 0.5 * orders
    for _partner, state, total, session_state, session, lines, untaxed in till:
        assert (state, session_state, lines) == ("done", "closed", 1)
        assert session.startswith(f"{prefix}/POS/")
        assert float(untaxed) == pytest.approx(float(total))
    at_till = {}
    for partner, *_rest in till:
        at_till[partner] = at_till.get(partner, 0) + 1
    only_till = [p for p in at_till if p not in sold]
    both = [p for p in at_till if p in sold]
    assert len(only_till) > 10 and len(both) > 10
    assert set(at_till) <= {int(p) for p in partner_ids}
    admin = glue_server.login("admin", "admin")
    admin("crm.lifecycle.run", "action_recompute_now", [])
    counts = {
        row["id"]: row["lifecycle_order_count"]
        for row in admin(
            "res.partner", "read", only_till + both[:20], ["lifecycle_order_count"]
        )
    }
    for partner in only_till:
        assert counts[partner] == at_till[partner] > 0, partner
    for partner in both[:20]:
        assert counts[partner] == at_till[partner] + sold[partner], partner
