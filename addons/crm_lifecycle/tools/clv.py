"""Customer-lifetime-value maths: BG/NBD purchases and Gamma-Gamma spend.

References
----------
* Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
  alternative to the Pareto/NBD model", Marketing Science 24(2) ("FHL").
* Hardie's note "Implementing the BG/NBD model for customer-base analysis in
  Excel" for the log-space likelihood (terms A1..A4).
* Batislam, Denizel & Filiztekin (2007), MBG/NBD, for the one-time-buyer
  correction of P(alive).
* Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", and
  Colombo & Jiang (1999) for the spend model.

Conventions shared by every function:

* ``x`` is the number of *repeat* purchases (purchase days minus one),
  ``t_x`` the time of the last purchase measured from the first one, ``T``
  the time from the first purchase to the end of the calibration period and
  ``t`` a prediction horizon.  All times use one unit chosen by the caller
  (days or weeks); the fitted BG/NBD ``alpha`` is in that unit, the
  Gamma-Gamma ``gamma`` in the currency of the spends.
* For customers with ``x == 0`` the value of ``t_x`` is irrelevant (it is
  zero by definition) and is ignored.
* Everything is vectorised with numpy: the fits count identical rows once
  and weight them, so a million customers cost only as much as their
  distinct (x, t_x, T) histories, and likelihood gradients are analytic.

The module deliberately depends on numpy, scipy and math only, so that it can
be tested and reused without an Odoo server.
"""

import math

import numpy as np
from scipy import optimize, special
from scipy.integrate import quad

__all__ = [
    "MIN_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "bgnbd_expected_purchases",
    "bgnbd_expected_purchases_new",
    "bgnbd_log_likelihood",
    "bgnbd_prob_alive",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_is_stable",
    "gamma_gamma_expected_spend",
    "gamma_gamma_log_likelihood",
    "heuristic_predictions",
    "simulate_bgnbd",
]

#: Below this many customers a BG/NBD fit is too noisy to trust.
MIN_CUSTOMERS = 50
#: Below this many repeat customers a Gamma-Gamma fit is too noisy to trust.
MIN_REPEAT_CUSTOMERS = 20

# Parameters a trustworthy fit may take; outside this range the likelihood is
# flat in some direction and the estimate means "infinitely large/small".
_STABLE_RANGE = (1e-4, 1e4)
# Box for the log-parameters during optimisation: wide enough to contain every
# stable fit, narrow enough that exp() and gammaln() never overflow.
_LOG_BOUND = 15.0
# FHL eq. 9/10 divide by (a - 1); closer than this to 1 we interpolate between
# both edges of the gap instead (the expressions are smooth in a, so the
# error is of the order of the gap squared).
_A_NUDGE = 1e-6
# Below this value of its third parameter c, 2F1 nears its pole at c = 0 and
# is evaluated through a contiguous relation instead (see _alive_expectation).
_MIN_DIRECT_C = 0.5


# --------------------------------------------------------------------------
# input handling


def _as_float(value, name):
    array = np.atleast_1d(np.asarray(value, dtype=float))
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def _check_rfm(x, t_x, T, allow_empty=True):
    """Validate one (x, t_x, T) summary; bad data must fail loudly, not fit."""
    x = _as_float(x, "x")
    t_x = _as_float(t_x, "t_x")
    T = _as_float(T, "T")
    if not (len(x) == len(t_x) == len(T)):
        raise ValueError(
            f"x, t_x and T must have equal lengths (got {len(x)}, {len(t_x)}, {len(T)})"
        )
    if not allow_empty and len(x) == 0:
        raise ValueError("no customers given: x, t_x and T are empty")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(T < 0):
        raise ValueError("x, t_x and T must be non-negative")
    if np.any(x != np.round(x)):
        raise ValueError("x must hold whole numbers of repeat purchases")
    if np.any(t_x > T):
        raise ValueError("t_x (time of last purchase) cannot exceed T")
    return x, t_x, T


def _check_positive(**params):
    for name, value in params.items():
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"parameter {name} must be positive and finite")


def _horizon(t, n):
    t = np.asarray(t, dtype=float)
    if t.ndim == 0:
        t = np.full(n, float(t))
    if t.shape != (n,):
        raise ValueError("t must be a scalar or have one value per customer")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be finite and non-negative")
    return t


# --------------------------------------------------------------------------
# BG/NBD likelihood


def _by_x(func, x, x_groups):
    """func(x), evaluated once per distinct x when the groups are known.

    The gamma-function terms depend on x alone, and real customer bases have
    a few hundred distinct purchase counts against up to millions of rows.
    """
    if x_groups is None:
        return func(x)
    distinct, inverse = x_groups
    return func(distinct)[inverse]


def _bgnbd_ll_terms(r, alpha, a, b, x, t_x, T, gradient=False, x_groups=None):
    """Per-customer log-likelihood and, optionally, its (r, alpha, a, b) gradient.

    The likelihood is the sum of an "alive at T" and a "died right after the
    last purchase" branch; summing them in log space (logaddexp) keeps
    customers with many purchases or long histories from under/overflowing.
    """
    repeat = x > 0
    # max(x, 1) keeps ln(b + x - 1) defined where delta(x>0) drops the term
    log_b_x1 = _by_x(lambda v: np.log(b + np.maximum(v, 1.0) - 1.0), x, x_groups)
    a1 = (
        _by_x(lambda v: special.gammaln(r + v), x, x_groups)
        - special.gammaln(r)
        + r * np.log(alpha)
    )
    a2 = (
        special.gammaln(a + b)
        - special.gammaln(b)
        + _by_x(
            lambda v: special.gammaln(b + v) - special.gammaln(a + b + v), x, x_groups
        )
    )
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    a3 = -(r + x) * log_alpha_T
    a4 = np.where(repeat, np.log(a) - log_b_x1 - (r + x) * log_alpha_tx, -np.inf)
    mix = np.logaddexp(a3, a4)
    ll = a1 + a2 + mix
    if not gradient:
        return ll
    w3 = np.exp(a3 - mix)
    w4 = np.exp(a4 - mix)
    psi_abx = _by_x(lambda v: special.digamma(a + b + v), x, x_groups)
    psi_ab = special.digamma(a + b)
    d_r = (
        _by_x(lambda v: special.digamma(r + v), x, x_groups)
        - special.digamma(r)
        + np.log(alpha)
        - w3 * log_alpha_T
        - w4 * log_alpha_tx
    )
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x))
    d_a = psi_ab - psi_abx + w4 / a
    d_b = (
        psi_ab
        + _by_x(lambda v: special.digamma(b + v), x, x_groups)
        - special.digamma(b)
        - psi_abx
        - w4 * np.exp(-log_b_x1)
    )
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


def bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T):
    """Per-customer BG/NBD log-likelihood (FHL eq. 6, Hardie's A1..A4 form).

    ln L = A1 + A2 + ln(exp(A3) + delta(x>0) exp(A4)), evaluated with gammaln
    and logaddexp so that it stays finite where the direct formula underflows.
    """
    _check_positive(r=r, alpha=alpha, a=a, b=b)
    x, t_x, T = _check_rfm(x, t_x, T)
    return _bgnbd_ll_terms(r, alpha, a, b, x, t_x, T)


# --------------------------------------------------------------------------
# maximum likelihood machinery shared by both models


def _compress(*columns):
    """Identical rows contribute identical likelihood terms: count them once.

    A lexsort plus a run-length count does what ``np.unique(axis=0)`` does,
    several times faster on a million rows.
    """
    order = np.lexsort(columns[::-1])
    rows = np.stack([np.asarray(column)[order] for column in columns])
    starts = np.flatnonzero(
        np.concatenate([[True], np.any(rows[:, 1:] != rows[:, :-1], axis=0)])
    )
    counts = np.diff(np.append(starts, rows.shape[1]))
    return rows[:, starts], counts.astype(float)


def _maximise(objective, initial, names):
    """Minimise a mean negative log-likelihood over log-parameters.

    Positivity comes for free from the log transform.  L-BFGS-B with the
    analytic gradient is fast; when it stops abnormally (typically a line
    search lost in floating-point noise near a flat optimum) Nelder-Mead,
    which needs no gradient, restarts from the best point found.  Nothing
    here raises: a failed optimisation is reported as ``converged=False``.
    """
    start = np.log(np.asarray(initial, dtype=float))
    if start.shape != (len(names),) or not np.all(np.isfinite(start)):
        raise ValueError(f"initial must hold {len(names)} positive values")
    start = np.clip(start, -_LOG_BOUND, _LOG_BOUND)
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(names)

    def value(phi):
        return objective(phi, False)

    def value_and_grad(phi):
        return objective(phi, True)

    iterations = 0
    best_phi, best_value, converged = start, value(start), False
    try:
        res = optimize.minimize(
            value_and_grad,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-7},
        )
        iterations += int(res.nit)
        if np.isfinite(res.fun) and res.fun <= best_value:
            best_phi, best_value, converged = res.x, res.fun, bool(res.success)
    except (ValueError, FloatingPointError, ArithmeticError):
        converged = False  # numerical trouble: the Nelder-Mead fallback runs
    if not converged:
        try:
            res = optimize.minimize(
                value,
                best_phi,
                method="Nelder-Mead",
                bounds=bounds,
                options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-12},
            )
            iterations += int(res.nit)
            if np.isfinite(res.fun) and res.fun <= best_value:
                best_phi, best_value = res.x, res.fun
                converged = bool(res.success)
        except (ValueError, FloatingPointError, ArithmeticError):
            converged = False  # keep the best point found so far, unconverged
    if not np.isfinite(best_value):
        converged = False
    params = dict(zip(names, (float(v) for v in np.exp(best_phi)), strict=True))
    return params, converged, iterations


def fit_bgnbd(x, t_x, T, initial=(1.0, 1.0, 1.0, 1.0), penalizer=0.0):
    """Maximum-likelihood BG/NBD parameters (r, alpha, a, b).

    The objective is the mean negative log-likelihood plus
    ``penalizer * (r^2 + alpha^2 + a^2 + b^2)`` (the convention of the
    ``lifetimes`` package), so a small penalizer such as 0.001 tames the
    a, b -> infinity drift of samples that show almost no dropout.
    ``log_likelihood`` in the result is the unpenalised total over all
    customers.  Check the result with ``fit_is_stable`` before trusting it.
    """
    x, t_x, T = _check_rfm(x, t_x, T, allow_empty=False)
    if not (math.isfinite(penalizer) and penalizer >= 0):
        raise ValueError("penalizer must be a non-negative number")
    (ux, utx, uT), weights = _compress(x, np.where(x > 0, t_x, 0.0), T)
    total = weights.sum()
    # the distinct purchase counts, for the x-only terms (see _by_x)
    x_groups = np.unique(ux, return_inverse=True)

    def objective(phi, gradient):
        theta = np.exp(phi)
        penalty = penalizer * np.sum(theta**2)
        with np.errstate(all="ignore"):
            if not gradient:
                ll = _bgnbd_ll_terms(*theta, ux, utx, uT, x_groups=x_groups)
                value = -np.dot(weights, ll) / total + penalty
                return value if np.isfinite(value) else np.inf
            ll, grad = _bgnbd_ll_terms(
                *theta, ux, utx, uT, gradient=True, x_groups=x_groups
            )
            value = -np.dot(weights, ll) / total + penalty
            grad = -(grad @ weights) / total * theta + 2.0 * penalizer * theta**2
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(phi)
        return value, grad

    params, converged, iterations = _maximise(
        objective, initial, ("r", "alpha", "a", "b")
    )
    with np.errstate(all="ignore"):
        ll = float(np.dot(weights, _bgnbd_ll_terms(*params.values(), ux, utx, uT)))
    return {
        **params,
        "log_likelihood": ll,
        "converged": converged and math.isfinite(ll),
        "iterations": iterations,
        "customers": len(x),
    }


# --------------------------------------------------------------------------
# BG/NBD predictions


def bgnbd_prob_alive(r, alpha, a, b, x, t_x, T, one_time_correction=True):
    """Probability that each customer is still active at T.

    Plain BG/NBD (FHL eq. 13) is
    1 / (1 + delta(x>0) * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)),
    which makes every one-time buyer "certainly alive": the model only lets
    customers drop out after a *repeat* purchase.  That is the known flaw of
    BG/NBD and would rank a buyer seen once three years ago above every loyal
    customer.

    Documented handling of the flaw: with ``one_time_correction=True`` (the
    default) customers with x = 0 get the MBG/NBD value (Batislam, Denizel &
    Filiztekin 2007), i.e. dropout is also allowed right after the first
    purchase with the same fitted (a, b):
    P = 1 / (1 + a/b * ((alpha+T)/alpha)^r).  (So even at T = 0 a one-time
    buyer is only alive with probability b/(a+b), as in MBG/NBD.)  Repeat
    customers are unaffected.  Computed as a logistic of a log-odds so that
    long silences give 0, not overflow.
    """
    _check_positive(r=r, alpha=alpha, a=a, b=b)
    x, t_x, T = _check_rfm(x, t_x, T)
    return _prob_alive(r, alpha, a, b, x, t_x, T, one_time_correction)


def _prob_alive(r, alpha, a, b, x, t_x, T, one_time_correction):
    xb = np.maximum(x, 1.0)
    log_odds_dead = np.where(
        x > 0,
        np.log(a)
        - np.log(b + xb - 1.0)
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
        -np.inf,
    )
    if one_time_correction:
        one_time = np.log(a) - np.log(b) + r * (np.log(alpha + T) - np.log(alpha))
        log_odds_dead = np.where(x > 0, log_odds_dead, one_time)
    return special.expit(-log_odds_dead)


def _alive_expectation_quad(r, alpha, a, b, t, x, T):
    """E[Y(t) | alive at T] by one-dimensional quadrature; a safety net.

    Given "alive", lam | data ~ Gamma(r+x, alpha+T) and p | data ~
    Beta(a, b+x) independently, and E[Y(t) | lam, p, alive] =
    (1 - exp(-lam*p*t)) / p.  Integrating lam out in closed form leaves the
    Beta-mean of a bounded, decreasing function of p; substituting p by the
    Beta quantile of u turns that into a plain integral over u in (0, 1),
    which adaptive quadrature handles for any a > 0.  Slow, so only used
    where the hypergeometric route returns something unusable.
    """
    shape, rate = r + x, alpha + T

    def kernel(u):
        p = special.betaincinv(a, b + x, u)
        if p <= 0.0:
            return shape * t / rate
        return -math.expm1(-shape * math.log1p(p * t / rate)) / p

    return quad(kernel, 0.0, 1.0, limit=200)[0] if t > 0 else 0.0


def _alive_expectation_hyp(r, alpha, a, b, t, x, T):
    """FHL eq. 10 without P(alive), via the Gauss hypergeometric function.

    FHL write it as c/(a-1) * [1 - (1-z)^(r+x) * 2F1(r+x, b+x; c; z)] with
    c = a+b+x-1 and z = t/(alpha+T+t); those 2F1 parameters grow with x and
    the value overflows for heavy buyers.  Euler's transformation gives
    (1-z)^(r+x) * 2F1(r+x, b+x; c; z) = (1-z)^(a-1) * 2F1(a+b-1-r, a-1; c; z):
    the first two parameters no longer depend on x and the function tends
    to 1 as x grows, so nothing overflows.

    2F1 has a pole at c = 0, reachable by one-time buyers when a + b <= 1,
    although c * 2F1(..; c; z) is finite there.  For small c, Gauss'
    contiguous relation (DLMF 15.5.18) rewrites c * 2F1(c) through 2F1(c+1)
    and 2F1(c+2), whose third parameter is safely positive.
    """
    z = t / (alpha + T + t)
    c = a + b + x - 1.0
    h_a, h_b = a + b - 1.0 - r, a - 1.0
    with np.errstate(all="ignore"):
        c_hyp = c * special.hyp2f1(h_a, h_b, c, z)
        small = c < _MIN_DIRECT_C
        if np.any(small):
            cs, zs = c[small], z[small]
            c_hyp[small] = (
                (cs - (2.0 * cs + 1.0 - h_a - h_b) * zs)
                * special.hyp2f1(h_a, h_b, cs + 1.0, zs)
                + (cs + 1.0 - h_a)
                * (cs + 1.0 - h_b)
                * zs
                / (cs + 1.0)
                * special.hyp2f1(h_a, h_b, cs + 2.0, zs)
            ) / (1.0 - zs)
        return (c - np.exp((a - 1.0) * np.log1p(-z)) * c_hyp) / (a - 1.0)


def _alive_expectation(r, alpha, a, b, t, x, T):
    """E[Y(t) | x, t_x, T, alive at T], finite and >= 0 for every a > 0.

    The prefactor 1/(a-1) of FHL eq. 10 blows up at a = 1 although the
    expectation does not (the bracket vanishes too): within _A_NUDGE of 1 we
    interpolate linearly between the values at 1 +/- _A_NUDGE.  For a < 1
    the formula stays valid as it is (both factors change sign).  Any
    non-finite or negative value left over is recomputed by quadrature.
    """
    if abs(a - 1.0) < _A_NUDGE:
        below = _alive_expectation_hyp(r, alpha, 1.0 - _A_NUDGE, b, t, x, T)
        above = _alive_expectation_hyp(r, alpha, 1.0 + _A_NUDGE, b, t, x, T)
        share = (a - 1.0 + _A_NUDGE) / (2.0 * _A_NUDGE)
        value = below + share * (above - below)
    else:
        value = _alive_expectation_hyp(r, alpha, a, b, t, x, T)
    bad = ~np.isfinite(value) | (value < -1e-9 * (1.0 + t))
    if np.any(bad):
        keys = np.column_stack([x[bad], T[bad], t[bad]])
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        redone = np.array(
            [
                _alive_expectation_quad(r, alpha, a, b, tt, xx, TT)
                for xx, TT, tt in unique
            ]
        )
        value[bad] = redone[inverse.ravel()]
    return np.maximum(value, 0.0)


def bgnbd_expected_purchases(r, alpha, a, b, t, x, t_x, T, one_time_correction=True):
    """Expected repeat purchases in (T, T + t] given the history (FHL eq. 10).

    FHL eq. 10 is P(alive) times the expectation for a customer known to be
    alive.  With ``one_time_correction`` the one-time buyers' P(alive) is the
    MBG/NBD value of ``bgnbd_prob_alive`` instead of BG/NBD's 1, so the two
    outputs always agree (expected purchases = P(alive) * E[Y | alive]).
    Results are finite and >= 0 for every a > 0, including a <= 1 (see
    ``_alive_expectation``).
    """
    _check_positive(r=r, alpha=alpha, a=a, b=b)
    x, t_x, T = _check_rfm(x, t_x, T)
    t = _horizon(t, len(x))
    alive = _prob_alive(r, alpha, a, b, x, t_x, T, one_time_correction)
    return _alive_expectation(r, alpha, a, b, t, x, T) * alive


def bgnbd_expected_purchases_new(r, alpha, a, b, t):
    """Unconditional E[X(t)] for a customer who just made a first purchase.

    FHL eq. 9, a sanity anchor: the population-level purchase curve the fit
    implies, to be compared with observed averages.  It is eq. 10 with x = 0,
    T = 0 and P(alive) = 1, and is computed that way.
    """
    _check_positive(r=r, alpha=alpha, a=a, b=b)
    scalar = np.ndim(t) == 0
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t must be finite and non-negative")
    zeros = np.zeros_like(t)
    value = _alive_expectation(r, alpha, a, b, t, zeros, zeros)
    return float(value[0]) if scalar else value


# --------------------------------------------------------------------------
# Gamma-Gamma spend model


def _check_spend(x, m, allow_empty=True):
    x = _as_float(x, "x")
    m = _as_float(m, "m")
    if len(x) != len(m):
        raise ValueError(f"x and m must have equal lengths (got {len(x)} and {len(m)})")
    if not allow_empty and len(x) == 0:
        raise ValueError("no customers given: x and m are empty")
    if np.any(x < 0):
        raise ValueError("x must be non-negative")
    return x, m


def _gg_ll_terms(p, q, gamma, x, m, gradient=False, x_groups=None):
    """Log-density of a customer's mean spend m over x purchases.

    Spend per purchase ~ Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers,
    so m | nu ~ Gamma(px, nux); integrating nu out gives the closed form below.
    """
    px = p * x
    log_m, log_x = np.log(m), np.log(x)
    log_gmx = np.log(gamma + m * x)
    ll = (
        _by_x(
            lambda v: special.gammaln(p * v + q) - special.gammaln(p * v), x, x_groups
        )
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * log_m
        + px * log_x
        - (px + q) * log_gmx
    )
    if not gradient:
        return ll
    psi_pxq = _by_x(lambda v: special.digamma(p * v + q), x, x_groups)
    psi_px = _by_x(lambda v: special.digamma(p * v), x, x_groups)
    d_p = x * (psi_pxq - psi_px + log_m + log_x - log_gmx)
    d_q = psi_pxq - special.digamma(q) + np.log(gamma) - log_gmx
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    return ll, np.stack([d_p, d_q, d_gamma])


def gamma_gamma_log_likelihood(p, q, gamma, x, m):
    """Per-customer Gamma-Gamma log-likelihood for customers with x >= 1, m > 0.

    Rows outside that domain have no spend information; they get NaN so that
    a caller summing them notices instead of silently counting zeros.
    """
    _check_positive(p=p, q=q, gamma=gamma)
    x, m = _check_spend(x, m)
    usable = (x >= 1) & (m > 0)
    with np.errstate(all="ignore"):
        ll = _gg_ll_terms(p, q, gamma, x, np.where(usable, m, 1.0))
    return np.where(usable, ll, np.nan)


def fit_gamma_gamma(x, m, initial=(1.0, 1.0, 1.0)):
    """Maximum-likelihood Gamma-Gamma parameters (p, q, gamma).

    Only customers with at least one repeat purchase and a positive mean
    repeat spend carry information; the others are ignored and
    ``customers`` counts the rows actually used.  Like ``fit_bgnbd`` this
    never raises on a poor optimisation (``converged=False``), only on
    unusable input.
    """
    x, m = _check_spend(x, m, allow_empty=False)
    usable = (x >= 1) & (m > 0)
    if not np.any(usable):
        raise ValueError("no customer has a repeat purchase with positive spend")
    (ux, um), weights = _compress(x[usable], m[usable])
    total = weights.sum()
    x_groups = np.unique(ux, return_inverse=True)

    def objective(phi, gradient):
        theta = np.exp(phi)
        with np.errstate(all="ignore"):
            if not gradient:
                ll = _gg_ll_terms(*theta, ux, um, x_groups=x_groups)
                value = -np.dot(weights, ll) / total
                return value if np.isfinite(value) else np.inf
            ll, grad = _gg_ll_terms(*theta, ux, um, gradient=True, x_groups=x_groups)
            value = -np.dot(weights, ll) / total
            grad = -(grad @ weights) / total * theta
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(phi)
        return value, grad

    params, converged, _ = _maximise(objective, initial, ("p", "q", "gamma"))
    with np.errstate(all="ignore"):
        ll = float(np.dot(weights, _gg_ll_terms(*params.values(), ux, um)))
    return {
        **params,
        "log_likelihood": ll,
        "converged": converged and math.isfinite(ll),
        "customers": int(usable.sum()),
    }


def gamma_gamma_expected_spend(p, q, gamma, x, m):
    """Posterior mean spend per purchase, E(M | x, m).

    A credibility-weighted average of the population mean pgamma/(q-1) and the
    customer's own mean m; the weight on m, px/(px+q-1), grows with x.
    Customers without spend history (x = 0 or m <= 0) get the population
    mean.  That mean is infinite when q <= 1; then customers with history get
    their own m and the others NaN, which the caller must handle (such a fit
    should not be used anyway).
    """
    _check_positive(p=p, q=q, gamma=gamma)
    x, m = _check_spend(x, m)
    usable = (x >= 1) & (m > 0)
    if q <= 1:
        return np.where(usable, m, np.nan)
    population = p * gamma / (q - 1.0)
    px = p * x
    weight = px / (px + q - 1.0)
    return np.where(usable, (1.0 - weight) * population + weight * m, population)


# --------------------------------------------------------------------------
# fallback and diagnostics


def heuristic_predictions(x, t_x, T, t, m, population_mean=None):
    """Model-free predictions for customer bases too small for a stable fit.

    Documented rule:

    * purchase rate = (x + 1) / max(T, 1) purchases per time unit (the first
      purchase counts, so one-time buyers get 1/T);
    * prob_alive = exp(-(T - t_x) * rate), clipped to [0, 1]: the chance that
      a memoryless (Poisson) buyer with that rate stays silent as long as this
      customer has;
    * expected_purchases = prob_alive * rate * t;
    * expected_spend = m where m > 0, otherwise ``population_mean``, or when
      that is None the mean of the positive m values (0.0 if there is none,
      i.e. no spend information at all).
    """
    x, t_x, T = _check_rfm(x, t_x, T)
    t = _horizon(t, len(x))
    m = _as_float(m, "m")
    if len(m) != len(x):
        raise ValueError("m must have one value per customer")
    rate = (x + 1.0) / np.maximum(T, 1.0)
    prob_alive = np.clip(np.exp(-(T - t_x) * rate), 0.0, 1.0)
    if population_mean is None:
        positive = m[m > 0]
        population_mean = float(positive.mean()) if len(positive) else 0.0
    return {
        "prob_alive": prob_alive,
        "expected_purchases": prob_alive * rate * t,
        "expected_spend": np.where(m > 0, m, float(population_mean)),
    }


def fit_is_stable(bgnbd_result):
    """Whether a fit result may be used instead of the heuristic fallback.

    It must have converged, every parameter must be finite and inside
    (1e-4, 1e4) (estimates at the edge mean the likelihood is flat there),
    and it must rest on at least MIN_CUSTOMERS customers.  A Gamma-Gamma
    result (recognised by its "p" key) is accepted as well and then needs
    MIN_REPEAT_CUSTOMERS customers.
    """
    if not bgnbd_result or not bgnbd_result.get("converged"):
        return False
    if "p" in bgnbd_result:
        names, minimum = ("p", "q", "gamma"), MIN_REPEAT_CUSTOMERS
    else:
        names, minimum = ("r", "alpha", "a", "b"), MIN_CUSTOMERS
    low, high = _STABLE_RANGE
    for name in names:
        value = bgnbd_result.get(name)
        if value is None or not math.isfinite(value) or not low < value < high:
            return False
    return bgnbd_result.get("customers", 0) >= minimum


# --------------------------------------------------------------------------
# simulation


def simulate_bgnbd(r, alpha, a, b, T, n, seed):
    """Draw (x, t_x, T) for n customers from the BG/NBD generative story.

    lam ~ Gamma(r, scale 1/alpha), p ~ Beta(a, b); repeat purchases follow a
    Poisson process of rate lam from the (uncounted) first purchase at 0, and
    after each repeat purchase the customer leaves with probability p.  So
    the number of repeat purchases a customer will ever make is
    Geometric(p) on {1, 2, ...}, x is the smaller of that and the Poisson
    count in (0, T], and t_x is the x-th of the Poisson count's uniform
    arrival times, a Beta order statistic.  Fully vectorised and
    deterministic for a seed.
    """
    _check_positive(r=r, alpha=alpha, a=a, b=b)
    n = int(n)
    if n < 0:
        raise ValueError("n must be non-negative")
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(T)) or np.any(T < 0):
        raise ValueError("T must be finite and non-negative")
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, size=n)
    p = np.clip(rng.beta(a, b, size=n), 1e-12, 1.0)
    purchases_before_dropout = rng.geometric(p)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(purchases_before_dropout, arrivals)
    repeat = x > 0
    order = rng.beta(np.where(repeat, x, 1), np.where(repeat, arrivals - x + 1, 1))
    t_x = np.where(repeat, T * order, 0.0)
    return x.astype(np.int64), t_x, T
