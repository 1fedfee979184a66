"""RFM scoring, segments and value classes.

Scores are quintiles computed per company. To score customers batch by batch
(and a single customer when an order is confirmed) against the whole
population, the population is summarised once into four cut points per metric;
a score is then ``1 + number of cut points <= value``.

Ties: a value's position is its *mid-rank* percentile
``p = (values below + values equal / 2) / n`` and its score is
``min(5, floor(5 p) + 1)``. Equal values therefore always share a score, a
single customer (or a population of identical values) scores 3, and two
customers score 2 and 4.
"""

from bisect import bisect_right

import numpy as np

SCORES = (1, 2, 3, 4, 5)

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)

# Rows: R score 5 (most recent) to 1; columns: FM score 1 to 5.
# Every one of the 25 cells has exactly one segment: segments never overlap.
SEGMENT_GRID = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "champions"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "lost", "hibernating", "at_risk", "cant_lose"),
}

VALUE_CLASSES = ("high_value", "potential", "regular", "lost")


def cut_points(values):
    """Summarise a population into the 4 values where scores 2..5 start.

    Returns a list of 4 floats (None when a score is never reached, which
    keeps the result JSON-serialisable), or None for an empty population.
    """
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    n = arr.size
    if not n:
        return None
    uniques, counts = np.unique(arr, return_counts=True)
    below = np.cumsum(counts) - counts
    pct = (below + counts / 2.0) / n
    scores = np.minimum(np.floor(pct * 5).astype(int) + 1, 5)
    cuts = []
    for k in (2, 3, 4, 5):
        reached = uniques[scores >= k]
        cuts.append(float(reached[0]) if reached.size else None)
    return cuts


def score(value, cuts):
    """Score one value (or a numpy array) against cut points; None if unknown."""
    if cuts is None or value is None:
        return None
    reachable = [c for c in cuts if c is not None]
    if isinstance(value, np.ndarray):
        return 1 + np.sum(value[:, None] >= np.asarray(reachable)[None, :], axis=1)
    # Cut points ascend (a score is reached only after the lower ones).
    return 1 + bisect_right(reachable, value)


def recency_value(days_since_last):
    """Recency is better when smaller; scoring expects bigger-is-better."""
    return -float(days_since_last)


def fm_score(f_score, m_score):
    """Mean of F and M, rounded half up (so 1.5 gives 2 and 2.5 gives 3)."""
    return (f_score + m_score + 1) // 2


def segment(r_score, f_score, m_score):
    """Segment key of an (R, F, M) triple on the R x FM grid."""
    if not (r_score and f_score and m_score):
        return None
    return SEGMENT_GRID[r_score][fm_score(f_score, m_score) - 1]


def value_class(stage, segment_key, m_score):
    """Customer value class.

    - lost: lifecycle stage dormant or churned;
    - high_value: top fifth of the company's customers by monetary value in
      the analysis window (M = 5);
    - potential: new or won-back customers, and the segments new, promising
      and potential loyalist;
    - regular: everyone else who bought.
    """
    if not stage or stage == "prospect":
        return None
    if stage in ("dormant", "churned"):
        return "lost"
    if m_score == 5:
        return "high_value"
    if stage in ("new", "won_back") or segment_key in (
        "new",
        "promising",
        "potential_loyalist",
    ):
        return "potential"
    return "regular"
