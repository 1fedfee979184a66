"""Backtest of the churn score: does a high score announce a customer who stops buying?

The caller replays every customer's signal strengths as of a past date D and
records what happened in the N days after D (outcome 1: no purchase, the
customer churned; 0: he bought again). These functions turn that replay into
figures a manager can check (AUC, lift of the top decile, precision of the
alert), into weights learned from the company's own history, and into a
calibration curve so that "a risk of 80" means that about 80 % of such
customers did not buy within N days.

Everything works on numpy arrays, one row per customer, so that a replay of a
million customers takes seconds: no Python loop runs per customer except
where the input is a list of dicts (``signal_matrix``) or the rows of a query
(``flap_rate``). Nothing here knows about Odoo.
"""

from collections import Counter

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from scipy.stats import rankdata

from .scoring import SIGNALS

# Below these counts a backtest is noise: an AUC on 10 churners moves by
# tenths from one week to the next.
MIN_CUSTOMERS = 200
MIN_EACH = 20
# A learned weighting must beat the current one by this much AUC on the later
# window before it replaces it: a smaller gain is within the noise of a
# replay and would make the weights flap from one month to the next.
MIN_AUC_GAIN = 0.005
# A calibration curve is stored on the company; past this many steps it only
# follows the noise of the replay.
MAX_CURVE_POINTS = 50
# A step of the calibration curve backed by fewer customers would promise
# "100 %" on the strength of three of them.
MIN_CURVE_COUNT = 20
# The weighting that scores by the purchase model alone (the lifecycle's
# expected purchases): a candidate of every backtest, so that the score the
# backtest adopts never ranks the later window worse than the model the
# score is built on.
PURCHASE_MODEL_WEIGHTS = {"few_purchases_90": 100.0}
# Quantile bins of the calibration table hold at least this many customers,
# else the observed rate of a bin is too noisy to compare with anything.
MIN_BIN_COUNT = 20


def _vectors(scores, outcomes):
    scores = np.asarray(scores, dtype=float).ravel()
    outcomes = np.asarray(outcomes, dtype=float).ravel()
    if scores.shape != outcomes.shape:
        raise ValueError("scores and outcomes must have the same length")
    if np.isnan(scores).any():
        # Dropping them silently would bias every figure towards the
        # customers the score could see.
        raise ValueError("scores must not be NaN")
    return scores, outcomes


def _top_count(count, share):
    """How many customers ``share`` of ``count`` is: rounded half up, at
    least one as soon as the share is positive, so that "the top 10 %" of a
    small company is never empty."""
    if count == 0 or share <= 0:
        return 0
    return int(min(count, max(1, np.floor(share * count + 0.5))))


def _descending(scores):
    """Order from the highest score; ties keep the caller's order (stable
    sort) so that a rerun on the same rows gives the same customers."""
    return np.argsort(-scores, kind="stable")


def auc(scores, outcomes):
    """Probability that a random churner outscores a random buyer (ties count
    half), from the ranks (Mann-Whitney U), in O(n log n) rather than over
    every pair.

    :return: float in [0, 1], or ``None`` when only one outcome occurs: there
        is then nothing to rank against, and 0.5 would pass for a verdict
    """
    scores, outcomes = _vectors(scores, outcomes)
    positive = outcomes == 1
    churners = int(positive.sum())
    buyers = scores.size - churners
    if not churners or not buyers:
        return None
    ranks = rankdata(scores)  # average ranks of ties
    u = ranks[positive].sum() - churners * (churners + 1) / 2.0
    return float(u / (churners * buyers))


def top_share(scores, outcomes, share):
    """What the salesperson gets when he calls the ``share`` highest-scored
    customers (e.g. 0.1 for the top decile).

    :return: dict ``count`` (customers called), ``precision`` (churn rate
        among them), ``capture`` (share of all churners among them) and
        ``lift`` (precision over the base churn rate: how much better than
        calling at random); a figure that would divide by zero is ``None``
    """
    scores, outcomes = _vectors(scores, outcomes)
    count = _top_count(scores.size, share)
    churners = float(outcomes.sum())
    if not count:
        return {"count": 0, "lift": None, "capture": None, "precision": None}
    found = float(outcomes[_descending(scores)[:count]].sum())
    precision = found / count
    base = churners / scores.size
    return {
        "count": count,
        "lift": precision / base if base else None,
        "capture": found / churners if churners else None,
        "precision": precision,
    }


def precision_above(scores, outcomes, threshold):
    """How many alerts a threshold raises and how many of them were right:
    the customers scored at or above it and their churn rate (``None`` when
    nobody reaches it)."""
    scores, outcomes = _vectors(scores, outcomes)
    selected = scores >= threshold
    count = int(selected.sum())
    precision = float(outcomes[selected].mean()) if count else None
    return {"count": count, "precision": precision}


def threshold_for_share(scores, share):
    """The score from which ``share`` of the customers are alerted ("alert the
    10 % most at risk"): the score of the last customer of the top share.

    Customers tied with it are alerted too, so a coarse score may alert a
    little more than the share. ``None`` when there are no customers or the
    share is not positive.
    """
    scores = np.asarray(scores, dtype=float).ravel()
    scores = scores[~np.isnan(scores)]
    count = _top_count(scores.size, share)
    if not count:
        return None
    # The count-th highest score, without sorting all of them.
    return float(np.partition(scores, scores.size - count)[scores.size - count])


def calibration_bins(probabilities, outcomes, bins=10, *, min_count=MIN_BIN_COUNT):
    """Predicted against observed churn rate by equal-count bins of the
    predicted probability, the table that shows whether "80 %" means 80 %.

    Equal counts rather than equal widths: most customers sit at a few
    probabilities and a fixed-width bin would be nearly empty or hold half
    of them. The customers are cut by rank (ties in the caller's order), so
    the bins hold the same number of customers give or take one. With fewer
    than ``bins * min_count`` customers there are fewer bins, each of at
    least ``min_count`` customers (one bin at least).

    :return: list of dicts ``bin`` (1 = lowest predictions), ``count``,
        ``predicted`` (mean probability) and ``observed`` (churn rate)
    """
    probabilities, outcomes = _vectors(probabilities, outcomes)
    count = probabilities.size
    if not count:
        return []
    bins = max(1, min(int(bins), count // max(int(min_count), 1)))
    order = np.argsort(probabilities, kind="stable")
    index = np.empty(count, dtype=np.intp)
    index[order] = np.arange(count) * bins // count
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=probabilities, minlength=bins) / counts
    observed = np.bincount(index, weights=outcomes, minlength=bins) / counts
    return [
        {
            "bin": number + 1,
            "count": int(counts[number]),
            "predicted": float(predicted[number]),
            "observed": float(observed[number]),
        }
        for number in range(bins)
    ]


def signal_matrix(strength_dicts, signals=SIGNALS):
    """Strengths of a replay as a matrix, one row per customer and one column
    per signal, NaN where the signal is unavailable (missing or ``None``).

    :param strength_dicts: ``scoring.strengths`` of each customer
    :return: ``(X, signals)`` with ``signals`` as a tuple, the column order
    """
    signals = tuple(signals)
    rows = strength_dicts if isinstance(strength_dicts, list) else list(strength_dicts)
    nan = float("nan")
    matrix = np.empty((len(rows), len(signals)), dtype=float)
    for column, code in enumerate(signals):
        values = (row.get(code) for row in rows)
        matrix[:, column] = np.fromiter(
            (nan if value is None else value for value in values),
            dtype=float,
            count=len(rows),
        )
    return matrix, signals


def signal_column(X, code, signals=SIGNALS):
    """The strengths of one signal in a matrix of ``signal_matrix``."""
    return np.asarray(X, dtype=float)[:, tuple(signals).index(code)]


def _weight_vector(weights, signals):
    if isinstance(weights, dict):
        vector = np.array([float(weights.get(code) or 0.0) for code in signals])
    else:
        vector = np.asarray(weights, dtype=float).ravel()
        if vector.size != len(signals):
            raise ValueError("one weight per signal is needed")
    # Negative weights count as zero, as in scoring.score_all.
    return np.maximum(vector, 0.0)


def raw_scores(X, weights, signals=SIGNALS):
    """The score of each customer over 100 (a value in [0, 1]), computed as
    ``scoring.score_all`` does: the weighted mean of the strengths of the
    signals available for him, a signal of weight 0 counting as absent.

    Not rounded (the stored score is rounded to a whole point), so that the
    metrics and the calibration see the full ordering.

    A customer with no available weighted signal gets 0, as scoring.py gives
    him: the backtest must judge the score the customers actually receive,
    and NaN would have to be dropped from every metric.

    :param weights: ``{signal: weight}`` or one weight per column of ``X``
    """
    X = np.asarray(X, dtype=float)
    weight = _weight_vector(weights, signals)
    if X.ndim != 2 or X.shape[1] != weight.size:
        raise ValueError("X must have one column per signal")
    available = ~np.isnan(X)
    total_weight = available @ weight
    total = np.where(available, X, 0.0) @ weight
    out = np.zeros(X.shape[0])
    np.divide(total, total_weight, out=out, where=total_weight > 0)
    return out


def _no_weights(reason, signals):
    return {
        "weights": None,
        "intercept": None,
        "coefficients": dict.fromkeys(signals, 0.0),
        "availability": {},
        "reason": reason,
    }


def _logistic_fit(design, y, l2, bounds):
    """Ridge logistic regression with an unpenalised intercept (first
    parameter), mean log-loss so that the tolerances do not depend on the
    number of customers."""
    count = y.size
    start = np.zeros(design.shape[1] + 1)
    rate = y.mean()
    start[0] = np.log(rate / (1.0 - rate))
    penalty = l2 / count

    def loss(params):
        z = design @ params[1:]
        z += params[0]
        # log(1 + e^z) without overflow, cheaper than np.logaddexp.
        value = np.log1p(np.exp(-np.abs(z))).sum() + np.maximum(z, 0.0).sum() - y @ z
        residual = expit(z)
        residual -= y
        gradient = np.empty_like(params)
        gradient[0] = residual.sum()
        gradient[1:] = design.T @ residual
        gradient /= count
        gradient[1:] += penalty * params[1:]
        value = value / count + 0.5 * penalty * (params[1:] @ params[1:])
        return value, gradient

    found = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(None, None), *bounds],
        options={"maxiter": 500, "ftol": 1e-12, "gtol": 1e-8},
    )
    return found.x


def fit_weights(X, y, l2=1.0, signals=SIGNALS):
    """Weights learned from a replay: a logistic regression of the outcome on
    the strengths, with coefficients kept >= 0 so that each reads as the
    weight of a sign of leaving (a negative weight would have the score rise
    when a customer looks better, which no salesperson could be told).

    * An unavailable strength is replaced by the mean of the signal over the
      customers who have it (a signal nobody has is left out), and an availability
      indicator of free sign enters the model for every signal available to
      some customers only. Without it a signal would be credited or blamed
      for who has it (one-time buyers have no "overdue" and churn more)
      rather than for what its strength says. The indicators are not weights:
      the score already leaves an unavailable signal out of the mean.
    * The strengths are standardised before the fit, so that ``l2`` weighs
      every signal alike whatever its spread; ``l2`` is the ridge strength
      against the total log-loss (scikit-learn's ``C = 1 / l2``): it steadies
      a small replay and vanishes in a large one. A signal whose available
      strengths do not vary gets 0.
    * The weights are the coefficients on the strengths' own scale,
      normalised to add up to 100 like ``scoring.DEFAULT_WEIGHTS``, since the
      score is a weighted mean in which only their ratios count.

    :return: dict ``weights`` (``{signal: weight}`` adding up to 100, or
        ``None`` with a ``reason``: ``no_customers``, ``one_outcome``,
        ``no_sign_of_leaving`` when every coefficient is 0), ``intercept``
        and ``coefficients`` (the logistic model on the strengths' scale, the
        unavailable ones imputed), ``availability`` (coefficient of each
        availability indicator) and ``reason`` (``None`` when fitted)
    """
    signals = tuple(signals)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[1] != len(signals) or X.shape[0] != y.size:
        raise ValueError("X must be customers x signals, y one outcome per row")
    if not y.size:
        return _no_weights("no_customers", signals)
    if y.min() == y.max():
        return _no_weights("one_outcome", signals)

    count = y.size
    # Column by column from here: a column-major copy keeps each one contiguous.
    X = np.asfortranarray(X)
    available = ~np.isnan(X)
    present = available.sum(axis=0)

    columns = []  # (kind, signal index, centre, scale)
    for index in range(len(signals)):
        if not present[index]:
            continue
        values = X[available[:, index], index]
        mean = values.mean()
        # Spread of the imputed column, from the available values alone.
        spread = np.sqrt(((values - mean) ** 2).sum() / count)
        if spread > 1e-12:
            columns.append(("strength", index, mean, spread))
        share = present[index] / count
        if share < 1:
            columns.append(("available", index, share, np.sqrt(share * (1 - share))))

    design = np.empty((count, len(columns)), order="F")
    for position, (kind, index, centre, scale) in enumerate(columns):
        column = design[:, position]
        if kind == "strength":
            column[:] = X[:, index]
            column[~available[:, index]] = centre
        else:
            column[:] = available[:, index]
        column -= centre
        column /= scale
    bounds = [
        (0.0, None) if kind == "strength" else (None, None) for kind, *_ in columns
    ]
    params = _logistic_fit(design, y, l2, bounds)
    del design

    coefficients = dict.fromkeys(signals, 0.0)
    availability = {}
    intercept = float(params[0])
    for value, (kind, index, centre, scale) in zip(params[1:], columns, strict=True):
        raw = float(value / scale)
        if kind == "strength":
            raw = max(raw, 0.0)
            coefficients[signals[index]] = raw
        else:
            availability[signals[index]] = raw
        intercept -= raw * centre
    total = sum(coefficients.values())
    result = {
        "weights": None,
        "intercept": intercept,
        "coefficients": coefficients,
        "availability": availability,
        "reason": None,
    }
    if total <= 0:
        result["reason"] = "no_sign_of_leaving"
        return result
    result["weights"] = {
        code: 100.0 * value / total for code, value in coefficients.items()
    }
    return result


def _pool_adjacent_violators(sums, counts):
    """Isotonic regression of grouped outcomes (sorted by score): blocks of
    adjacent groups whose churn rates are pooled until they increase.

    Equal rates are pooled too, so the blocks come out strictly increasing.
    One pass with a stack, O(groups); it runs on distinct scores, not on
    customers.

    :return: arrays (sum of outcomes, count, index of the last group) per block
    """
    block_sums, block_counts, block_ends = [], [], []
    pairs = zip(sums.tolist(), counts.tolist(), strict=True)
    for index, (total, size) in enumerate(pairs):
        while block_sums and block_sums[-1] * size >= total * block_counts[-1]:
            total += block_sums.pop()
            size += block_counts.pop()
            block_ends.pop()
        block_sums.append(total)
        block_counts.append(size)
        block_ends.append(index)
    return np.array(block_sums), np.array(block_counts), np.array(block_ends)


def _merge_blocks(sums, counts, ends, max_points, min_count):
    """Merge adjacent blocks until at most ``max_points`` remain, each of at
    least ``min_count`` customers, each time merging the pair whose pooling
    moves the fewest predictions (least added squared error). Pooling two
    neighbours of an increasing curve keeps it increasing."""
    while sums.size > 1:
        rates = sums / counts
        pair_counts = counts[:-1] * counts[1:] / (counts[:-1] + counts[1:])
        cost = pair_counts * (rates[1:] - rates[:-1]) ** 2
        small = np.flatnonzero(counts < min_count)
        if small.size:
            block = small[np.argmin(counts[small])]
            if block == 0:
                pair = 0
            elif block == sums.size - 1:
                pair = block - 1
            else:
                pair = block - 1 if cost[block - 1] <= cost[block] else block
        elif sums.size > max_points:
            pair = int(np.argmin(cost))
        else:
            break
        sums[pair] += sums[pair + 1]
        counts[pair] += counts[pair + 1]
        ends[pair] = ends[pair + 1]
        sums = np.delete(sums, pair + 1)
        counts = np.delete(counts, pair + 1)
        ends = np.delete(ends, pair + 1)
    return sums, counts, ends


def fit_calibration(raw, y, *, max_points=MAX_CURVE_POINTS, min_count=MIN_CURVE_COUNT):
    """Curve turning a raw score into the probability of no purchase within
    the horizon, learned from a replay.

    Isotonic (pool-adjacent-violators) rather than a logistic curve: it
    assumes only that a higher score never means less risk, and the raw
    score's relation to the churn rate has no reason to be an S. Customers
    with the same raw score share one block. The curve is then made compact
    for storing on the company: at most ``max_points`` blocks of at least
    ``min_count`` customers, merging the neighbours that differ least.

    Each block is stored at its centre (the mean raw score of its customers)
    with its observed churn rate; ``calibrate`` interpolates between centres.
    A last point at raw 1 extends the curve beyond the riskiest block, on
    the slope of its last segment (so ``max_points`` blocks plus that one).
    Steps at the blocks' edges would carry the learning day's exact edges to
    the day the curve is used: where the learning day separated its buyers
    from its lost customers cleanly, a buyer scoring a hair above the last
    buyer of that day would be announced as certainly lost.

    :return: JSON-able list of ``[raw_centre, probability]`` pairs,
        increasing in both; ``[]`` without customers
    """
    raw, y = _vectors(raw, y)
    if not raw.size:
        return []
    values, inverse = np.unique(raw, return_inverse=True)
    sums = np.bincount(inverse, weights=y, minlength=values.size)
    counts = np.bincount(inverse, minlength=values.size).astype(float)
    raw_sums = values * counts
    sums, block_counts, ends = _pool_adjacent_violators(sums, counts)
    sums, block_counts, ends = _merge_blocks(
        sums, block_counts, ends, max(int(max_points), 1), min_count
    )
    cumulative = np.concatenate(([0.0], np.cumsum(raw_sums)))
    starts = np.concatenate(([0], ends[:-1] + 1))
    centres = (cumulative[ends + 1] - cumulative[starts]) / block_counts
    curve = [
        [float(centre), float(total / size)]
        for centre, total, size in zip(centres, sums, block_counts, strict=True)
    ]
    # Above the riskiest block seen, the risk keeps rising as it did between
    # the last two blocks (up to certainty) rather than staying flat:
    # customers riskier than any of the learning days (a clientele that aged
    # since) would otherwise all share one probability, and the score would
    # stop ranking them.
    if len(curve) >= 2 and curve[-1][0] < 1.0 and curve[-1][1] < 1.0:
        (c0, p0), (c1, p1) = curve[-2], curve[-1]
        slope = (p1 - p0) / (c1 - c0)
        top = min(1.0, p1 + slope * (1.0 - c1))
        if top > p1:
            curve.append([1.0, float(top)])
    return curve


def calibrate(raw, curve):
    """Probability of each raw score by the curve of ``fit_calibration``:
    linear between the blocks' centres, flat beyond the first and the last.

    The probabilities are clipped to [0, 1] and made non-decreasing, so that
    a curve edited by hand cannot rank customers backwards. NaN stays NaN.
    """
    if not curve:
        raise ValueError("an empty calibration curve cannot calibrate")
    centres = np.array([point[0] for point in curve], dtype=float)
    probabilities = np.maximum.accumulate(
        np.clip(np.array([point[1] for point in curve], dtype=float), 0.0, 1.0)
    )
    # Centres edited out of order would make np.interp meaningless.
    centres = np.maximum.accumulate(centres)
    raw = np.asarray(raw, dtype=float)
    out = np.interp(np.nan_to_num(raw, nan=0.0), centres, probabilities)
    return np.where(np.isnan(raw), np.nan, out)


def choose_weights(auc_current, auc_learned, min_gain=MIN_AUC_GAIN):
    """Whether the learned weights replace the current ones: only when they
    rank the later (validation) window better by ``min_gain`` at least. The
    fit saw the earlier window only, so this is the honest comparison; a
    missing AUC (one outcome only) keeps the current weights."""
    if auc_current is None or auc_learned is None:
        return False
    # The tolerance keeps a gain of exactly min_gain from failing on rounding.
    return auc_learned - auc_current >= min_gain - 1e-12


def choose_weighting(aucs, min_gain=MIN_AUC_GAIN):
    """Which candidate weighting scores the customers from now on, judged on
    the later (validation) window, which no candidate was fitted on.

    :param aucs: ``{candidate: AUC on the later window}`` with ``"current"``
        (the weights in force) and any of ``"learned"`` (fitted on the
        earlier window) and ``"purchase_model"`` (the purchase model alone);
        ``None`` where a candidate has no AUC
    :return: the best candidate when it beats the weights in force by
        ``min_gain`` (else ``"current"``, so that the weights do not flap
        from one month to the next on noise); of two candidates ranking
        alike the purchase model alone, the simpler score
    """
    current = aucs.get("current")
    if current is None:
        return "current"
    best, best_auc = "current", current
    for name in ("purchase_model", "learned"):
        value = aucs.get(name)
        if value is None or value - current < min_gain - 1e-12:
            continue
        if value > best_auc + 1e-12:
            best, best_auc = name, value
    return best


def meaningful(
    customers, churners, buyers, min_customers=MIN_CUSTOMERS, min_each=MIN_EACH
):
    """Whether a replay has enough customers of each outcome for its figures
    to mean something, with the first reason why not.

    :return: ``(True, None)`` or ``(False, code)`` with code
        ``too_few_customers``, ``too_few_churners`` or ``too_few_buyers``
    """
    if customers < min_customers:
        return False, "too_few_customers"
    if churners < min_each:
        return False, "too_few_churners"
    if buyers < min_each:
        return False, "too_few_buyers"
    return True, None


def flap_rate(stage_changes, customers, years):
    """How often customers leave each stage, per customer and per year: a
    stage that customers leave several times a year flaps, and alerts drawn
    from it tire the salespeople.

    Only the stage left counts: the rows are those of the period already
    (the caller's query picks it), and the stage entered is the next row's.

    :param stage_changes: rows ``(customer, stage_before, day)``, one per
        change of stage during the period
    :param customers: the customers the rate is per: a number for the whole
        population, or ``{stage: number}`` for the customers who were in each
        stage during the period (a stage missing from it has no rate)
    :param years: length of the period in years
    :return: ``{stage: changes out of it / customers / years}``
    """
    if years <= 0:
        raise ValueError("the period must last")
    changes = Counter(row[1] for row in stage_changes)
    rates = {}
    for stage, count in changes.items():
        base = customers.get(stage) if isinstance(customers, dict) else customers
        if base:
            rates[stage] = count / base / years
    return rates
