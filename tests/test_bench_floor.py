"""The benchmark's SQL floors do the work of the steps they are compared with.

``docs/BENCHMARKS.md`` judges the nightly run against two hand-written
statements (``tests/benchmarks/bench_nightly.py``). A floor that drifted from
the steps' rules (a stage rule or a signal changed on one side only) would
make that ratio meaningless without anyone noticing: run both on the demo
database and compare what they write, customer by customer.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))

import bench_nightly
import benchlib
import pytest


def test_floors_write_what_the_steps_wrote(demo_server):
    admin = demo_server.login("admin", "admin")
    # Today's profiles; the churn side is compared below on the same facts,
    # so no churn run (and none of its alerts) is needed.
    admin("crm.lifecycle.run", "action_recompute_now", [])
    with benchlib.odoo_env(
        os.environ["CRM_SUITE_DB"], os.environ["CRM_SUITE_ADDONS_PATH"]
    ) as env:
        from odoo.tools import SQL

        from odoo.addons.crm_churn.tools import scoring

        run = env["crm.lifecycle.run"].search([], order="id desc", limit=1)
        agreement = bench_nightly.floor_agreement(env, run.as_of)
        # Timed as the benchmark times them, rolled back: nothing is kept.
        _seconds, rows = bench_nightly.statement_seconds(
            env.cr, bench_nightly.floor_statement(env, run.as_of)
        )
        assert rows
        _seconds, rows = bench_nightly.statement_seconds(
            env.cr, bench_nightly.churn_floor_statement(env, run.as_of)
        )
        assert rows
        # Signal by signal, on the same facts: the step's scoring of every
        # scored customer now, against what the floor writes. The floor
        # leaves out the rating and tier signals; every other strength must
        # be the step's, and so must the score of a customer who has neither.
        Risk = env["crm.churn.risk"]
        facts = Risk._gather(Risk.search([]).partner_id.ids, run.as_of)
        weights = env["crm.churn.signal"]._weights()
        expected = {
            (fact["partner_id"], fact["company_id"]): scoring.score(
                fact,
                weights,
                env["res.company"].browse(fact["company_id"])._churn_thresholds(),
            )
            for fact in facts
        }
        env.cr.execute(
            SQL(
                "WITH floor AS (%s) SELECT * FROM floor",
                bench_nightly.churn_floor_statement(
                    env,
                    run.as_of,
                    SQL("r.partner_id, r.company_id, r.score, r.strengths"),
                ),
            )
        )
        written = env.cr.fetchall()
        env.cr.rollback()
    assert written
    left_out = {"rating", "tier_at_risk"}
    for partner_id, company_id, score, strengths in written:
        step = expected[partner_id, company_id]
        assert set(strengths) == set(step.strengths) - left_out
        for code, strength in strengths.items():
            assert strength == pytest.approx(step.strengths[code], abs=0.0006), code
        if not left_out & set(step.strengths):
            assert score == step.score
    # The stage rules are the same on both sides; the segments differ only
    # where ntile splits ties that the step scores alike.
    assert agreement["stage"] == 1.0, agreement
    assert agreement["segment"] > 0.9, agreement


def test_settle_vacuums_what_a_night_writes_and_nothing_else(demo_server):
    """Each measured night starts from vacuumed tables (``benchlib.settle``):
    the suite's tables and the partners, not the sales history."""
    db = os.environ["CRM_SUITE_DB"]
    conn = benchlib.psycopg2.connect(dbname=db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT relname, vacuum_count, analyze_count FROM pg_stat_user_tables"
                " WHERE relname IN ('crm_lifecycle_profile', 'crm_churn_risk',"
                " 'crm_loyalty_lot', 'res_partner', 'sale_order')"
            )
            before = {row[0]: row[1:] for row in cr.fetchall()}
    finally:
        conn.close()
    seconds = benchlib.settle(db)
    conn = benchlib.psycopg2.connect(dbname=db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT relname, vacuum_count, analyze_count FROM pg_stat_user_tables"
                " WHERE relname = ANY(%s)",
                [list(before)],
            )
            after = {row[0]: row[1:] for row in cr.fetchall()}
    finally:
        conn.close()
    assert seconds > 0
    for table in ("crm_lifecycle_profile", "crm_churn_risk", "crm_loyalty_lot"):
        assert after[table][0] == before[table][0] + 1, table
        assert after[table][1] == before[table][1] + 1, table
    assert after["res_partner"][0] == before["res_partner"][0] + 1
    assert after["sale_order"] == before["sale_order"]
