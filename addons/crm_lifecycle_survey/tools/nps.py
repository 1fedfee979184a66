"""Net Promoter Score and customer satisfaction arithmetic.

Plain functions, no Odoo import: the answer model, the reports and the churn
signals read the same rules.

NPS (Reichheld, "The One Number You Need to Grow", 2003): on a 0-10 scale,
9-10 are promoters, 7-8 passives, 0-6 detractors; the score is the share of
promoters minus the share of detractors, in points from -100 to +100. Giving
each answer +100, 0 or -100 makes the NPS the plain average of the answers,
which is what a pivot table can compute.

CSAT: on a 1-5 scale, 4-5 are satisfied customers; the CSAT is their share.
"""

NPS_MIN, NPS_MAX = 0, 10
CSAT_MIN, CSAT_MAX = 1, 5
NPS_VALUES = {"promoter": 100, "passive": 0, "detractor": -100}
# CSAT answers at or below this score get the same follow-up as detractors.
CSAT_UNHAPPY_MAX = 2
CSAT_SATISFIED_MIN = 4


def _checked(score, low, high, kind):
    if isinstance(score, bool) or not isinstance(score, int):
        raise TypeError(f"A {kind} score is a whole number, not {score!r}.")
    if not low <= score <= high:
        raise ValueError(f"A {kind} score is between {low} and {high}, not {score}.")
    return score


def nps_category(score):
    """promoter, passive or detractor for a 0-10 answer."""
    score = _checked(score, NPS_MIN, NPS_MAX, "NPS")
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def nps_value(category):
    """What one answer adds to the average that is the NPS."""
    try:
        return NPS_VALUES[category]
    except KeyError:
        raise ValueError(f"Unknown NPS category {category!r}.") from None


def csat_satisfied(score):
    """Whether a 1-5 answer counts as satisfied (4 or 5)."""
    return _checked(score, CSAT_MIN, CSAT_MAX, "CSAT") >= CSAT_SATISFIED_MIN


def needs_follow_up(kind, score):
    """Whether the answer calls for the salesperson: an NPS detractor
    (0-6) or an unhappy CSAT answer (1-2)."""
    if kind == "nps":
        return nps_category(score) == "detractor"
    if kind == "csat":
        return _checked(score, CSAT_MIN, CSAT_MAX, "CSAT") <= CSAT_UNHAPPY_MAX
    raise ValueError(f"Unknown survey kind {kind!r}: nps or csat.")


def scale_bounds(kind):
    """The (minimum, maximum) of the score question a survey of this kind
    must have."""
    if kind == "nps":
        return NPS_MIN, NPS_MAX
    if kind == "csat":
        return CSAT_MIN, CSAT_MAX
    raise ValueError(f"Unknown survey kind {kind!r}: nps or csat.")


def net_promoter_score(promoters, passives, detractors):
    """The NPS from counts of answers, in points (-100..100); None without
    any answer (no score is not a score of 0)."""
    counts = (promoters, passives, detractors)
    if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
        raise ValueError(f"Answer counts are whole numbers from 0, not {counts!r}.")
    total = sum(counts)
    if not total:
        return None
    return 100.0 * (promoters - detractors) / total
