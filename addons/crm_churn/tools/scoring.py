"""Churn risk score: weighted signals turned into a 0-100 score, a level and reasons.

Each signal maps one fact about the customer to a strength between 0 (no sign
of leaving) and 1 (a strong sign). The score is the weighted mean of the
strengths of the signals that can be computed for this customer, times 100:
a customer without a loyalty card is scored on the other signals instead of
being diluted by zeros. The reasons are the signals that contribute most,
returned as codes with their figures, so that the caller words them in the
user's language.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from math import exp

SIGNALS = (
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
)

# Documented in readme/CONFIGURE.md; they add up to 100 so that a weight reads
# as "points of the score" when every signal is available.
DEFAULT_WEIGHTS = {
    "prob_alive": 15.0,
    "no_purchase_90": 10.0,
    "overdue": 20.0,
    "frequency_drop": 10.0,
    "spending_drop": 10.0,
    "stage": 10.0,
    "segment": 5.0,
    "cancellations": 5.0,
    "rating": 5.0,
    "points_expiring": 4.0,
    "tier_at_risk": 3.0,
    "no_redemption": 3.0,
}

LEVELS = ("low", "medium", "high", "critical")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
ALERT_LEVELS = ("high", "critical")

# How worrying each lifecycle stage and RFM segment is on its own.
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

# A signal below this strength is not worth telling the salesperson about.
REASON_MIN_STRENGTH = 0.3
MAX_REASONS = 3


@dataclass(frozen=True)
class Thresholds:
    """Lowest score of each level above "low"."""

    medium: float = 40.0
    high: float = 60.0
    critical: float = 80.0

    def validate(self):
        if not 0 < self.medium < self.high < self.critical <= 100:
            raise ValueError(
                "thresholds must satisfy 0 < medium < high < critical <= 100"
            )


@dataclass(frozen=True)
class Reason:
    code: str
    strength: float
    contribution: float
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    score: int
    level: str
    reasons: tuple
    strengths: dict


def _clamp(value):
    return max(0.0, min(1.0, value))


def prob_no_purchase(prob_alive, expected_purchases):
    """Probability of no purchase in the horizon of ``expected_purchases``.

    The purchase model stores P(alive) and the expected number of purchases;
    a customer buys nothing if gone, or if alive and a Poisson count with the
    alive-customer's mean (expected / P(alive)) comes out zero.
    """
    if prob_alive is None or expected_purchases is None:
        return None
    prob_alive = _clamp(prob_alive)
    if prob_alive <= 0:
        return 1.0
    rate = max(expected_purchases, 0.0) / prob_alive
    return _clamp((1.0 - prob_alive) + prob_alive * exp(-rate))


def _drop(recent, previous):
    if not previous or previous <= 0:
        return None
    return _clamp(1.0 - (recent or 0.0) / previous)


def signal_strengths(facts):
    """Strength and figures of every signal that applies to this customer.

    :param facts: dict of the customer's facts; missing keys or ``None``
        values make the signals that need them unavailable
    :return: ``{code: (strength, params)}`` for the available signals
    """
    out = {}
    get = facts.get

    prob_alive = get("prob_alive")
    if prob_alive is not None:
        out["prob_alive"] = (
            _clamp(1.0 - prob_alive),
            {"percent": round(100 * _clamp(prob_alive))},
        )
        no_purchase = prob_no_purchase(prob_alive, get("expected_purchases_90"))
        if no_purchase is not None:
            out["no_purchase_90"] = (no_purchase, {"percent": round(100 * no_purchase)})

    gap = get("avg_days_between_orders")
    days = get("days_since_last_order")
    if (get("purchase_days") or 0) >= 2 and gap and gap > 0 and days is not None:
        ratio = days / gap
        out["overdue"] = (
            _clamp((ratio - 1.0) / 2.0),
            {"days": int(days), "gap": round(gap)},
        )

    months = get("period_months") or 6
    drop = _drop(get("recent_orders"), get("previous_orders"))
    if drop is not None:
        out["frequency_drop"] = (drop, {"percent": round(100 * drop), "months": months})
    drop = _drop(get("recent_revenue"), get("previous_revenue"))
    if drop is not None:
        out["spending_drop"] = (drop, {"percent": round(100 * drop), "months": months})

    stage = get("stage")
    if stage in STAGE_RISK:
        out["stage"] = (STAGE_RISK[stage], {"stage": stage})
    segment = get("segment")
    if segment in SEGMENT_RISK:
        out["segment"] = (SEGMENT_RISK[segment], {"segment": segment})

    cancellations = get("cancellations") or 0
    orders = get("orders_12m") or 0
    if orders + cancellations > 0:
        share = cancellations / (orders + cancellations)
        out["cancellations"] = (_clamp(2.0 * share), {"count": int(cancellations)})

    if (get("rating_count") or 0) > 0 and get("rating_avg") is not None:
        rating = get("rating_avg")
        out["rating"] = (_clamp((4.0 - rating) / 3.0), {"rating": round(rating, 1)})

    balance = get("points_balance") or 0.0
    if balance > 0:
        expiring = get("points_expiring") or 0.0
        out["points_expiring"] = (
            _clamp(expiring / balance),
            {"points": round(expiring, 2), "date": get("points_expiry_date")},
        )
        horizon = get("redemption_horizon_days") or 365
        since = get("days_since_redemption")
        if since is not None:
            half = horizon / 2.0
            out["no_redemption"] = (_clamp((since - half) / half), {"days": int(since)})

    progress = get("tier_progress")
    elapsed = get("period_elapsed") or 0.0
    if progress is not None and elapsed >= 0.25:
        out["tier_at_risk"] = (
            _clamp(1.0 - progress / elapsed),
            {"tier": get("tier_name") or "", "percent": round(100 * progress)},
        )
    return out


def level_for(score, thresholds):
    if score >= thresholds.critical:
        return "critical"
    if score >= thresholds.high:
        return "high"
    if score >= thresholds.medium:
        return "medium"
    return "low"


def score(facts, weights=None, thresholds=None, max_reasons=MAX_REASONS):
    """Score one customer; see the module docstring for the formula."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    thresholds = thresholds or Thresholds()
    strengths = signal_strengths(facts)
    total_weight = 0.0
    total = 0.0
    reasons = []
    for code, (strength, params) in strengths.items():
        weight = max(float(weights.get(code, 0.0)), 0.0)
        if not weight:
            continue
        total_weight += weight
        total += weight * strength
        if strength >= REASON_MIN_STRENGTH:
            reasons.append(Reason(code, strength, weight * strength, params))
    value = round(100.0 * total / total_weight) if total_weight else 0
    reasons.sort(key=lambda reason: (-reason.contribution, reason.code))
    return Result(
        score=value,
        level=level_for(value, thresholds),
        reasons=tuple(reasons[:max_reasons]),
        strengths={code: strength for code, (strength, _p) in strengths.items()},
    )


def rose_into_alert(old_level, new_level):
    """True when the level climbed into high or critical since the last run.

    A customer already high who becomes critical rose too (the caller raises
    the open alert instead of opening a second one).
    """
    if new_level not in ALERT_LEVELS:
        return False
    return LEVEL_RANK[new_level] > LEVEL_RANK.get(old_level or "low", 0)


def in_control_group(partner_id, company_id, share_percent):
    """Deterministic draw: the same customer always lands on the same side.

    A hash rather than a random draw, so that a re-run, a restore or a second
    server gives the same answer without storing a seed.
    """
    if share_percent <= 0:
        return False
    digest = hashlib.sha256(f"crm_churn:{company_id}:{partner_id}".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 10000
    return bucket < round(share_percent * 100)


def add_working_days(day, days):
    """``day`` plus ``days`` working days (Monday to Friday)."""
    days = max(int(days), 0)
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def alert_priority(level, value):
    """Sort key of alert candidates when the nightly cap cuts the list:
    critical before high, then the most valuable customers first."""
    return (-LEVEL_RANK.get(level, 0), -(value or 0.0))
