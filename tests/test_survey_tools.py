"""The NPS and satisfaction arithmetic of crm_lifecycle_survey."""

import pytest
from conftest import load_tools


@pytest.fixture(scope="module")
def nps():
    return load_tools("crm_lifecycle_survey").nps


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_nps_categories_at_their_bounds(nps, score, category):
    assert nps.nps_category(score) == category


@pytest.mark.parametrize("score", [-1, 11, 7.5, "9", None, True])
def test_nps_refuses_what_is_not_a_0_to_10_score(nps, score):
    with pytest.raises((TypeError, ValueError)):
        nps.nps_category(score)


def test_the_average_of_the_values_is_the_nps(nps):
    scores = [10, 9, 8, 2]
    values = [nps.nps_value(nps.nps_category(s)) for s in scores]
    assert sum(values) / len(values) == 25.0
    assert nps.net_promoter_score(2, 1, 1) == 25.0


def test_nps_from_counts(nps):
    assert nps.net_promoter_score(0, 0, 3) == -100.0
    assert nps.net_promoter_score(5, 0, 0) == 100.0
    assert nps.net_promoter_score(1, 2, 1) == 0.0
    # No answer is no score, not a score of 0.
    assert nps.net_promoter_score(0, 0, 0) is None
    with pytest.raises(ValueError):
        nps.net_promoter_score(-1, 0, 0)
    with pytest.raises(ValueError):
        nps.nps_value("neutral")


@pytest.mark.parametrize(
    ("score", "satisfied", "follow_up"),
    [
        (1, False, True),
        (2, False, True),
        (3, False, False),
        (4, True, False),
        (5, True, False),
    ],
)
def test_csat(nps, score, satisfied, follow_up):
    assert nps.csat_satisfied(score) is satisfied
    assert nps.needs_follow_up("csat", score) is follow_up


def test_follow_up_and_bounds(nps):
    assert nps.needs_follow_up("nps", 6)
    assert not nps.needs_follow_up("nps", 7)
    assert nps.scale_bounds("nps") == (0, 10)
    assert nps.scale_bounds("csat") == (1, 5)
    with pytest.raises(ValueError):
        nps.csat_satisfied(0)
    with pytest.raises(ValueError):
        nps.needs_follow_up("ces", 3)
