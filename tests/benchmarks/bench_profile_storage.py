"""Nightly lifecycle values: columns on res_partner, or a narrow table?

Usage (a scratch database where crm_lifecycle is installed; everything runs in
one transaction that is rolled back, so the database is left unchanged):

    python3 tests/benchmarks/bench_profile_storage.py --db <database> \
        [--customers 100000]

Prints the wall time of each way of writing one nightly result per customer.
"""

import argparse
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


def timed(cr, label, query, params, results):
    cr.execute("SAVEPOINT bench")
    start = time.perf_counter()
    cr.execute(query, params)
    elapsed = time.perf_counter() - start
    results.append((label, elapsed, cr.rowcount))
    print(f"{label:<72} {elapsed:7.2f} s  ({cr.rowcount} rows)", flush=True)
    cr.execute("RELEASE SAVEPOINT bench")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(1)
    conn = psycopg2.connect(dbname=args.db)
    cr = conn.cursor()
    print(
        f"machine: {platform.node()} {platform.machine()} {platform.processor() or ''}"
    )
    cr.execute("SELECT version()")
    print(cr.fetchone()[0])
    cr.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'res_partner'")
    print(f"res_partner indexes: {cr.fetchone()[0]}; customers: {args.customers}")
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
    first = rows_for(ids, rng)
    second = rows_for(ids, rng, changed_share=0.1, base=first)
    results = []
    types = ["int4"] + [t for _n, t in METRICS]
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _t in METRICS)
    bench = [sql.Identifier("bench_" + n) for n, _t in METRICS]
    values = [sql.SQL("v.{}").format(sql.Identifier(n)) for n, _t in METRICS]

    # (a) every value as a column of res_partner
    for column, (_name, col_type) in zip(bench, METRICS, strict=True):
        cr.execute(
            sql.SQL("ALTER TABLE res_partner ADD COLUMN {} {}").format(
                column, sql.SQL(col_type)
            )
        )
    update_partner = sql.SQL(
        "UPDATE res_partner p SET {sets} FROM unnest({arrays}) AS v(id, {names})"
        " WHERE p.id = v.id"
    ).format(
        sets=sql.SQL(", ").join(
            sql.SQL("{} = {}").format(c, v) for c, v in zip(bench, values, strict=True)
        ),
        arrays=unnest_sql(types),
        names=names,
    )
    timed(
        cr,
        "(a) UPDATE res_partner, 24 columns, every customer",
        update_partner,
        arrays(first),
        results,
    )
    guard = sql.SQL(" OR ").join(
        sql.SQL("p.{} IS DISTINCT FROM {}").format(c, v)
        for c, v, (n, _t) in zip(bench, values, METRICS, strict=True)
        if n not in ("computed_on", "days_since_last_order")
    )
    timed(
        cr,
        "(a') same, rewriting only the 10% that changed",
        update_partner + sql.SQL(" AND ({})").format(guard),
        arrays(second),
        results,
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
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(n)) for n, _t in METRICS
        ),
    )
    timed(
        cr,
        "(b) UPSERT crm_lifecycle_profile, first fill",
        upsert,
        arrays(first),
        results,
    )
    timed(
        cr,
        "(b) UPSERT crm_lifecycle_profile, every row again",
        upsert,
        arrays(first),
        results,
    )
    changed = {i: second[i] for i in ids if second[i] is not first[i]}
    timed(
        cr,
        "(b') UPSERT only the 10% changed rows (as the suite does)",
        upsert,
        arrays(changed),
        results,
    )

    # (c) the suite's mirror: stage/segment/value class as company-dependent jsonb
    mirror = """
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
    key = str(company)

    def mirror_params(rows):
        return [
            key,
            key,
            key,
            list(rows),
            [r[0] for r in rows.values()],
            [r[17] for r in rows.values()],
            [r[18] for r in rows.values()],
            key,
            key,
            key,
        ]

    timed(
        cr,
        "(c) mirror 3 jsonb values on res_partner, first fill",
        mirror,
        mirror_params(first),
        results,
    )
    timed(
        cr,
        "(c') mirror again, only changed values are written",
        mirror,
        mirror_params(second),
        results,
    )
    conn.rollback()
    conn.close()


if __name__ == "__main__":
    main()
