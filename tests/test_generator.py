"""The bulk data generator: deterministic, realistic, and usable by the suite."""

import os
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
        partner_ids, orders = generator.generate(conn, 300, seed=5, prefix="PYT")
        assert len(partner_ids) == 300
        assert orders > 900
        cr = conn.cursor()
        cr.execute(
            "SELECT state, COUNT(*) FROM sale_order WHERE name LIKE 'PYT/%%' GROUP BY 1"
        )
        states = dict(cr.fetchall())
        assert states["sale"] > 10 * states.get("cancel", 0) > 0
        assert states.get("draft", 0) > 0
    finally:
        conn.close()
    admin = demo_server.login("admin", "admin")
    admin("crm.lifecycle.run", "action_recompute_now", [])
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
