"""The arithmetic of the Customer Lifecycle dashboard's KPIs.

Plain functions, no Odoo import: the snapshot model feeds them the counts
and sums its SQL read, the tests feed them known figures, and the
definitions in readme/USAGE.md are these functions.

A rate without a base (no customer, no answer, no closed alert) is None,
not 0: "nobody churned out of nobody" is no healthy churn rate, and no
threshold is crossed by a figure that does not exist.
"""

# The threshold rules: (code, KPI key, direction). "above": the line is
# crossed when the figure is strictly above it; "below": strictly below.
RULES = (
    ("churn", "churn_rate", "above"),
    ("churn_high_value", "churn_rate_high_value", "above"),
    ("repurchase", "repurchase_rate", "below"),
    ("nps", "nps", "below"),
)
RULE_CODES = tuple(code for code, _key, _direction in RULES)


def _count(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} is a whole number, not {value!r}.")
    if value < 0:
        raise ValueError(f"{name} cannot be negative ({value}).")
    return value


def rate(part, whole):
    """``part`` per hundred of ``whole`` (a share in %), None without a
    base. ``part`` out of ``whole`` cannot exceed it."""
    _count(part, "The part")
    _count(whole, "The base")
    if part > whole:
        raise ValueError(f"{part} out of {whole} is more than the whole.")
    if not whole:
        return None
    return 100.0 * part / whole


def repurchase_rate(repeat_customers, customers):
    """Customers with at least two purchases in the window per hundred
    customers with at least one."""
    return rate(repeat_customers, customers)


def churn_rate(churned, base):
    """Customers of the base (a paying stage at the window's start) who
    entered Churned during the window, per hundred of the base."""
    return rate(churned, base)


def win_back_rate(won_back, lost):
    """Alerts closed as won back per hundred alerts closed (won back or
    lost) in the window; open alerts have no outcome yet."""
    _count(won_back, "Won-back alerts")
    _count(lost, "Lost alerts")
    return rate(won_back, won_back + lost)


def retention_rate(retained, previous_customers):
    """Customers of the previous window who bought again in this one, per
    hundred customers of the previous window."""
    return rate(retained, previous_customers)


def net_promoter_score(value_sum, answers):
    """The NPS: the average of the answers' NPS values (+100 promoter, 0
    passive, -100 detractor), from -100 to +100; None without answers."""
    _count(answers, "The number of answers")
    if not answers:
        return None
    score = value_sum / answers
    if not -100 <= score <= 100:
        raise ValueError(f"An NPS is between -100 and 100, not {score}.")
    return score


def trend(current, previous):
    """Change from the previous window to this one (points), None when
    either is unknown."""
    if current is None or previous is None:
        return None
    return current - previous


def average(total, count):
    """``total / count``, None when ``count`` is 0 (average order value:
    revenue over orders; predicted value: sum over customers)."""
    _count(count, "The count")
    if not count:
        return None
    return total / count


def orders_per_year(orders, customers, window_days=365):
    """Orders per customer, scaled to a year: the window's orders over its
    customers, times 365 / the window's days."""
    _count(orders, "The number of orders")
    _count(customers, "The number of customers")
    if window_days <= 0:
        raise ValueError("The window has at least one day.")
    if not customers:
        return None
    return orders / customers * 365.0 / window_days


def stage_moves(now, before):
    """Per stage, customers now minus customers 30 days ago (both dicts of
    stage -> count; a missing stage has none)."""
    return {
        stage: now.get(stage, 0) - before.get(stage, 0)
        for stage in sorted(set(now) | set(before))
    }


def points_value(points, value_per_point):
    """What the outstanding points are worth to their holders, in the
    company's currency: points times the value of one point."""
    if value_per_point < 0:
        raise ValueError("A point cannot be worth less than nothing.")
    return points * value_per_point


def is_crossed(value, line, direction):
    """Whether ``value`` is on the wrong side of ``line``: strictly above
    for an "above" rule (churn above 5 %), strictly below for a "below" rule
    (repurchase below 30 %). An unknown figure crosses nothing."""
    if direction not in ("above", "below"):
        raise ValueError(f"A threshold direction is above or below, not {direction!r}.")
    if value is None:
        return False
    return value > line if direction == "above" else value < line


def crossed_rules(values, lines):
    """The codes of the rules whose KPI crosses its line. ``values``: KPI
    key -> figure (or None); ``lines``: rule code -> line, a rule without a
    line (None) is off."""
    crossed = set()
    for code, key, direction in RULES:
        line = lines.get(code)
        if line is not None and is_crossed(values.get(key), line, direction):
            crossed.add(code)
    return crossed


def newly_crossed(current, *earlier):
    """The rules crossed now that were not crossed in any earlier state
    (the previous day's snapshot, the same day's before a recompute): the
    manager hears of a crossing once, not every day while it lasts."""
    seen = set()
    for state in earlier:
        seen |= set(state or ())
    return set(current) - seen


def encode_rules(codes):
    """A set of rule codes as stored on a snapshot (sorted, comma-separated)."""
    unknown = set(codes) - set(RULE_CODES)
    if unknown:
        raise ValueError(f"Unknown threshold rules: {sorted(unknown)}")
    return ",".join(code for code in RULE_CODES if code in codes)


def decode_rules(text):
    """The rule codes stored by ``encode_rules`` (unknown codes dropped)."""
    return {code for code in (text or "").split(",") if code in RULE_CODES}
