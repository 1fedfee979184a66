"""Nightly lifecycle values: columns on res_partner, or a narrow table?

Usage, on a scratch database where crm_lifecycle is installed (the script adds
customers and columns, times each write in its own transaction, and removes
what it added at the end):

    python3 tests/benchmarks/bench_profile_storage.py --db <database> \
        [--customers 100000]

Prints the wall time of each way of writing one nightly result per customer.
"""

import argparse
import os
import platform
import random
import time
from datetime import date, timedelta

import psycopg2
from psycopg2 import sql

METRICS = [  # the values the nightly run rewrites, with their types
    ("stage", "varchar"),
    ("computed_stage", "varchar"),
    ("order_count", "int4"),
    ("purchase_days", "int4"),
    ("first_order_date", "date"),
    ("last_order_date", "date"),
    ("days_since_last_order", "int4"),
    ("avg_order_value", "numeric"),
    ("avg_days_between_orders", "float8"),
    ("expected_next_order_date", "date"),
    ("historic_clv", "numeric"),
    ("rfm_recency_days", "int4"),
    ("rfm_frequency", "int4"),
    ("rfm_monetary", "numeric"),
    ("rfm_r", "int4"),
    ("rfm_f", "int4"),
    ("rfm_m", "int4"),
    ("rfm_segment", "varchar"),
    ("value_class", "varchar"),
    ("prob_alive", "float8"),
    ("expected_purchases_90", "float8"),
    ("expected_purchases_365", "float8"),
    ("predicted_clv_12m", "numeric"),
    ("computed_on", "date"),
]
STAGES = ["new", "active", "loyal", "at_risk", "dormant", "churned", "won_back"]
SEGMENTS = [
    "champions",
    "loyal",
    "potential_loyalist",
    "at_risk",
    "lost",
    "hibernating",
]


def rows_for(ids, rng, changed_share=1.0, base=None):
    today = date(2026, 11, 23)
    rows = {}
    for pid in ids:
        if base and rng.random() > changed_share:
            rows[pid] = base[pid]
            continue
        last = today - timedelta(days=rng.randint(0, 700))
        rows[pid] = [
            rng.choice(STAGES),
            rng.choice(STAGES),
            rng.randint(1, 50),
            rng.randint(1, 40),
            last - timedelta(days=rng.randint(0, 900)),
            last,
            (today - last).days,
            round(rng.uniform(10, 900), 2),
            rng.uniform(5, 200),
            last + timedelta(days=30),
            round(rng.uniform(10, 50000), 2),
            (today - last).days,
            rng.randint(1, 50),
            round(rng.uniform(10, 50000), 2),
            rng.randint(1, 5),
            rng.randint(1, 5),
            rng.randint(1, 5),
            rng.choice(SEGMENTS),
            rng.choice(["regular", "lost"]),
            rng.random(),
            rng.random() * 3,
            rng.random() * 10,
            round(rng.uniform(0, 5000), 2),
            today,
        ]
    return rows


def arrays(rows):
    ids = list(rows)
    return [ids] + [[rows[i][k] for i in ids] for k in range(len(METRICS))]


def unnest_sql(types):
    return sql.SQL(", ").join(sql.SQL("%s::" + t + "[]") for t in types)


def timed(conn, label, query, params, keep=False):
    """Run one statement in its own transaction; roll it back unless ``keep``."""
    cr = conn.cursor()
    start = time.perf_counter()
    cr.execute(query, params)
    conn.commit() if keep else None
    elapsed = time.perf_counter() - start
    print(f"{label:<66} {elapsed:7.2f} s  ({cr.rowcount} rows)", flush=True)
    if not keep:
        conn.rollback()
    vacuum(conn)


def vacuum(conn):
    conn.autocommit = True
    conn.cursor().execute("VACUUM ANALYZE res_partner")
    conn.cursor().execute("VACUUM ANALYZE crm_lifecycle_profile")
    conn.autocommit = False


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(1)
    conn = psycopg2.connect(dbname=args.db)
    cr = conn.cursor()
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores")
    cr.execute("SELECT version()")
    print(cr.fetchone()[0])
    cr.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s", ["res_partner"])
    partner_indexes = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM pg_indexes WHERE tablename = %s",
        ["crm_lifecycle_profile"],
    )
    print(
        f"indexes: res_partner {partner_indexes}, crm_lifecycle_profile "
        f"{cr.fetchone()[0]}; customers: {args.customers}"
    )
    cr.execute("SELECT id FROM res_company ORDER BY id LIMIT 1")
    company = cr.fetchone()[0]
    cr.execute(
        """
        INSERT INTO res_partner (name, active, is_company, type, autopost_bills,
                                 create_date, write_date)
        SELECT 'Bench ' || g, true, true, 'contact', 'ask', now(), now()
          FROM generate_series(1, %s) g RETURNING id
        """,
        (args.customers,),
    )
    ids = [r[0] for r in cr.fetchall()]
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", (ids,)
    )
    types = ["int4"] + [t for _n, t in METRICS]
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _t in METRICS)
    bench = [sql.Identifier("bench_" + n) for n, _t in METRICS]
    values = [sql.SQL("v.{}").format(sql.Identifier(n)) for n, _t in METRICS]
    for column, (_name, col_type) in zip(bench, METRICS, strict=True):
        cr.execute(
            sql.SQL("ALTER TABLE res_partner ADD COLUMN {} {}").format(
                column, sql.SQL(col_type)
            )
        )
    conn.commit()
    vacuum(conn)
    first = rows_for(ids, rng)
    second = rows_for(ids, rng, changed_share=0.1, base=first)
    changed = {i: second[i] for i in ids if second[i] is not first[i]}
    try:
        # (a) every value as a column of res_partner
        update_partner = sql.SQL(
            "UPDATE res_partner p SET {sets} FROM unnest({arrays}) AS v(id, {names})"
            " WHERE p.id = v.id"
        ).format(
            sets=sql.SQL(", ").join(
                sql.SQL("{} = {}").format(c, v)
                for c, v in zip(bench, values, strict=True)
            ),
            arrays=unnest_sql(types),
            names=names,
        )
        guard = sql.SQL(" OR ").join(
            sql.SQL("p.{} IS DISTINCT FROM {}").format(c, v)
            for c, v, (n, _t) in zip(bench, values, METRICS, strict=True)
            if n not in ("computed_on", "days_since_last_order")
        )
        timed(
            conn,
            "(a) UPDATE res_partner, 24 columns, every customer",
            update_partner,
            arrays(first),
            keep=True,
        )
        timed(conn, "(a) same again, every customer", update_partner, arrays(second))
        timed(
            conn,
            "(a') only the 10% that changed (IS DISTINCT FROM guard)",
            update_partner + sql.SQL(" AND ({})").format(guard),
            arrays(second),
        )

        # (b) a narrow table, one row per customer and company
        upsert = sql.SQL(
            "INSERT INTO crm_lifecycle_profile (partner_id, company_id, {names})"
            " SELECT v.id, {company}, {values} FROM unnest({arrays}) AS v(id, {names})"
            " ON CONFLICT (partner_id, company_id) DO UPDATE SET {updates}"
        ).format(
            names=names,
            company=sql.Literal(company),
            values=sql.SQL(", ").join(values),
            arrays=unnest_sql(types),
            updates=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n))
                for n, _t in METRICS
            ),
        )
        timed(
            conn,
            "(b) UPSERT crm_lifecycle_profile, first fill",
            upsert,
            arrays(first),
            keep=True,
        )
        timed(conn, "(b) UPSERT every row again", upsert, arrays(second))
        timed(
            conn,
            "(b') UPSERT only the 10% changed rows (the suite's way)",
            upsert,
            arrays(changed),
        )

        # (c) the suite's mirror: stage/segment/value class, company-dependent jsonb
        key = str(company)

        def mirror_params(rows):
            stages = [r[0] for r in rows.values()]
            segments = [r[17] for r in rows.values()]
            classes = [r[18] for r in rows.values()]
            return [key, key, key, list(rows), stages, segments, classes, key, key, key]

        timed(
            conn,
            "(c) mirror 3 jsonb values on res_partner, first fill",
            MIRROR,
            mirror_params(first),
            keep=True,
        )
        timed(
            conn,
            "(c') mirror again: only changed values are written",
            MIRROR,
            mirror_params(second),
        )
    finally:
        conn.rollback()
        cr = conn.cursor()
        cr.execute(
            "DELETE FROM crm_lifecycle_profile WHERE partner_id = ANY(%s)", (ids,)
        )
        cr.execute("DELETE FROM res_partner WHERE id = ANY(%s)", (ids,))
        for column in bench:
            cr.execute(sql.SQL("ALTER TABLE res_partner DROP COLUMN {}").format(column))
        conn.commit()
        conn.close()


MIRROR = """
    UPDATE res_partner p
       SET lifecycle_stage =
               COALESCE(p.lifecycle_stage, '{}') || jsonb_build_object(%s, v.s),
           rfm_segment =
               COALESCE(p.rfm_segment, '{}') || jsonb_build_object(%s, v.g),
           lifecycle_value_class = COALESCE(p.lifecycle_value_class, '{}')
               || jsonb_build_object(%s, v.c)
      FROM unnest(%s::int4[], %s::varchar[], %s::varchar[], %s::varchar[])
           AS v(id, s, g, c)
     WHERE p.id = v.id
       AND (p.lifecycle_stage->>%s IS DISTINCT FROM v.s
            OR p.rfm_segment->>%s IS DISTINCT FROM v.g
            OR p.lifecycle_value_class->>%s IS DISTINCT FROM v.c)
"""


if __name__ == "__main__":
    main()
