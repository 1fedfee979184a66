"""Pure churn scoring rules of crm_churn: signals, weights, levels and helpers."""

from datetime import date
from math import exp

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

STAGE_RISK = {
    "new": 0.2,
    "active": 0.0,
    "loyal": 0.0,
    "won_back": 0.3,
    "at_risk": 0.6,
    "dormant": 0.85,
    "churned": 1.0,
}
SEGMENT_RISK = {
    "champions": 0.0,
    "loyal": 0.0,
    "potential_loyalist": 0.1,
    "new": 0.2,
    "promising": 0.2,
    "need_attention": 0.4,
    "about_to_sleep": 0.6,
    "at_risk": 0.8,
    "cant_lose": 1.0,
    "hibernating": 0.7,
    "lost": 1.0,
}


@pytest.fixture(scope="module")
def scoring(churn_tools):
    return churn_tools.scoring


def strength(scoring, facts, code):
    """Strength of one signal, or None when the signal is unavailable."""
    found = scoring.signal_strengths(facts).get(code)
    return None if found is None else found[0]


def params(scoring, facts, code):
    return scoring.signal_strengths(facts)[code][1]


# ---------------------------------------------------------------------------
# Signal strengths
# ---------------------------------------------------------------------------


def overdue_facts(days, gap=30.0, purchase_days=2, last_order_date="2026-03-01"):
    return {
        "purchase_days": purchase_days,
        "avg_days_between_orders": gap,
        "days_since_last_order": days,
        "last_order_date": last_order_date,
    }


def test_overdue_ramps_from_one_gap_to_three_gaps(scoring):
    assert strength(scoring, overdue_facts(0), "overdue") == 0.0
    assert strength(scoring, overdue_facts(15), "overdue") == 0.0
    assert strength(scoring, overdue_facts(30), "overdue") == 0.0  # ratio 1
    assert strength(scoring, overdue_facts(45), "overdue") == pytest.approx(0.25)
    assert strength(scoring, overdue_facts(60), "overdue") == pytest.approx(0.5)
    assert strength(scoring, overdue_facts(90), "overdue") == 1.0  # ratio 3
    assert strength(scoring, overdue_facts(400), "overdue") == 1.0


def test_overdue_needs_two_purchase_days_a_gap_and_a_last_order(scoring):
    assert strength(scoring, overdue_facts(90, purchase_days=1), "overdue") is None
    assert strength(scoring, overdue_facts(90, purchase_days=None), "overdue") is None
    assert strength(scoring, overdue_facts(90, purchase_days=5), "overdue") == 1.0
    assert strength(scoring, overdue_facts(90, gap=0), "overdue") is None
    assert strength(scoring, overdue_facts(90, gap=None), "overdue") is None
    assert strength(scoring, overdue_facts(90, gap=-10), "overdue") is None
    assert strength(scoring, overdue_facts(None), "overdue") is None


def test_overdue_params_count_from_a_date(scoring):
    """The last order's date, not the days since: a count would change the
    reason, and rewrite the score row, every night."""
    facts = overdue_facts(75.9, gap=29.6, last_order_date="2026-04-02")
    assert params(scoring, facts, "overdue") == {"since": "2026-04-02", "gap": 30}
    later = {**facts, "days_since_last_order": 76.9}
    assert params(scoring, later, "overdue") == params(scoring, facts, "overdue")


@pytest.mark.parametrize(
    ("code", "recent_key", "previous_key"),
    [
        ("frequency_drop", "recent_orders", "previous_orders"),
        ("spending_drop", "recent_revenue", "previous_revenue"),
    ],
)
def test_frequency_and_spending_drop(scoring, code, recent_key, previous_key):
    def drop(recent, previous, **extra):
        facts = {recent_key: recent, previous_key: previous, **extra}
        return strength(scoring, facts, code)

    assert drop(4, 4) == 0.0
    assert drop(8, 4) == 0.0  # growth is no drop
    assert drop(3, 4) == pytest.approx(0.25)
    assert drop(2, 4) == pytest.approx(0.5)
    assert drop(0, 4) == 1.0
    assert drop(None, 4) == 1.0  # nothing recent counts as zero
    # Nothing to compare with: unavailable rather than zero.
    assert drop(3, 0) is None
    assert drop(3, None) is None
    assert drop(3, -2) is None
    facts = {recent_key: 1, previous_key: 4}
    assert params(scoring, facts, code) == {"percent": 75, "months": 6}
    facts["period_months"] = 3
    assert params(scoring, facts, code) == {"percent": 75, "months": 3}


def test_stage_and_segment_maps(scoring):
    for stage, value in STAGE_RISK.items():
        assert strength(scoring, {"stage": stage}, "stage") == value
        assert params(scoring, {"stage": stage}, "stage") == {"stage": stage}
    assert strength(scoring, {"stage": "unknown"}, "stage") is None
    assert strength(scoring, {"stage": None}, "stage") is None

    for segment, value in SEGMENT_RISK.items():
        assert strength(scoring, {"segment": segment}, "segment") == value
    assert strength(scoring, {"segment": "churned"}, "segment") is None
    assert strength(scoring, {}, "segment") is None


def test_cancellations_share_doubled_and_clamped(scoring):
    def cancel(cancellations, orders):
        facts = {"cancellations": cancellations, "orders_12m": orders}
        return strength(scoring, facts, "cancellations")

    assert cancel(0, 5) == 0.0
    assert cancel(None, 5) == 0.0
    assert cancel(1, 9) == pytest.approx(0.2)
    assert cancel(1, 3) == pytest.approx(0.5)  # share 25 %
    assert cancel(1, 1) == 1.0  # share 50 %
    assert cancel(3, 1) == 1.0  # share 75 %, clamped
    assert cancel(2, 0) == 1.0
    assert cancel(0, 0) is None
    assert cancel(None, None) is None
    facts = {"cancellations": 2, "orders_12m": 6}
    assert params(scoring, facts, "cancellations") == {"count": 2}


def test_rating(scoring):
    def rating(avg, count=3):
        facts = {"rating_avg": avg, "rating_count": count}
        return strength(scoring, facts, "rating")

    assert rating(5) == 0.0
    assert rating(4) == 0.0
    assert rating(2.5) == pytest.approx(0.5)
    assert rating(1) == 1.0
    assert rating(0) == 1.0
    assert rating(3, count=0) is None
    assert rating(3, count=None) is None
    assert rating(None) is None
    facts = {"rating_avg": 2.345, "rating_count": 2}
    assert params(scoring, facts, "rating") == {"rating": 2.3}


def test_points_expiring_share(scoring):
    def expiring(points, balance=100.0):
        facts = {"points_balance": balance, "points_expiring": points}
        return strength(scoring, facts, "points_expiring")

    assert expiring(0) == 0.0
    assert expiring(None) == 0.0
    assert expiring(25) == pytest.approx(0.25)
    assert expiring(100) == 1.0
    assert expiring(150) == 1.0
    assert expiring(10, balance=0) is None
    assert expiring(10, balance=None) is None
    assert expiring(10, balance=-5) is None
    facts = {
        "points_balance": 80.0,
        "points_expiring": 12.345,
        "points_expiry_date": "2026-06-30",
    }
    assert params(scoring, facts, "points_expiring") == {
        "points": 12.35,
        "date": "2026-06-30",
    }


def test_no_redemption_ramps_from_half_horizon_to_horizon(scoring):
    def no_redemption(since, horizon=365, balance=50.0):
        facts = {
            "points_balance": balance,
            "days_since_redemption": since,
            "redemption_horizon_days": horizon,
        }
        return strength(scoring, facts, "no_redemption")

    assert no_redemption(0) == 0.0
    assert no_redemption(182.5) == 0.0
    assert no_redemption(273.75) == pytest.approx(0.5)
    assert no_redemption(365) == 1.0
    assert no_redemption(1000) == 1.0
    assert no_redemption(75, horizon=100) == pytest.approx(0.5)
    assert no_redemption(50, horizon=100) == 0.0
    assert no_redemption(100, horizon=100) == 1.0
    # Missing horizon defaults to a year.
    assert no_redemption(273.75, horizon=None) == pytest.approx(0.5)
    assert no_redemption(273.75, horizon=0) == pytest.approx(0.5)
    # Needs a date of last redemption and points to redeem.
    assert no_redemption(None) is None
    assert no_redemption(400, balance=0) is None
    facts = {
        "points_balance": 1.0,
        "days_since_redemption": 200.7,
        "redemption_since": "2026-01-10",
    }
    assert params(scoring, facts, "no_redemption") == {"since": "2026-01-10"}


def test_tier_at_risk_only_after_a_quarter_of_the_period(scoring):
    def tier(progress, elapsed):
        facts = {"tier_progress": progress, "period_elapsed": elapsed}
        return strength(scoring, facts, "tier_at_risk")

    assert tier(0.0, 0.2) is None
    assert tier(0.0, 0.24) is None
    assert tier(0.0, None) is None
    assert tier(None, 0.5) is None
    assert tier(0.0, 0.25) == 1.0  # boundary included
    assert tier(0.5, 0.5) == 0.0  # on track
    assert tier(0.9, 0.5) == 0.0  # ahead
    assert tier(0.25, 0.5) == pytest.approx(0.5)
    assert tier(0.25, 1.0) == pytest.approx(0.75)
    assert tier(0.0, 1.0) == 1.0
    facts = {"tier_progress": 0.256, "period_elapsed": 1.0, "tier_name": "Gold"}
    assert params(scoring, facts, "tier_at_risk") == {"tier": "Gold", "percent": 26}
    facts["tier_name"] = None
    assert params(scoring, facts, "tier_at_risk")["tier"] == ""


def test_prob_alive_signal(scoring):
    assert strength(scoring, {"prob_alive": 0.8}, "prob_alive") == pytest.approx(0.2)
    assert strength(scoring, {"prob_alive": 0.0}, "prob_alive") == 1.0
    assert strength(scoring, {"prob_alive": 1.0}, "prob_alive") == 0.0
    assert strength(scoring, {"prob_alive": 1.5}, "prob_alive") == 0.0
    assert strength(scoring, {"prob_alive": None}, "prob_alive") is None
    assert params(scoring, {"prob_alive": 0.456}, "prob_alive") == {"percent": 46}
    # no_purchase_90 needs both the probability and the expected purchases.
    assert strength(scoring, {"prob_alive": 0.5}, "no_purchase_90") is None
    assert strength(scoring, {"expected_purchases_90": 1.0}, "no_purchase_90") is None
    facts = {"prob_alive": 0.5, "expected_purchases_90": 0.5}
    expected = 0.5 + 0.5 * exp(-1.0)
    assert strength(scoring, facts, "no_purchase_90") == pytest.approx(expected)
    assert params(scoring, facts, "no_purchase_90") == {
        "percent": round(100 * expected)
    }


def test_few_purchases_signal_ranks_as_the_purchase_model(scoring):
    """Scored alone, the signal orders customers exactly as their expected
    purchases do (the fewer, the riskier), where no_purchase_90 saturates."""
    assert strength(scoring, {}, "few_purchases_90") is None
    assert strength(scoring, {"expected_purchases_90": 0.0}, "few_purchases_90") == 1.0
    assert strength(
        scoring, {"expected_purchases_90": 1.0}, "few_purchases_90"
    ) == pytest.approx(exp(-1.0))
    # A negative expectation (rounding of a model) counts as none.
    assert strength(scoring, {"expected_purchases_90": -0.2}, "few_purchases_90") == 1.0
    assert params(scoring, {"expected_purchases_90": 0.349}, "few_purchases_90") == {
        "expected": 0.3
    }
    expected = [3.0, 0.05, 0.8, 0.04, 1.7]
    weights = {"few_purchases_90": 100.0}
    scores = [
        scoring.score({"expected_purchases_90": e}, weights).exact for e in expected
    ]
    assert sorted(range(5), key=scores.__getitem__) == sorted(
        range(5), key=lambda i: -expected[i]
    )
    # Off in the hand-set weights: it repeats no_purchase_90.
    assert scoring.DEFAULT_WEIGHTS["few_purchases_90"] == 0.0
    assert scoring.score({"expected_purchases_90": 0.0}).score == 0


def test_prob_no_purchase(scoring):
    f = scoring.prob_no_purchase
    assert f(None, 1.0) is None
    assert f(0.5, None) is None
    assert f(None, None) is None
    assert f(0.0, 3.0) == 1.0  # gone: certainly no purchase
    assert f(-0.2, 3.0) == 1.0
    assert f(1.0, 0.0) == pytest.approx(1.0)
    assert f(1.0, 1.0) == pytest.approx(exp(-1.0))
    assert f(1.0, 2.0) == pytest.approx(exp(-2.0))
    assert f(0.5, 0.5) == pytest.approx(0.5 + 0.5 * exp(-1.0))
    assert f(0.8, 1.6) == pytest.approx(0.2 + 0.8 * exp(-2.0))
    assert f(2.0, 1.0) == pytest.approx(exp(-1.0))  # P(alive) clamped to 1
    assert f(0.5, -1.0) == pytest.approx(1.0)  # negative expectation is zero
    assert 0.0 <= f(0.01, 100.0) <= 1.0


# ---------------------------------------------------------------------------
# Score: availability and weights
# ---------------------------------------------------------------------------


def test_empty_facts_score_zero(scoring):
    result = scoring.score({})
    assert result.score == 0
    assert result.level == "low"
    assert result.reasons == ()
    assert result.strengths == {}


def test_unavailable_signals_do_not_dilute(scoring):
    # overdue 1.0 (weight 20) and stage active 0.0 (weight 10).
    base = {**overdue_facts(120), "stage": "active"}
    without = scoring.score(base)
    assert without.score == round(100 * 20 / 30)  # 67
    assert without.level == "high"
    assert set(without.strengths) == {"overdue", "stage"}
    # The same customer with loyalty data whose signals are all 0:
    # points_expiring (4), no_redemption (3) and tier_at_risk (3) join.
    loyalty = {
        "points_balance": 100.0,
        "points_expiring": 0.0,
        "days_since_redemption": 0,
        "redemption_horizon_days": 365,
        "tier_progress": 1.0,
        "period_elapsed": 1.0,
    }
    with_loyalty = scoring.score({**base, **loyalty})
    assert with_loyalty.strengths["points_expiring"] == 0.0
    assert with_loyalty.strengths["no_redemption"] == 0.0
    assert with_loyalty.strengths["tier_at_risk"] == 0.0
    assert with_loyalty.score == round(100 * 20 / 40)  # 50
    assert with_loyalty.level == "medium"


def test_exact_score_keeps_apart_what_whole_percents_tie(scoring):
    """Two customers a tenth of a percent apart share a whole-percent score;
    the exact score (what the list of customers at risk sorts on) keeps
    their order, and the whole percent is its rounding."""
    base = {**overdue_facts(120), "stage": "active"}
    results = scoring.score_all(
        [base, base],
        calibrate=lambda raws: [0.6201, 0.6238],
    )
    assert [r.score for r in results] == [62, 62]
    assert [r.exact for r in results] == [62.01, 62.38]
    plain = scoring.score(base)
    assert plain.exact == round(100 * 20 / 30, 4)  # 66.6667
    assert plain.score == round(plain.exact)


def weight_facts():
    # overdue 0.5 (weight 20), stage at_risk 0.6 (10), segment champions 0 (5)
    return {**overdue_facts(60), "stage": "at_risk", "segment": "champions"}


def test_weighted_mean_with_default_weights(scoring):
    result = scoring.score(weight_facts())
    assert result.score == round(100 * (20 * 0.5 + 10 * 0.6 + 5 * 0.0) / 35)  # 46
    assert result.score == 46


def test_doubling_a_weight(scoring):
    weights = dict(scoring.DEFAULT_WEIGHTS, stage=20.0)
    result = scoring.score(weight_facts(), weights)
    assert result.score == round(100 * (20 * 0.5 + 20 * 0.6) / 45)  # 49
    assert result.score == 49
    weights = dict(scoring.DEFAULT_WEIGHTS, overdue=40.0)
    result = scoring.score(weight_facts(), weights)
    assert result.score == round(100 * (40 * 0.5 + 10 * 0.6) / 55)  # 47
    assert result.score == 47
    weights = dict(scoring.DEFAULT_WEIGHTS, segment=10.0)
    assert scoring.score(weight_facts(), weights).score == round(100 * 16 / 40)


def test_zero_weight_removes_signal_and_reason(scoring):
    facts = weight_facts()
    assert "overdue" in [r.code for r in scoring.score(facts).reasons]
    weights = dict(scoring.DEFAULT_WEIGHTS, overdue=0.0)
    result = scoring.score(facts, weights)
    assert result.score == round(100 * 6 / 15)  # 40
    assert "overdue" not in [r.code for r in result.reasons]
    # A negative weight counts as zero; a missing weight too.
    weights = dict(scoring.DEFAULT_WEIGHTS, overdue=-20.0)
    assert scoring.score(facts, weights).score == 40
    weights = {k: v for k, v in scoring.DEFAULT_WEIGHTS.items() if k != "overdue"}
    assert scoring.score(facts, weights).score == 40
    # Every weight zero: nothing to score.
    result = scoring.score(facts, dict.fromkeys(scoring.SIGNALS, 0.0))
    assert (result.score, result.level, result.reasons) == (0, "low", ())


def test_default_weights(scoring):
    assert set(scoring.DEFAULT_WEIGHTS) == set(scoring.SIGNALS)
    assert len(scoring.SIGNALS) == len(set(scoring.SIGNALS)) == 13
    assert sum(scoring.DEFAULT_WEIGHTS.values()) == 100
    # Every signal counts by hand but few_purchases_90, which repeats
    # no_purchase_90 and serves the backtest's purchase-model candidate.
    assert [c for c, w in scoring.DEFAULT_WEIGHTS.items() if w <= 0] == [
        "few_purchases_90"
    ]


def test_signal_strengths_only_uses_known_codes(scoring):
    facts = {
        **overdue_facts(60),
        "prob_alive": 0.5,
        "expected_purchases_90": 1.0,
        "recent_orders": 1,
        "previous_orders": 2,
        "recent_revenue": 1.0,
        "previous_revenue": 2.0,
        "stage": "dormant",
        "segment": "lost",
        "cancellations": 1,
        "orders_12m": 4,
        "rating_avg": 3.0,
        "rating_count": 1,
        "points_balance": 10.0,
        "points_expiring": 5.0,
        "days_since_redemption": 300,
        "tier_progress": 0.1,
        "period_elapsed": 0.5,
    }
    strengths = scoring.signal_strengths(facts)
    assert set(strengths) == set(scoring.SIGNALS)
    assert all(0.0 <= s <= 1.0 for s, _p in strengths.values())


# ---------------------------------------------------------------------------
# Levels and thresholds
# ---------------------------------------------------------------------------


def test_level_for_boundaries_are_inclusive(scoring):
    t = scoring.Thresholds()
    assert (t.medium, t.high, t.critical) == (40.0, 60.0, 80.0)
    assert scoring.level_for(0, t) == "low"
    assert scoring.level_for(39, t) == "low"
    assert scoring.level_for(39.99, t) == "low"
    assert scoring.level_for(40, t) == "medium"
    assert scoring.level_for(59, t) == "medium"
    assert scoring.level_for(60, t) == "high"
    assert scoring.level_for(79, t) == "high"
    assert scoring.level_for(80, t) == "critical"
    assert scoring.level_for(100, t) == "critical"
    custom = scoring.Thresholds(medium=10, high=20, critical=30)
    assert scoring.level_for(9, custom) == "low"
    assert scoring.level_for(10, custom) == "medium"
    assert scoring.level_for(20, custom) == "high"
    assert scoring.level_for(30, custom) == "critical"


@pytest.mark.parametrize(
    ("stage", "expected_score", "expected_level"),
    [
        ("active", 0, "low"),
        ("won_back", 30, "low"),
        ("at_risk", 60, "high"),  # exactly the high threshold
        ("dormant", 85, "critical"),
        ("churned", 100, "critical"),
    ],
)
def test_score_levels(scoring, stage, expected_score, expected_level):
    result = scoring.score({"stage": stage})
    assert result.score == expected_score
    assert result.level == expected_level


def test_score_on_medium_and_critical_thresholds(scoring):
    assert scoring.score({"segment": "need_attention"}).level == "medium"  # 40
    # 80 exactly: overdue 1.0 (20) and segment at_risk 0.8 (5) -> (20+4)/25.
    result = scoring.score({**overdue_facts(120), "segment": "at_risk"})
    assert result.score == round(100 * 24 / 25)
    facts = {"stage": "at_risk", "segment": "cant_lose"}  # (6 + 5) / 15
    assert scoring.score(facts).score == 73
    # The score passes custom thresholds on.
    custom = scoring.Thresholds(medium=20, high=30, critical=50)
    assert scoring.score({"stage": "at_risk"}, thresholds=custom).level == "critical"
    assert scoring.score({"stage": "won_back"}, thresholds=custom).level == "high"
    assert scoring.score({"stage": "new"}, thresholds=custom).level == "medium"


def test_thresholds_validate(scoring):
    scoring.Thresholds().validate()
    scoring.Thresholds(medium=1, high=2, critical=100).validate()
    for bad in [
        (60, 40, 80),
        (40, 40, 80),
        (40, 60, 60),
        (40, 80, 60),
        (0, 60, 80),
        (-5, 60, 80),
        (40, 60, 101),
    ]:
        with pytest.raises(ValueError):
            scoring.Thresholds(*bad).validate()


# ---------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------


def reason_facts():
    # contributions: overdue 20, prob_alive 15*0.8=12, stage 10*0.85=8.5,
    # rating 5*1=5, segment 5*0.8=4, cancellations 5*0.2=1 (strength < 0.3)
    return {
        **overdue_facts(93, gap=31),
        "prob_alive": 0.2,
        "stage": "dormant",
        "rating_avg": 1.0,
        "rating_count": 2,
        "segment": "at_risk",
        "cancellations": 1,
        "orders_12m": 9,
    }


def test_reasons_are_top_three_by_contribution(scoring):
    result = scoring.score(reason_facts())
    assert [r.code for r in result.reasons] == ["overdue", "prob_alive", "stage"]
    assert [r.contribution for r in result.reasons] == pytest.approx([20, 12, 8.5])
    assert [r.strength for r in result.reasons] == pytest.approx([1.0, 0.8, 0.85])
    overdue = result.reasons[0]
    assert overdue.params == {"since": "2026-03-01", "gap": 31}
    assert result.reasons[1].params == {"percent": 20}
    assert result.reasons[2].params == {"stage": "dormant"}


def test_reasons_only_strong_signals(scoring):
    result = scoring.score(reason_facts(), max_reasons=10)
    codes = [r.code for r in result.reasons]
    assert codes == ["overdue", "prob_alive", "stage", "rating", "segment"]
    assert "cancellations" not in codes  # strength 0.2
    assert result.strengths["cancellations"] == pytest.approx(0.2)
    contributions = [r.contribution for r in result.reasons]
    assert contributions == sorted(contributions, reverse=True)
    assert len(scoring.score(reason_facts(), max_reasons=1).reasons) == 1


def test_reason_strength_threshold_is_inclusive(scoring):
    # won_back is exactly 0.3, potential_loyalist 0.1.
    result = scoring.score({"stage": "won_back", "segment": "potential_loyalist"})
    assert [r.code for r in result.reasons] == ["stage"]
    result = scoring.score({"stage": "new", "segment": "need_attention"})
    assert [r.code for r in result.reasons] == ["segment"]  # 0.2 is not a reason


def test_reasons_tie_broken_by_code(scoring):
    facts = {
        "recent_revenue": 0.0,
        "previous_revenue": 100.0,
        "recent_orders": 0,
        "previous_orders": 5,
    }
    result = scoring.score(facts)
    assert [r.code for r in result.reasons] == ["frequency_drop", "spending_drop"]


def test_reason_contribution_uses_the_weight(scoring):
    facts = {"stage": "churned", "segment": "lost"}  # both strength 1
    assert [r.code for r in scoring.score(facts).reasons] == ["stage", "segment"]
    weights = dict(scoring.DEFAULT_WEIGHTS, segment=30.0)
    result = scoring.score(facts, weights)
    assert [r.code for r in result.reasons] == ["segment", "stage"]
    assert [r.contribution for r in result.reasons] == [30.0, 10.0]


# ---------------------------------------------------------------------------
# Alerts, control group, deadlines
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("low", "high", True),
        ("low", "critical", True),
        ("medium", "high", True),
        ("medium", "critical", True),
        ("high", "critical", True),
        ("high", "high", False),
        ("critical", "critical", False),
        ("critical", "high", False),
        (None, "high", True),
        (None, "critical", True),
        (False, "high", True),
        ("high", "medium", False),
        ("critical", "low", False),
        ("low", "medium", False),
        (None, "medium", False),
        (None, "low", False),
    ],
)
def test_rose_into_alert(scoring, old, new, expected):
    assert scoring.rose_into_alert(old, new) is expected


def test_control_group_is_deterministic(scoring):
    draws = [scoring.in_control_group(pid, 1, 50) for pid in range(200)]
    assert draws == [scoring.in_control_group(pid, 1, 50) for pid in range(200)]
    assert any(draws) and not all(draws)


def test_control_group_share(scoring):
    ids = range(1, 20001)
    assert not any(scoring.in_control_group(pid, 1, 0) for pid in ids)
    assert not any(scoring.in_control_group(pid, 1, -5) for pid in ids)
    assert all(scoring.in_control_group(pid, 1, 100) for pid in range(1, 2001))
    share = sum(scoring.in_control_group(pid, 1, 10) for pid in ids) / len(ids)
    assert 0.085 <= share <= 0.115
    share = sum(scoring.in_control_group(pid, 7, 2.5) for pid in ids) / len(ids)
    assert 0.01 <= share <= 0.04


def test_control_group_depends_on_company(scoring):
    ids = range(1, 1001)
    one = [scoring.in_control_group(pid, 1, 50) for pid in ids]
    two = [scoring.in_control_group(pid, 2, 50) for pid in ids]
    assert one != two
    assert sum(a != b for a, b in zip(one, two, strict=True)) > 100


def test_control_group_is_monotone_in_share(scoring):
    for pid in range(1, 5001):
        if scoring.in_control_group(pid, 3, 10):
            assert scoring.in_control_group(pid, 3, 20)
    at_10 = sum(scoring.in_control_group(pid, 3, 10) for pid in range(1, 5001))
    at_20 = sum(scoring.in_control_group(pid, 3, 20) for pid in range(1, 5001))
    assert at_20 > at_10 > 0


def test_add_working_days(scoring):
    friday, saturday, wednesday = (
        date(2026, 3, 13),
        date(2026, 3, 14),
        date(2026, 3, 11),
    )
    sunday = date(2026, 3, 15)
    assert friday.weekday() == 4 and saturday.weekday() == 5
    assert wednesday.weekday() == 2
    assert scoring.add_working_days(friday, 1) == date(2026, 3, 16)
    assert scoring.add_working_days(saturday, 1) == date(2026, 3, 16)
    assert scoring.add_working_days(sunday, 1) == date(2026, 3, 16)
    assert scoring.add_working_days(wednesday, 3) == date(2026, 3, 16)
    assert scoring.add_working_days(wednesday, 2) == friday
    assert scoring.add_working_days(wednesday, 1) == date(2026, 3, 12)
    assert scoring.add_working_days(friday, 5) == date(2026, 3, 20)
    assert scoring.add_working_days(wednesday, 10) == date(2026, 3, 25)
    assert scoring.add_working_days(wednesday, 0) == wednesday
    assert scoring.add_working_days(saturday, 0) == saturday
    assert scoring.add_working_days(wednesday, -3) == wednesday


def test_alert_priority(scoring):
    candidates = [
        ("high", 5000.0),
        ("critical", 10.0),
        ("high", 90000.0),
        ("critical", 700.0),
        ("high", None),
    ]
    ordered = sorted(candidates, key=lambda c: scoring.alert_priority(*c))
    assert ordered == [
        ("critical", 700.0),
        ("critical", 10.0),
        ("high", 90000.0),
        ("high", 5000.0),
        ("high", None),
    ]
    assert scoring.alert_priority("critical", 0) < scoring.alert_priority("high", 1e9)


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------


def optional(strategy):
    # None a third of the time: most examples keep most signals available.
    return st.one_of(strategy, strategy, st.none())


def floats(low, high):
    return st.floats(min_value=low, max_value=high, allow_nan=False)


facts_strategy = st.fixed_dictionaries(
    {
        "prob_alive": optional(floats(0.0, 1.0)),
        "expected_purchases_90": optional(floats(0.0, 10.0)),
        "days_since_last_order": optional(floats(0.0, 2000.0)),
        "avg_days_between_orders": optional(floats(0.0, 400.0)),
        "purchase_days": optional(st.integers(0, 50)),
        "recent_orders": optional(st.integers(0, 100)),
        "previous_orders": optional(st.integers(0, 100)),
        "recent_revenue": optional(floats(0.0, 1e6)),
        "previous_revenue": optional(floats(0.0, 1e6)),
        "period_months": optional(st.integers(1, 24)),
        "stage": optional(st.sampled_from([*STAGE_RISK, "unknown"])),
        "segment": optional(st.sampled_from([*SEGMENT_RISK, "unknown"])),
        "cancellations": optional(st.integers(0, 50)),
        "orders_12m": optional(st.integers(0, 200)),
        "rating_avg": optional(floats(0.0, 5.0)),
        "rating_count": optional(st.integers(0, 20)),
        "points_balance": optional(floats(0.0, 1e5)),
        "points_expiring": optional(floats(0.0, 1e5)),
        "days_since_redemption": optional(floats(0.0, 2000.0)),
        "redemption_horizon_days": optional(st.integers(1, 1000)),
        "tier_progress": optional(floats(0.0, 2.0)),
        "period_elapsed": optional(floats(0.0, 1.0)),
    }
)


SIGNALS_FOR_WEIGHTS = (
    "prob_alive",
    "no_purchase_90",
    "overdue",
    "frequency_drop",
    "spending_drop",
    "stage",
    "segment",
    "cancellations",
    "rating",
    "points_expiring",
    "tier_at_risk",
    "no_redemption",
    "few_purchases_90",
)

# How to make each input riskier, everything else fixed.
RISKIER = {
    "days_since_last_order": lambda value, step: value + step,
    "prob_alive": lambda value, step: value - step / 100.0,
    "expected_purchases_90": lambda value, step: value - step / 10.0,
    "recent_orders": lambda value, step: value - int(step),
    "recent_revenue": lambda value, step: value - step * 100.0,
    "cancellations": lambda value, step: value + int(step),
    "rating_avg": lambda value, step: value - step / 20.0,
    "points_expiring": lambda value, step: value + step * 10.0,
    "days_since_redemption": lambda value, step: value + step,
    "tier_progress": lambda value, step: value - step / 50.0,
    "stage": lambda value, step: max(STAGE_RISK, key=STAGE_RISK.get),
    "segment": lambda value, step: max(SEGMENT_RISK, key=SEGMENT_RISK.get),
}


@settings(max_examples=300, deadline=None)
@given(facts=facts_strategy)
def test_score_is_bounded_and_consistent(scoring, facts):
    result = scoring.score(facts)
    assert isinstance(result.score, int)
    assert 0 <= result.score <= 100
    assert result.level == scoring.level_for(result.score, scoring.Thresholds())
    assert set(result.strengths) <= set(scoring.SIGNALS)
    assert all(0.0 <= s <= 1.0 for s in result.strengths.values())
    assert len(result.reasons) <= scoring.MAX_REASONS
    assert all(r.strength >= scoring.REASON_MIN_STRENGTH for r in result.reasons)
    contributions = [r.contribution for r in result.reasons]
    assert contributions == sorted(contributions, reverse=True)
    weights = scoring.DEFAULT_WEIGHTS
    total_weight = sum(weights[c] for c in result.strengths)
    if total_weight:
        total = sum(weights[c] * s for c, s in result.strengths.items())
        # The weighted mean in per cent, rounded: floating point may put an
        # exact half (57.5) a hair either side, so half a point is allowed.
        assert abs(result.score - 100 * total / total_weight) <= 0.5 + 1e-9
        assert result.exact == round(100 * total / total_weight, 4)
    else:
        assert result.score == 0


@settings(max_examples=300, deadline=None)
@given(
    facts=facts_strategy,
    steps=st.fixed_dictionaries({key: floats(0.0, 100.0) for key in RISKIER}),
)
def test_riskier_input_never_lowers_the_score(scoring, facts, steps):
    before = scoring.score(facts)
    for key, riskier_value in RISKIER.items():
        value = facts[key]
        if value is None:
            continue  # nothing to make riskier: the input is unknown
        riskier = dict(facts, **{key: riskier_value(value, steps[key])})
        after = scoring.score(riskier)
        assert after.score >= before.score, (key, value, riskier[key])
        # A riskier input may make a signal available (a first cancellation
        # with no order), never unavailable, and weakens no signal.
        assert set(after.strengths) >= set(before.strengths), key
        for code, strength in before.strengths.items():
            # Within floating point: 1 - 1e-12 computed two ways.
            assert after.strengths[code] >= strength - 1e-9, (code, key)


@settings(max_examples=300, deadline=None)
@given(
    facts=facts_strategy,
    weights=st.dictionaries(
        st.sampled_from(SIGNALS_FOR_WEIGHTS), floats(-10.0, 100.0), max_size=13
    ),
)
def test_score_is_bounded_for_any_weights(scoring, facts, weights):
    result = scoring.score(facts, weights)
    assert isinstance(result.score, int)
    assert 0 <= result.score <= 100
    assert result.level == scoring.level_for(result.score, scoring.Thresholds())
    used = {c for c in result.strengths if weights.get(c, 0.0) > 0}
    assert {r.code for r in result.reasons} <= used


def test_signals_another_addon_measures_are_weighted_and_worded(scoring):
    """``extra_signals`` (crm.churn.risk._add_extra_facts) join the score
    like the built-in signals, with their own figures for the reason."""
    facts = {
        "stage": "active",
        "extra_signals": {"nps_detractor": (1.5, {"score": 0, "comment": "late"})},
    }
    assert scoring.strengths(facts) == {"stage": 0.0, "nps_detractor": 1.0}
    result = scoring.score(facts, weights={"stage": 10.0, "nps_detractor": 30.0})
    assert result.score == 75
    [reason] = result.reasons
    assert (reason.code, reason.params) == (
        "nps_detractor",
        {"score": 0, "comment": "late"},
    )
    # Without a weight, the signal is measured but does not count.
    assert scoring.score(facts, weights={"stage": 10.0}).score == 0
