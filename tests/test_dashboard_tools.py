"""The KPI arithmetic of crm_lifecycle_dashboard."""

import pytest
from conftest import load_tools


@pytest.fixture(scope="module")
def kpi():
    return load_tools("crm_lifecycle_dashboard").kpi


def test_rates_are_shares_in_percent_and_none_without_a_base(kpi):
    assert kpi.repurchase_rate(1, 3) == pytest.approx(33.333, abs=1e-3)
    assert kpi.churn_rate(1, 20) == 5.0
    assert kpi.retention_rate(0, 4) == 0.0
    assert kpi.repurchase_rate(0, 0) is None
    assert kpi.churn_rate(0, 0) is None


@pytest.mark.parametrize(("part", "whole"), [(3, 2), (-1, 2), (1.5, 2), (True, 2)])
def test_rate_refuses_impossible_counts(kpi, part, whole):
    with pytest.raises((TypeError, ValueError)):
        kpi.rate(part, whole)


def test_win_back_rate_over_closed_alerts(kpi):
    assert kpi.win_back_rate(3, 1) == 75.0
    assert kpi.win_back_rate(0, 0) is None


def test_nps_is_the_average_of_the_values(kpi):
    assert kpi.net_promoter_score(100 + 100 + 0 - 100, 4) == 25.0
    assert kpi.net_promoter_score(0, 0) is None
    with pytest.raises(ValueError):
        kpi.net_promoter_score(300, 2)
    assert kpi.trend(25.0, -50.0) == 75.0
    assert kpi.trend(25.0, None) is None


def test_averages_and_orders_per_year(kpi):
    assert kpi.average(250.0, 2) == 125.0
    assert kpi.average(10.0, 0) is None
    assert kpi.orders_per_year(6, 3) == 2.0
    assert kpi.orders_per_year(6, 3, window_days=730) == 1.0
    assert kpi.orders_per_year(0, 0) is None
    with pytest.raises(ValueError):
        kpi.orders_per_year(1, 1, window_days=0)


def test_stage_moves_cover_stages_that_appear_or_vanish(kpi):
    moves = kpi.stage_moves({"new": 3, "active": 1}, {"active": 2, "dormant": 1})
    assert moves == {"active": -1, "dormant": -1, "new": 3}


def test_points_value(kpi):
    assert kpi.points_value(400, 0.02) == 8.0
    with pytest.raises(ValueError):
        kpi.points_value(400, -0.01)


@pytest.mark.parametrize(
    ("value", "line", "direction", "crossed"),
    [
        (5.1, 5.0, "above", True),
        (5.0, 5.0, "above", False),
        (29.9, 30.0, "below", True),
        (30.0, 30.0, "below", False),
        (None, 5.0, "above", False),
    ],
)
def test_a_line_is_crossed_strictly(kpi, value, line, direction, crossed):
    assert kpi.is_crossed(value, line, direction) is crossed


def test_is_crossed_refuses_an_unknown_direction(kpi):
    with pytest.raises(ValueError):
        kpi.is_crossed(1.0, 2.0, "sideways")


def test_crossed_rules_and_rules_switched_off(kpi):
    values = {
        "churn_rate": 8.0,
        "churn_rate_high_value": 2.0,
        "repurchase_rate": 25.0,
        "nps": None,
    }
    lines = {"churn": 5.0, "churn_high_value": 5.0, "repurchase": 30.0, "nps": 50.0}
    assert kpi.crossed_rules(values, lines) == {"churn", "repurchase"}
    assert kpi.crossed_rules(values, {**lines, "churn": None}) == {"repurchase"}


def test_a_crossing_is_told_once(kpi):
    assert kpi.newly_crossed({"churn"}, set()) == {"churn"}
    assert kpi.newly_crossed({"churn"}, {"churn"}) == set()
    # Recomputed the same day after the previous day: both count.
    assert kpi.newly_crossed({"churn", "nps"}, {"churn"}, {"nps"}) == set()
    assert kpi.newly_crossed({"nps"}, None) == {"nps"}


def test_rules_round_trip_as_text(kpi):
    text = kpi.encode_rules({"repurchase", "churn"})
    assert text == "churn,repurchase"
    assert kpi.decode_rules(text) == {"churn", "repurchase"}
    assert kpi.decode_rules("") == set()
    assert kpi.decode_rules("bogus,nps") == {"nps"}
    with pytest.raises(ValueError):
        kpi.encode_rules({"bogus"})
