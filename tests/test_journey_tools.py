"""The journeys' pure tools: festival dates and the control-group test."""

from datetime import date

import pytest
from conftest import load_tools


@pytest.fixture(scope="module")
def festivals():
    return load_tools("crm_journey").festivals


@pytest.fixture(scope="module")
def stats():
    return load_tools("crm_journey").stats


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [
        # Published dates (State Council holiday notices).
        ("spring_festival", 2026, date(2026, 2, 17)),
        ("spring_festival", 2027, date(2027, 2, 6)),
        ("lantern", 2026, date(2026, 3, 3)),
        ("dragon_boat", 2026, date(2026, 6, 19)),
        ("qixi", 2026, date(2026, 8, 19)),
        ("mid_autumn", 2026, date(2026, 9, 25)),
        ("mid_autumn", 2027, date(2027, 9, 15)),
        ("double_ninth", 2026, date(2026, 10, 18)),
    ],
)
def test_festival_dates(festivals, code, year, expected):
    assert festivals.festival_date(code, year) == expected


def test_due_days_ahead_and_late_nights(festivals):
    kwargs = {"festival": "spring_festival", "days_before": 3, "late": 3}
    assert festivals.due(date(2026, 2, 13), "lunar", **kwargs) is None
    for day in (14, 15, 16, 17):
        assert festivals.due(date(2026, 2, day), "lunar", **kwargs) == date(2026, 2, 17)
    assert festivals.due(date(2026, 2, 18), "lunar", **kwargs) is None


def test_due_reaches_into_next_year(festivals):
    new_year = {"month": 1, "day": 1, "days_before": 5}
    assert festivals.due(date(2026, 12, 28), "gregorian", **new_year) == date(
        2027, 1, 1
    )


def test_29_february_in_a_common_year(festivals):
    assert festivals.gregorian_date(2, 29, 2027) == date(2027, 2, 28)
    assert festivals.gregorian_date(2, 29, 2028) == date(2028, 2, 29)


def test_control_group_is_stable_and_near_its_share(stats):
    draws = [stats.in_control_group(7, partner, 10.0) for partner in range(20000)]
    assert draws == [stats.in_control_group(7, p, 10.0) for p in range(20000)]
    assert 0.09 < sum(draws) / len(draws) < 0.11
    other = [stats.in_control_group(8, partner, 10.0) for partner in range(20000)]
    assert draws != other, "two journeys draw independently"
    assert not any(stats.in_control_group(7, p, 0.0) for p in range(1000))


def test_compare_two_proportions(stats):
    # 12% of 1000 against 6% of 500: pooled 10%, standard error
    # sqrt(0.1 * 0.9 * (1/1000 + 1/500)) = 0.01643, z = 0.06 / 0.01643.
    result = stats.compare(1000, 120, 500, 30)
    assert result.rate == pytest.approx(0.12)
    assert result.control_rate == pytest.approx(0.06)
    assert result.z == pytest.approx(3.6515, abs=1e-3)
    assert result.p_value == pytest.approx(0.000261, rel=0.01)
    assert stats.verdict(result) == "better"
    # The same rates on small groups could be chance.
    small = stats.compare(100, 12, 50, 3)
    assert small.p_value > 0.05
    assert stats.verdict(small) == "chance"
    assert stats.verdict(stats.compare(1000, 60, 500, 60)) == "worse"
    assert stats.verdict(stats.compare(10, 5, 5, 1)) == "too_few"
    empty = stats.compare(0, 0, 0, 0)
    assert empty.p_value == 1.0 and stats.verdict(empty) == "too_few"
