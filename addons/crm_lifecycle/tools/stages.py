"""Lifecycle stage rules.

The stage is a pure function of a customer's purchase facts and the date of
evaluation. Nothing depends on the previous stage, so a recompute can be
interrupted and repeated at will, history can be rebuilt by replaying past
dates, and stages move in both directions on their own.
"""

from dataclasses import dataclass
from datetime import date, timedelta

STAGES = (
    "prospect",
    "new",
    "active",
    "loyal",
    "at_risk",
    "dormant",
    "churned",
    "won_back",
)


@dataclass(frozen=True)
class StageThresholds:
    """Per-company settings; defaults are the documented ones."""

    new_days: int = 90
    won_back_days: int = 90
    loyal_min_orders: int = 5
    loyal_min_days: int = 365
    at_risk_factor: float = 1.5
    dormant_days: int = 180
    churned_days: int = 365

    def validate(self):
        """Return a list of problems (empty when the thresholds are usable)."""
        problems = []
        for name in ("new_days", "won_back_days", "dormant_days", "churned_days"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive")
        if self.loyal_min_orders < 2:
            problems.append("loyal_min_orders must be at least 2")
        if self.loyal_min_days < 0:
            problems.append("loyal_min_days cannot be negative")
        if self.at_risk_factor < 1:
            problems.append("at_risk_factor must be at least 1")
        if self.dormant_days >= self.churned_days:
            problems.append("dormant_days must be lower than churned_days")
        if self.new_days >= self.dormant_days:
            problems.append("new_days must be lower than dormant_days")
        return problems


def average_gap(first_day, last_day, purchase_days):
    """Mean days between purchase days, or None for a one-time buyer."""
    if not first_day or not last_day or purchase_days < 2:
        return None
    return (last_day - first_day).days / (purchase_days - 1)


# A customer is overdue only when late by more than the noise of his own
# rhythm: twice the standard deviation of his gaps, and never less than two
# weeks (a weekly shopper three days late is not at risk).
AT_RISK_SD = 2.0
AT_RISK_MIN_MARGIN_DAYS = 14


def at_risk_after(gap, gap_sd, thresholds):
    """Days of silence after which a repeat customer is at risk.

    ``at_risk_factor`` times his usual gap, but at least his gap plus the
    margin his own regularity calls for (``AT_RISK_SD`` standard deviations
    of his gaps, ``AT_RISK_MIN_MARGIN_DAYS`` at least). Without it, a
    customer who buys every two weeks give or take a few days went At risk
    whenever one order came a week late, and back on the next order: six
    times a year, for nothing. Leaving At risk still takes an order (the
    silence only grows until then)."""
    margin = max(AT_RISK_SD * (gap_sd or 0.0), AT_RISK_MIN_MARGIN_DAYS)
    return max(thresholds.at_risk_factor * gap, gap + margin)


def compute_stage(
    today: date,
    order_count: int,
    purchase_days: int,
    first_day,
    last_day,
    return_day=None,
    thresholds: StageThresholds = StageThresholds(),
    gap_sd=None,
):
    """Return the stage key for one customer.

    ``return_day`` is the latest purchase day that came after a silence of at
    least ``dormant_days``: a customer who came back from Dormant or Churned.
    Rules are evaluated in order; the first that matches wins:

    1. no confirmed order: prospect;
    2. silent for ``churned_days``: churned; for ``dormant_days``: dormant;
    3. came back within the last ``won_back_days``: won_back;
    4. first order within the last ``new_days``: new;
    5. overdue, i.e. silent for more than ``at_risk_factor`` times the usual
       gap and more than the margin of the customer's own regularity
       (``at_risk_after``; ``gap_sd``, the standard deviation of his gaps);
       ``new_days`` stands in for the gap of a one-time buyer: at_risk;
    6. at least ``loyal_min_orders`` orders over ``loyal_min_days``: loyal;
    7. a repeat buyer: active; a one-time buyer still within cadence: new.
    """
    t = thresholds
    if not order_count or not last_day:
        return "prospect"
    silent = (today - last_day).days
    if silent >= t.churned_days:
        return "churned"
    if silent >= t.dormant_days:
        return "dormant"
    if return_day and (today - return_day).days <= t.won_back_days:
        return "won_back"
    tenure = (today - first_day).days
    if tenure <= t.new_days:
        return "new"
    gap = average_gap(first_day, last_day, purchase_days)
    overdue = at_risk_after(gap, gap_sd, t) if gap else t.at_risk_factor * t.new_days
    if silent > overdue:
        return "at_risk"
    if order_count >= t.loyal_min_orders and tenure >= t.loyal_min_days:
        return "loyal"
    if purchase_days >= 2:
        return "active"
    return "new"


def expected_next_order(first_day, last_day, purchase_days):
    """Last purchase day plus the customer's own usual gap (None if unknown)."""
    gap = average_gap(first_day, last_day, purchase_days)
    if gap is None:
        return None
    return last_day + timedelta(days=round(gap))
