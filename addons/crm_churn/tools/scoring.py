"""Churn risk score: weighted signals turned into a 0-100 score, a level and reasons.

Each signal maps one fact about the customer to a strength between 0 (no sign
of leaving) and 1 (a strong sign). The score is the weighted mean of the
strengths of the signals that can be computed for this customer, times 100:
a customer without a loyalty card is scored on the other signals instead of
being diluted by zeros. The reasons are the signals that contribute most,
returned as codes with their figures, so that the caller words them in the
user's language. A figure that ages by itself (days without an order or a
redemption) is given as the date it counts from, so that a customer's reasons
stay the same from one night to the next until something happens.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from math import exp
from typing import NamedTuple

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
    "few_purchases_90",
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
    # Off by hand: it says what no_purchase_90 says. The backtest scores by
    # it alone when the purchase model alone ranks the company's later
    # window best (``backtest.PURCHASE_MODEL_WEIGHTS``).
    "few_purchases_90": 0.0,
}

# Signals measured outside the purchase facts (``extra_signals``), with
# their default weight; the backtest does not learn them.
EXTRA_DEFAULT_WEIGHTS = {"complaints": 10.0}

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


class Reason(NamedTuple):
    """A signal worth telling the salesperson about, with its figures.

    Named tuples rather than dataclasses: a night builds hundreds of
    thousands of them, and a frozen dataclass costs four times as much to
    make."""

    code: str
    strength: float
    contribution: float
    params: dict


class Result(NamedTuple):
    score: int
    level: str
    reasons: tuple
    strengths: dict
    # The score before rounding to a whole percent (two decimals): what the
    # customers at risk are sorted on, so that those sharing a whole percent
    # keep the order the model gives them.
    exact: float = 0.0


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


def strengths(facts):
    """Strength of every signal that applies to this customer.

    :param facts: dict of the customer's facts; missing keys or ``None``
        values make the signals that need them unavailable
    :return: ``{code: strength}``; the figures of a signal are only worked
        out for the reasons (``signal_params``), not for each of the
        thousands of signals of a batch that no salesperson reads
    """
    out = {}
    get = facts.get

    prob_alive = get("prob_alive")
    if prob_alive is not None:
        out["prob_alive"] = _clamp(1.0 - prob_alive)
        no_purchase = prob_no_purchase(prob_alive, get("expected_purchases_90"))
        if no_purchase is not None:
            out["no_purchase_90"] = no_purchase

    expected = get("expected_purchases_90")
    if expected is not None:
        # A strictly falling function of the expected purchases, so that
        # scored alone it ranks the customers exactly as the purchase model
        # does: 1 when nothing is expected, 0.37 for one purchase. Unlike
        # no_purchase_90 it does not saturate for customers the model finds
        # likely gone, whose expected purchases still tell them apart.
        out["few_purchases_90"] = exp(-max(expected, 0.0))

    gap = get("avg_days_between_orders")
    days = get("days_since_last_order")
    if (get("purchase_days") or 0) >= 2 and gap and gap > 0 and days is not None:
        out["overdue"] = _clamp((days / gap - 1.0) / 2.0)

    drop = _drop(get("recent_orders"), get("previous_orders"))
    if drop is not None:
        out["frequency_drop"] = drop
    drop = _drop(get("recent_revenue"), get("previous_revenue"))
    if drop is not None:
        out["spending_drop"] = drop

    stage = get("stage")
    if stage in STAGE_RISK:
        out["stage"] = STAGE_RISK[stage]
    segment = get("segment")
    if segment in SEGMENT_RISK:
        out["segment"] = SEGMENT_RISK[segment]

    cancellations = get("cancellations") or 0
    orders = get("orders_12m") or 0
    if orders + cancellations > 0:
        out["cancellations"] = _clamp(2.0 * cancellations / (orders + cancellations))

    if (get("rating_count") or 0) > 0 and get("rating_avg") is not None:
        out["rating"] = _clamp((4.0 - get("rating_avg")) / 3.0)

    balance = get("points_balance") or 0.0
    if balance > 0:
        out["points_expiring"] = _clamp((get("points_expiring") or 0.0) / balance)
        since = get("days_since_redemption")
        if since is not None:
            half = (get("redemption_horizon_days") or 365) / 2.0
            out["no_redemption"] = _clamp((since - half) / half)

    progress = get("tier_progress")
    if progress is not None and (get("period_elapsed") or 0.0) >= 0.25:
        out["tier_at_risk"] = _clamp(1.0 - progress / get("period_elapsed"))

    # Signals another addon measures (``crm.churn.risk._add_extra_facts``):
    # ``{code: (strength, params)}``, weighted like the others.
    for code, (strength, _params) in (get("extra_signals") or {}).items():
        out[code] = _clamp(strength)
    return out


# The figures a reason is worded with, by signal: (strength, facts.get).
_PARAMS = {
    "prob_alive": lambda s, get: {"percent": round(100 * _clamp(get("prob_alive")))},
    "no_purchase_90": lambda s, get: {"percent": round(100 * s)},
    "few_purchases_90": lambda s, get: {
        "expected": round(max(get("expected_purchases_90"), 0.0), 1)
    },
    # Dates rather than day counts: a count would change the reason, and so
    # rewrite the score row, every night; the reader counts the days.
    "overdue": lambda s, get: {
        "since": get("last_order_date"),
        "gap": round(get("avg_days_between_orders")),
    },
    "frequency_drop": lambda s, get: {
        "percent": round(100 * s),
        "months": get("period_months") or 6,
    },
    "spending_drop": lambda s, get: {
        "percent": round(100 * s),
        "months": get("period_months") or 6,
    },
    "stage": lambda s, get: {"stage": get("stage")},
    "segment": lambda s, get: {"segment": get("segment")},
    "cancellations": lambda s, get: {"count": int(get("cancellations") or 0)},
    "rating": lambda s, get: {"rating": round(get("rating_avg"), 1)},
    "points_expiring": lambda s, get: {
        "points": round(get("points_expiring") or 0.0, 2),
        "date": get("points_expiry_date"),
    },
    "no_redemption": lambda s, get: {"since": get("redemption_since")},
    "tier_at_risk": lambda s, get: {
        "tier": get("tier_name") or "",
        "percent": round(100 * get("tier_progress")),
    },
}


def complaint_signal(open_count, recent_count, critical_open, last_summary):
    """``(strength, params)`` of the complaints signal, or None when the
    customer has no open complaint and none in the recent window.

    An open complaint weighs more than a settled one, and a critical one
    still open is by itself a strong sign."""
    if not open_count and not recent_count:
        return None
    strength = _clamp(
        0.35 * open_count + 0.15 * recent_count + (0.5 if critical_open else 0.0)
    )
    return strength, {
        "open": int(open_count),
        "recent": int(recent_count),
        "critical": int(critical_open),
        "summary": last_summary or "",
    }


def signal_params(code, strength, facts):
    """The figures of one signal that applies, for wording it as a reason."""
    if code in _PARAMS:
        return _PARAMS[code](strength, facts.get)
    return dict((facts.get("extra_signals") or {})[code][1])


def signal_strengths(facts):
    """Strength and figures of every signal that applies to this customer.

    :return: ``{code: (strength, params)}`` for the available signals
    """
    return {
        code: (strength, signal_params(code, strength, facts))
        for code, strength in strengths(facts).items()
    }


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
    return score_all([facts], weights, thresholds, max_reasons)[0]


def score_all(
    facts_list,
    weights=None,
    thresholds=None,
    max_reasons=MAX_REASONS,
    calibrate=None,
):
    """``score`` of each customer of a batch, in order; the weights are read
    once for the batch.

    ``calibrate``, when given, turns the batch's weighted means (values in
    [0, 1], unrounded) into probabilities of buying nothing within the
    backtest's horizon (``backtest.calibrate`` with the company's curve): the
    score is then that probability in per cent, so that a risk of 80 means
    about 80 such customers out of 100 were lost."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    weights = {code: max(float(value), 0.0) for code, value in weights.items()}
    thresholds = thresholds or Thresholds()
    raws, found_list, reason_list = [], [], []
    for facts in facts_list:
        found = strengths(facts)
        total_weight = 0.0
        total = 0.0
        candidates = []
        for code, strength in found.items():
            weight = weights.get(code, 0.0)
            if not weight:
                continue
            total_weight += weight
            total += weight * strength
            if strength >= REASON_MIN_STRENGTH:
                candidates.append((-weight * strength, code, strength))
        raws.append(total / total_weight if total_weight else 0.0)
        candidates.sort()
        found_list.append(found)
        reason_list.append(
            tuple(
                Reason(code, strength, -key, signal_params(code, strength, facts))
                for key, code, strength in candidates[:max_reasons]
            )
        )
    values = calibrate(raws) if calibrate is not None and raws else raws
    results = []
    for value, found, reasons in zip(values, found_list, reason_list, strict=True):
        exact = round(100.0 * float(value), 4)
        value = round(100.0 * float(value))
        results.append(
            Result(
                score=value,
                level=level_for(value, thresholds),
                reasons=reasons,
                strengths=found,
                exact=exact,
            )
        )
    return results


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


def is_lost(stage):
    """A customer in the lifecycle stage Churned (no order for the company's
    churned days, crm_lifecycle) is lost: a win-back case, no longer a
    warning. His score says little more than that he left; he is listed
    apart and gets no churn alert."""
    return stage == "churned"


def yearly_value(historic_value, active_days):
    """What the customer bought in an average year: the historic value over
    the days from the first to the last order, counted as a year at least
    (a one-time buyer's year is his order). Never negative: refunds of
    documents the history does not hold cannot make a customer a debt."""
    value = max(float(historic_value or 0.0), 0.0)
    return round(value * 365.0 / max(active_days or 0, 365), 2)


def value_at_risk(yearly, score, lost):
    """The savable value at risk, the salesperson's order of work: the
    yearly value times the risk (score / 100). A lost customer's is 0, as
    he is no longer to be kept but to be won back.

    The yearly value rather than the purchase model's predicted value: that
    one already discounts the probability that the customer left, so that
    times the risk it would count the risk twice and bury exactly the
    customers who are slipping away."""
    if lost:
        return 0.0
    return round((yearly or 0.0) * (score or 0) / 100.0, 2)


def alert_priority(level, value):
    """Sort key of alert candidates when the nightly cap cuts the list:
    critical before high, then the most value (at risk, as the caller
    passes it) first."""
    return (-LEVEL_RANK.get(level, 0), -(value or 0.0))
