"""Pure lifecycle tools: stage rules, RFM scoring and grid, value classes,
demo histories and the Excel layout, without Odoo or a database."""

import io
from datetime import date, timedelta
from itertools import pairwise

import openpyxl
import pytest

TODAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def stages(lifecycle_tools):
    return lifecycle_tools.stages


@pytest.fixture(scope="module")
def rfm(lifecycle_tools):
    return lifecycle_tools.rfm


def stage_of(stages, days_ago, thresholds=None, today=TODAY):
    days = sorted({today - timedelta(days=d) for d in days_ago})
    gaps = [(b - a).days for a, b in pairwise(days)]
    t = thresholds or stages.StageThresholds()
    returns = [days[i + 1] for i, g in enumerate(gaps) if g >= t.dormant_days]
    return stages.compute_stage(
        today,
        len(days_ago),
        len(days),
        days[0] if days else None,
        days[-1] if days else None,
        returns[-1] if returns else None,
        t,
    )


@pytest.mark.parametrize(
    "days_ago, expected",
    [
        ([], "prospect"),
        ([10], "new"),
        ([150], "at_risk"),
        ([140, 110, 80, 50, 20], "active"),
        ([400, 330, 260, 190, 120, 50, 20], "loyal"),
        ([200, 180, 160, 140, 120, 100], "at_risk"),
        ([400, 300, 200], "dormant"),
        ([600, 500, 400], "churned"),
        ([700, 650, 30], "won_back"),
        ([700, 650, 120], "active"),  # came back too long ago to be won back
        ([365], "churned"),  # boundaries are inclusive
        ([180], "dormant"),
    ],
)
def test_stage_rules(stages, days_ago, expected):
    assert stage_of(stages, days_ago) == expected


def test_stages_move_forward_and_back_with_time(stages):
    history = [300, 270, 240, 210]
    seen = [stage_of(stages, [d - shift for d in history]) for shift in (200, 100, 0)]
    assert seen == ["active", "at_risk", "dormant"]
    assert stage_of(stages, [*history, 0]) == "won_back"


def test_thresholds_change_the_outcome(stages):
    lenient = stages.StageThresholds(at_risk_factor=3.0)
    assert stage_of(stages, [200, 180, 160, 140, 120, 100]) == "at_risk"
    assert stage_of(stages, [200, 180, 160, 140, 120, 100], lenient) == "at_risk"
    assert stage_of(stages, [200, 180, 160, 140, 120, 60], lenient) == "active"


def test_threshold_validation(stages):
    assert stages.StageThresholds().validate() == []
    assert stages.StageThresholds(dormant_days=400).validate()
    assert stages.StageThresholds(at_risk_factor=0.5).validate()
    assert stages.StageThresholds(loyal_min_orders=1).validate()
    assert stages.StageThresholds(new_days=0).validate()


def test_expected_next_order(stages):
    first, last = TODAY - timedelta(days=90), TODAY - timedelta(days=30)
    assert stages.expected_next_order(first, last, 3) == TODAY
    assert stages.expected_next_order(last, last, 1) is None


def test_cut_points_give_quintiles(rfm):
    cuts = rfm.cut_points(range(1, 101))
    scores = [rfm.score(v, cuts) for v in range(1, 101)]
    assert [scores.count(k) for k in (1, 2, 3, 4, 5)] == [20, 20, 20, 20, 20]
    assert scores == sorted(scores)


def test_ties_one_and_two_customers(rfm):
    assert rfm.score(7, rfm.cut_points([7])) == 3
    assert {rfm.score(5, rfm.cut_points([5] * 9))} == {3}
    cuts = rfm.cut_points([1, 2])
    assert (rfm.score(1, cuts), rfm.score(2, cuts)) == (2, 4)
    cuts = rfm.cut_points([1, 1, 1, 1, 9])
    assert rfm.score(1, cuts) == rfm.score(1, cuts) < rfm.score(9, cuts)
    assert rfm.cut_points([]) is None
    assert rfm.score(3, None) is None


def test_cut_points_are_json_serialisable(rfm):
    import json

    cuts = rfm.cut_points([4, 4, 4])
    assert json.loads(json.dumps(cuts)) == cuts
    assert rfm.score(100, cuts) == 3


def test_values_outside_the_population_are_scored(rfm):
    cuts = rfm.cut_points([10, 20, 30, 40, 50])
    assert rfm.score(-5, cuts) == 1
    assert rfm.score(500, cuts) == 5
    # recency: fewer days is better
    recency_cuts = rfm.cut_points(
        [rfm.recency_value(d) for d in (5, 50, 100, 200, 400)]
    )
    assert rfm.score(rfm.recency_value(1), recency_cuts) == 5
    assert rfm.score(rfm.recency_value(999), recency_cuts) == 1


def test_segment_grid_is_complete_and_uses_every_segment(rfm):
    cells = {
        (r, fm): rfm.SEGMENT_GRID[r][fm - 1] for r in range(1, 6) for fm in range(1, 6)
    }
    assert len(cells) == 25
    assert set(cells.values()) == set(rfm.SEGMENTS)
    assert len(rfm.SEGMENTS) == 11


def test_segments(rfm):
    assert rfm.segment(5, 5, 5) == "champions"
    assert rfm.segment(1, 1, 1) == "lost"
    assert rfm.segment(5, 1, 1) == "new"
    assert rfm.segment(2, 5, 5) == "cant_lose"
    assert rfm.segment(3, 3, 3) == "need_attention"
    assert rfm.segment(None, 3, 3) is None
    # FM is the mean of F and M rounded half up
    assert rfm.fm_score(1, 2) == 2
    assert rfm.fm_score(2, 3) == 3
    assert rfm.fm_score(4, 5) == 5


def test_value_classes(rfm):
    assert rfm.value_class("churned", "champions", 5) == "lost"
    assert rfm.value_class("loyal", "champions", 5) == "high_value"
    assert rfm.value_class("new", "new", 2) == "potential"
    assert rfm.value_class("active", "promising", 3) == "potential"
    assert rfm.value_class("active", "need_attention", 3) == "regular"
    assert rfm.value_class("prospect", None, None) is None


def test_evaluate_batch(lifecycle_tools):
    profile = lifecycle_tools.profile
    fact = {
        "partner_id": 1,
        "company_id": 1,
        "order_count": 4,
        "purchase_days": 4,
        "first_day": TODAY - timedelta(days=100),
        "last_day": TODAY - timedelta(days=10),
        "return_day": None,
        "revenue": 1000.0,
        "refunded": -100.0,
        "repeat_revenue": 750.0,
        "window_orders": 4,
        "window_revenue": 1000.0,
        "window_margin": None,
        "window_refunded": -100.0,
        "window_last_day": TODAY - timedelta(days=10),
    }
    settings = {1: profile.CompanySettings()}
    settings[1].cuts = profile.population_cuts([fact], settings[1], TODAY)
    [row] = profile.evaluate([fact], settings, TODAY)
    assert row["computed_stage"] == "active"
    assert row["historic_clv"] == 900.0
    assert row["avg_order_value"] == 225.0
    assert row["avg_days_between_orders"] == 30.0
    assert (row["rfm_r"], row["rfm_f"], row["rfm_m"]) == (3, 3, 3)
    assert row["rfm_monetary"] == 900.0
    assert 0 < row["prob_alive"] <= 1
    assert row["expected_purchases_365"] > row["expected_purchases_90"] > 0
    # margin is used only when the setting asks for it and margins exist
    settings[1].monetary = "margin"
    assert profile.rfm_inputs(fact, settings[1], TODAY)[2] == 900.0
    fact["window_margin"] = 300.0
    assert profile.rfm_inputs(fact, settings[1], TODAY)[2] == 200.0


def test_cuts_from_compact_arrays_match_cuts_from_facts(lifecycle_tools):
    """The nightly run streams the population into three arrays; the cut
    points must be those of the facts themselves, recency turned around."""
    from array import array

    profile = lifecycle_tools.profile
    settings = profile.CompanySettings()
    facts = [
        {
            "window_orders": orders,
            "window_revenue": revenue,
            "window_margin": None,
            "window_refunded": 0.0,
            "window_last_day": TODAY - timedelta(days=days),
        }
        for orders, revenue, days in [
            (1, 50.0, 300),
            (2, 80.0, 120),
            (5, 400.0, 40),
            (9, 900.0, 5),
            (3, 120.0, 60),
            (0, 0.0, 0),  # outside the window: not part of the population
        ]
    ]
    columns = (array("d"), array("d"), array("d"))
    for fact in facts:
        values = profile.rfm_inputs(fact, settings, TODAY)
        if values:
            for column, value in zip(columns, values, strict=True):
                column.append(value)
    expected = profile.population_cuts(facts, settings, TODAY)
    assert profile.cuts_of(*columns) == expected
    assert expected["r"][0] < 0  # bigger is better: minus the days
    assert expected["f"] == [2.0, 3.0, 5.0, 9.0]
    assert profile.cuts_of(array("d"), array("d"), array("d")) is None


def test_demo_histories_are_deterministic(lifecycle_tools):
    demo = lifecycle_tools.demo_history
    first = demo.generate(220, today=TODAY, seed=42)
    assert first == demo.generate(220, today=TODAY, seed=42)
    assert first != demo.generate(220, today=TODAY, seed=43)
    patterns = {c["pattern"] for c in first}
    assert patterns == {name for name, _share in demo.PATTERNS}
    assert all(day <= TODAY for c in first for day, _amount in c["orders"])
    assert all(amount > 0 for c in first for _day, amount in c["orders"])
    assert sum(len(c["orders"]) for c in first) > 1000


def test_segment_workbook_layout(lifecycle_tools):
    labels = {
        key: key.title()
        for key in [
            "segment",
            "customers",
            "share",
            "revenue",
            "avg_order_value",
            "avg_recency",
            "clv_12m",
            "total",
            "customer",
            "stage",
            "value_class",
            "r",
            "f",
            "m",
            "orders",
            "first_order",
            "last_order",
        ]
    }
    labels.update(summary_sheet="Summary", detail_sheet="Customers")
    summary = [
        {
            "segment": "Champions",
            "customers": 2,
            "share": 0.5,
            "revenue": 100.0,
            "avg_order_value": 50.0,
            "avg_recency": 3.0,
            "clv_12m": 80.0,
        },
        {
            "segment": "Lost",
            "customers": 2,
            "share": 0.5,
            "revenue": 10.0,
            "avg_order_value": 5.0,
            "avg_recency": 300.0,
            "clv_12m": None,
        },
    ]
    detail = [
        {
            "customer": "A",
            "segment": "Champions",
            "stage": "Loyal",
            "r": 5,
            "f": 5,
            "m": 5,
            "orders": 9,
            "first_order": TODAY,
            "last_order": TODAY,
            "revenue": 60.0,
            "clv_12m": 50.0,
            "value_class": "High value",
        },
    ]
    content = lifecycle_tools.xlsx_report.segment_report(
        "Title", summary, detail, labels
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Summary"]
    assert sheet["A1"].value == "Title"
    assert [c.value for c in sheet[3]][:2] == ["Segment", "Customers"]
    assert sheet["A6"].value == "Total"
    assert sheet["B6"].value == 4
    assert sheet["D6"].value == 110.0
    assert sheet["C4"].number_format == "0.0%"
    row = [c.value for c in book["Customers"][2]]
    assert row[0] == "A" and row[4:7] == [5, 5, 5]
    assert row[8].date() == TODAY


@pytest.mark.parametrize("monetary", ["revenue", "margin"])
def test_rfm_columns_match_rfm_inputs_customer_by_customer(lifecycle_tools, monetary):
    """The nightly cut points compute the RFM inputs column-wise; each
    customer's values must be those of ``rfm_inputs``, missing margins and
    refunds included, and customers without window orders left out."""
    import numpy as np

    profile = lifecycle_tools.profile
    settings = profile.CompanySettings(monetary=monetary)
    rows = [
        # orders, revenue, margin, refunded, days since the last order
        (1, 50.0, None, 0.0, 300),
        (2, 80.0, 30.0, -20.0, 120),
        (0, 0.0, None, 0.0, 0),
        (5, 400.0, None, -400.0, 40),
        (9, 900.0, 250.5, 0.0, 5),
    ]
    facts = [
        {
            "window_orders": orders,
            "window_revenue": revenue,
            "window_margin": margin,
            "window_refunded": refunded,
            "window_last_day": TODAY - timedelta(days=days),
        }
        for orders, revenue, margin, refunded, days in rows
    ]
    expected = [v for v in (profile.rfm_inputs(f, settings, TODAY) for f in facts) if v]
    columns = profile.rfm_columns(*np.array(rows, dtype=float).T, settings)
    assert [tuple(values) for values in zip(*columns, strict=True)] == expected
    assert len(expected) == 4
    assert expected[1][2] == (10.0 if monetary == "margin" else 60.0)


def _steady_stage_changes(stages, seed, gap=14.0, sd=4.0, days=365):
    """Stage changes in a year of a customer who buys every ``gap`` days give
    or take ``sd``, judged every day from what was known that day."""
    import random

    rng = random.Random(seed)
    start = TODAY - timedelta(days=days + 400)
    purchases = [start]
    while purchases[-1] < TODAY:
        purchases.append(
            purchases[-1] + timedelta(days=max(1, round(rng.gauss(gap, sd))))
        )
    changes, previous = 0, None
    for offset in range(days):
        today = TODAY - timedelta(days=days - offset)
        known = [day for day in purchases if day <= today]
        gaps = [(b - a).days for a, b in pairwise(known)]
        mean = sum(gaps) / len(gaps)
        gap_sd = (sum((g - mean) ** 2 for g in gaps) / (len(gaps) - 1)) ** 0.5
        stage = stages.compute_stage(
            today, len(known), len(known), known[0], known[-1], gap_sd=gap_sd
        )
        if previous is not None and stage != previous:
            changes += 1
        previous = stage
    return changes


@pytest.mark.parametrize("seed", range(20))
def test_a_steady_rhythm_does_not_flap(stages, seed):
    """A customer who buys every two weeks, give or take four days, stays
    Loyal: at most two stage changes a year without a real change (with
    the plain 1.5 x gap rule, up to six in a year of these seeds)."""
    assert _steady_stage_changes(stages, seed) <= 2


def test_a_customer_who_stops_buying_is_at_risk_soon_enough(stages):
    """The margin of a steady customer stays short: four weeks after his
    last order, someone who bought every two weeks is at risk."""
    days_ago = list(range(30, 400, 14))
    assert stage_of(stages, days_ago) == "at_risk"
    assert stage_of(stages, [d - 10 for d in days_ago]) == "loyal"


def test_an_irregular_customer_gets_a_wider_margin(stages):
    t = stages.StageThresholds()
    assert stages.at_risk_after(30, 0, t) == 45  # 1.5 x 30
    assert stages.at_risk_after(30, 15, t) == 60  # 30 + 2 x 15
    assert stages.at_risk_after(7, 1, t) == 21  # at least two weeks late


def test_working_days_in_china_follow_the_holidays():
    """Spring Festival 2026: 15-23 February off, Saturday 14 and Saturday 28
    February worked (调休). Elsewhere, Monday to Friday."""
    from datetime import date

    from conftest import load_tools

    workdays = load_tools("crm_lifecycle").workdays
    china = workdays.workday_rule("CN")
    friday = date(2026, 2, 13)
    assert workdays.add_working_days(friday, 1, china) == date(2026, 2, 14)
    assert workdays.add_working_days(friday, 2, china) == date(2026, 2, 24)
    assert workdays.add_working_days(friday, 1, workdays.workday_rule("FR")) == date(
        2026, 2, 16
    )
    assert workdays.add_working_days(friday, 0, china) == friday
    # A year the library does not know yet: Monday to Friday.
    assert workdays.add_working_days(date(2099, 1, 2), 1, china) == date(2099, 1, 5)
