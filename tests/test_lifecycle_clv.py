"""Tests for crm_lifecycle/tools/clv.py (BG/NBD + Gamma-Gamma).

The reference values come from Fader, Hardie & Lee (2005) for CDNOW; the
other checks compare the closed forms with independent evaluations (direct
likelihood products, numerical integration over the latent parameters,
simulation from the generative story).  Tolerances are explained where they
are not simply floating-point noise.
"""

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

# CDNOW estimates, time unit = weeks (FHL 2005, Fader & Hardie 2013).
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
TRUE = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5}


@pytest.fixture(scope="module")
def clv(lifecycle_tools):
    return lifecycle_tools.clv


@pytest.fixture(scope="module")
def recovery_sample(clv):
    """20,000 customers from known BG/NBD parameters, T uniform in 30..90."""
    T = np.random.default_rng(2024).uniform(30, 90, 20_000)
    return clv.simulate_bgnbd(**TRUE, T=T, n=20_000, seed=7)


def brute_force_expectation(r, alpha, a, b, t, x, t_x, T):
    """E[Y(t) | x, t_x, T] straight from the generative story.

    Bayes over (lambda, p): the data are "alive at T" with weight
    (1-p)^x lambda^x e^(-lambda T), or "left at t_x" with weight
    p (1-p)^(x-1) lambda^x e^(-lambda t_x); an alive customer then buys
    (1 - e^(-lambda p t)) / p times in expectation.  The lambda integrals
    are plain Gamma integrals (their common factor cancels); p is
    integrated numerically against the Beta prior.  No hypergeometric
    function, no FHL algebra.
    """
    prior = stats.beta(a, b).pdf
    s = r + x

    def alive(p):
        return (1 - p) ** x * (alpha + T) ** -s * prior(p)

    def left(p):
        return p * (1 - p) ** (x - 1) * (alpha + t_x) ** -s * prior(p)

    def future(p):
        gain = (alpha + T) ** -s - (alpha + T + p * t) ** -s
        return (1 - p) ** x * gain / p * prior(p)

    def integral(func):
        return integrate.quad(func, 0, 1, limit=400, epsabs=0, epsrel=1e-10)[0]

    evidence = integral(alive) + (integral(left) if x > 0 else 0.0)
    return integral(future) / evidence


def simulate_with_holdout(r, alpha, a, b, T, t, n, seed):
    """Calibration summary plus the true number of purchases in (T, T+t]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    lifetime_purchases = rng.geometric(p)
    in_calibration = rng.poisson(lam * T)
    in_holdout = rng.poisson(lam * t)
    x = np.minimum(lifetime_purchases, in_calibration)
    repeat = x > 0
    order = rng.beta(
        np.where(repeat, x, 1), np.where(repeat, in_calibration - x + 1, 1)
    )
    t_x = np.where(repeat, T * order, 0.0)
    still_alive = lifetime_purchases > in_calibration
    holdout = np.where(
        still_alive, np.minimum(lifetime_purchases - in_calibration, in_holdout), 0
    )
    return x, t_x, np.full(n, float(T)), holdout


# ---------------------------------------------------------------- reference


def test_cdnow_published_conditional_expectation(clv):
    # FHL 2005: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in 39 weeks
    for correction in (False, True):  # x > 0: the correction must not matter
        value = clv.bgnbd_expected_purchases(
            **CDNOW, t=39, x=[2], t_x=[30.43], T=[38.86], one_time_correction=correction
        )
        assert value[0] == pytest.approx(1.226, abs=2e-3)


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [(2, 30.43, 38.86, 39), (0, 0, 38.86, 39), (1, 5.0, 20.0, 10), (7, 36.0, 38.0, 52)],
)
def test_conditional_expectation_matches_brute_force(clv, x, t_x, T, t):
    expected = brute_force_expectation(**CDNOW, t=t, x=x, t_x=t_x, T=T)
    value = clv.bgnbd_expected_purchases(
        **CDNOW, t=t, x=[x], t_x=[t_x], T=[T], one_time_correction=False
    )
    # both sides are accurate to ~1e-9; 1e-6 leaves room for quadrature noise
    assert value[0] == pytest.approx(expected, rel=1e-6)


def test_unconditional_expectation_matches_simulation(clv):
    n = 400_000
    x, _, _ = clv.simulate_bgnbd(**CDNOW, T=39, n=n, seed=11)
    expected = clv.bgnbd_expected_purchases_new(**CDNOW, t=39)
    assert isinstance(expected, float)
    standard_error = x.std() / math.sqrt(n)
    print(
        f"E[X(39)] = {expected:.4f}, simulated {x.mean():.4f} +/- {standard_error:.4f}"
    )
    assert abs(x.mean() - expected) < 4 * standard_error
    assert x.mean() == pytest.approx(expected, rel=0.03)


def test_unconditional_is_conditional_for_a_fresh_customer(clv):
    # a customer seen at T = 0 with no repeat purchase, under plain BG/NBD
    fresh = clv.bgnbd_expected_purchases(
        **CDNOW, t=39, x=[0], t_x=[0], T=[0], one_time_correction=False
    )
    assert fresh[0] == pytest.approx(clv.bgnbd_expected_purchases_new(**CDNOW, t=39))
    curve = clv.bgnbd_expected_purchases_new(**CDNOW, t=[0.0, 13.0, 39.0, 78.0])
    assert curve[0] == 0
    assert np.all(np.diff(curve) > 0)


def test_conditional_expectation_matches_simulated_holdout(clv):
    """Predictions at the true parameters must match what simulated customers do.

    Summed over many customers the prediction error has mean zero; the
    z-score bound of 4 fails with probability ~1e-4 when the maths is right
    and reliably when P(alive) or eq. 10 is off by a few percent.
    """
    x, t_x, T, holdout = simulate_with_holdout(**TRUE, T=52, t=52, n=200_000, seed=3)
    predicted = clv.bgnbd_expected_purchases(
        **TRUE, t=52, x=x, t_x=t_x, T=T, one_time_correction=False
    )
    for group in (x == 0, (x >= 1) & (x <= 2), x >= 3):
        error = holdout[group] - predicted[group]
        z = error.sum() / (error.std() * math.sqrt(group.sum()))
        assert abs(z) < 4, (group.sum(), holdout[group].sum(), predicted[group].sum())


def test_cdnow_gamma_gamma_population_mean_and_shrinkage(clv):
    population = clv.gamma_gamma_expected_spend(**CDNOW_GG, x=[0], m=[0])[0]
    assert population == pytest.approx(6.25 * 15.44 / 2.74)
    assert population == pytest.approx(35.22, abs=0.01)
    for m in (10.0, 80.0):
        counts = np.array([1, 2, 5, 20, 200])
        spend = clv.gamma_gamma_expected_spend(**CDNOW_GG, x=counts, m=np.full(5, m))
        low, high = sorted((population, m))
        assert np.all((spend > low) & (spend < high))
        distance = np.abs(spend - m)
        assert np.all(np.diff(distance) < 0)  # moves toward m as x grows
        assert distance[-1] < 0.01 * abs(population - m)


def test_gamma_gamma_expected_spend_is_the_posterior_mean(clv):
    # nu | x, m ~ Gamma(q + px, rate gamma + m x) and E[z | nu] = p / nu
    p, q, gamma = CDNOW_GG.values()
    x, m = np.array([1, 4, 12]), np.array([20.0, 55.0, 31.0])
    spend = clv.gamma_gamma_expected_spend(p, q, gamma, x, m)
    assert spend == pytest.approx(p * (gamma + m * x) / (q + p * x - 1), rel=1e-12)


def test_gamma_gamma_expected_spend_edge_cases(clv):
    spend = clv.gamma_gamma_expected_spend(**CDNOW_GG, x=[0, 3, 3], m=[50.0, -5.0, 0.0])
    assert np.allclose(spend, 6.25 * 15.44 / 2.74)
    # q <= 1: the population mean is infinite; own mean where known, else nan
    spend = clv.gamma_gamma_expected_spend(6.25, 0.9, 15.44, x=[3, 0], m=[20.0, 0.0])
    assert spend[0] == 20.0
    assert np.isnan(spend[1])


# ----------------------------------------------------------- likelihoods


@pytest.mark.parametrize(
    ("x", "t_x", "T"), [(0, 0.0, 5.0), (1, 2.0, 5.0), (3, 4.5, 6.0), (2, 1.0, 1.0)]
)
def test_bgnbd_log_likelihood_matches_direct_formula(clv, x, t_x, T):
    r, alpha, a, b = 0.7, 3.0, 1.2, 2.5
    # FHL eq. 6 evaluated literally, without logs
    nbd = special.gamma(r + x) * alpha**r / special.gamma(r)
    likelihood = (
        special.beta(a, b + x) / special.beta(a, b) * nbd / (alpha + T) ** (r + x)
    )
    if x > 0:
        likelihood += (
            special.beta(a + 1, b + x - 1)
            / special.beta(a, b)
            * nbd
            / (alpha + t_x) ** (r + x)
        )
    ll = clv.bgnbd_log_likelihood(r, alpha, a, b, [x], [t_x], [T])
    assert ll[0] == pytest.approx(math.log(likelihood), rel=1e-12)


def test_bgnbd_log_likelihood_stays_finite_for_heavy_buyers(clv):
    ll = clv.bgnbd_log_likelihood(
        **CDNOW, x=[2000, 0], t_x=[5000.0, 0], T=[5000.0, 1e6]
    )
    assert np.all(np.isfinite(ll))


@pytest.mark.parametrize(("x", "m"), [(1, 12.0), (3, 40.0), (10, 25.5)])
def test_gamma_gamma_log_likelihood_matches_direct_density(clv, x, m):
    p, q, gamma = CDNOW_GG.values()

    # m | nu ~ Gamma(px, rate nu x) (mean of x spends), nu ~ Gamma(q, rate gamma)
    def joint(nu):
        return stats.gamma.pdf(m, p * x, scale=1 / (nu * x)) * stats.gamma.pdf(
            nu, q, scale=1 / gamma
        )

    density = integrate.quad(joint, 0, np.inf, epsabs=0, epsrel=1e-11, limit=200)[0]
    ll = clv.gamma_gamma_log_likelihood(p, q, gamma, [x], [m])
    assert ll[0] == pytest.approx(math.log(density), rel=1e-8)


def test_gamma_gamma_log_likelihood_marks_rows_without_spend(clv):
    ll = clv.gamma_gamma_log_likelihood(**CDNOW_GG, x=[0, 2, 2], m=[10.0, 0.0, 10.0])
    assert np.isnan(ll[0])
    assert np.isnan(ll[1])
    assert np.isfinite(ll[2])


def test_analytic_gradients_match_finite_differences(clv):
    # the fits rely on these gradients; a wrong one silently stops L-BFGS-B early
    x, t_x, T = clv.simulate_bgnbd(**TRUE, T=60.0, n=200, seed=5)
    x = x.astype(float)
    theta = np.array([0.7, 8.0, 1.3, 2.0])
    _, gradient = clv._bgnbd_ll_terms(*theta, x, t_x, T, gradient=True)
    numeric = [
        (
            clv._bgnbd_ll_terms(*(theta + step), x, t_x, T).sum()
            - clv._bgnbd_ll_terms(*(theta - step), x, t_x, T).sum()
        )
        / (2e-6 * theta[i])
        for i, step in enumerate(np.diag(1e-6 * theta))
    ]
    assert gradient.sum(axis=1) == pytest.approx(numeric, rel=1e-5)

    xs, ms = np.array([1.0, 2.0, 5.0]), np.array([10.0, 30.0, 22.0])
    theta = np.array([6.0, 3.0, 15.0])
    _, gradient = clv._gg_ll_terms(*theta, xs, ms, gradient=True)
    numeric = [
        (
            clv._gg_ll_terms(*(theta + step), xs, ms).sum()
            - clv._gg_ll_terms(*(theta - step), xs, ms).sum()
        )
        / (2e-6 * theta[i])
        for i, step in enumerate(np.diag(1e-6 * theta))
    ]
    assert gradient.sum(axis=1) == pytest.approx(numeric, rel=1e-5)


# ------------------------------------------------------------------ fitting


def test_fit_bgnbd_recovers_parameters(clv, recovery_sample):
    """Tolerances from 30 replications of this design (20k customers each).

    Relative standard deviations were r 1.4%, alpha 2.1%, a 6.6%, b 8.2% and
    a/(a+b) (the mean dropout probability) 2.2%, with no visible bias.  The
    bounds below are about four standard deviations, so they catch a broken
    likelihood or optimiser without flaking on sampling noise: a and b are
    individually weakly identified, their ratio is not.
    """
    x, t_x, T = recovery_sample
    fit = clv.fit_bgnbd(x, t_x, T)
    assert fit["converged"]
    assert fit["customers"] == 20_000
    assert set(fit) == {
        "r",
        "alpha",
        "a",
        "b",
        "log_likelihood",
        "converged",
        "iterations",
        "customers",
    }
    assert fit["r"] == pytest.approx(TRUE["r"], rel=0.07)
    assert fit["alpha"] == pytest.approx(TRUE["alpha"], rel=0.09)
    assert fit["a"] == pytest.approx(TRUE["a"], rel=0.25)
    assert fit["b"] == pytest.approx(TRUE["b"], rel=0.30)
    dropout = fit["a"] / (fit["a"] + fit["b"])
    assert dropout == pytest.approx(0.8 / 3.3, rel=0.09)
    at_truth = clv.bgnbd_log_likelihood(**TRUE, x=x, t_x=t_x, T=T).sum()
    assert fit["log_likelihood"] >= at_truth
    params = {k: fit[k] for k in ("r", "alpha", "a", "b")}
    at_fit = clv.bgnbd_log_likelihood(**params, x=x, t_x=t_x, T=T).sum()
    assert fit["log_likelihood"] == pytest.approx(at_fit, rel=1e-12)
    assert clv.fit_is_stable(fit)


def test_fit_bgnbd_weights_duplicates_like_repeated_rows(clv, recovery_sample):
    x, t_x, T = (column[:3000] for column in recovery_sample)
    once = clv.fit_bgnbd(x, t_x, T)
    thrice = clv.fit_bgnbd(np.tile(x, 3), np.tile(t_x, 3), np.tile(T, 3))
    for name in ("r", "alpha", "a", "b"):
        assert thrice[name] == pytest.approx(once[name], rel=1e-4)
    assert thrice["log_likelihood"] == pytest.approx(3 * once["log_likelihood"])
    assert thrice["customers"] == 9000


def test_fit_bgnbd_penalizer_shrinks_parameters(clv, recovery_sample):
    x, t_x, T = (column[:3000] for column in recovery_sample)
    names = ("r", "alpha", "a", "b")
    free = clv.fit_bgnbd(x, t_x, T)
    shrunk = clv.fit_bgnbd(x, t_x, T, penalizer=0.01)
    assert sum(shrunk[n] ** 2 for n in names) < sum(free[n] ** 2 for n in names)
    assert shrunk["log_likelihood"] <= free["log_likelihood"]


def test_fit_bgnbd_degenerate_data_does_not_raise(clv):
    # nobody ever came back: (a, b) are unidentified and r runs to zero
    fit = clv.fit_bgnbd(np.zeros(200), np.zeros(200), np.linspace(1, 100, 200))
    assert isinstance(fit["converged"], bool)
    assert not clv.fit_is_stable(fit)


def test_fit_gamma_gamma_recovers_parameters(clv):
    """Spends drawn one by one: z_ij ~ Gamma(p, scale 1/nu), nu ~ Gamma(q, 1/gamma).

    Over 30 replications (20k repeat customers, x ~ 1 + Poisson(2)) the
    relative standard deviations were p 4.9%, q 1.6%, gamma 6.5% and the
    population mean p gamma/(q-1) 0.5%; bounds are about four of them.
    """
    p, q, gamma = CDNOW_GG.values()
    rng = np.random.default_rng(42)
    n = 20_000
    x = 1 + rng.poisson(2.0, n)
    nu = rng.gamma(q, 1 / gamma, n)
    spends = rng.gamma(p, 1 / np.repeat(nu, x))
    m = np.add.reduceat(spends, np.concatenate([[0], np.cumsum(x)[:-1]])) / x
    # customers without repeat purchases or with refunds are ignored
    x_all = np.concatenate([x, [0, 0, 3]])
    m_all = np.concatenate([m, [25.0, 0.0, -10.0]])
    fit = clv.fit_gamma_gamma(x_all, m_all)
    assert fit["converged"]
    assert fit["customers"] == n
    assert set(fit) == {"p", "q", "gamma", "log_likelihood", "converged", "customers"}
    assert fit["p"] == pytest.approx(p, rel=0.20)
    assert fit["q"] == pytest.approx(q, rel=0.07)
    assert fit["gamma"] == pytest.approx(gamma, rel=0.25)
    mean = fit["p"] * fit["gamma"] / (fit["q"] - 1)
    assert mean == pytest.approx(p * gamma / (q - 1), rel=0.03)
    at_truth = clv.gamma_gamma_log_likelihood(p, q, gamma, x, m).sum()
    assert fit["log_likelihood"] >= at_truth
    assert clv.fit_is_stable(fit)


def test_fit_200k_customers_runs(clv):
    """A fit on 200,000 customers converges and predicts for all of them.
    Its time is measured by tests/benchmarks/bench_clv_fit.py."""
    T = np.random.default_rng(1).uniform(30, 90, 200_000)
    x, t_x, T = clv.simulate_bgnbd(**TRUE, T=T, n=200_000, seed=1)
    fit = clv.fit_bgnbd(x, t_x, T)
    assert fit["converged"]
    expected = clv.bgnbd_expected_purchases(
        fit["r"], fit["alpha"], fit["a"], fit["b"], 52, x, t_x, T
    )
    assert expected.shape == (200_000,)
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)


# --------------------------------------------------------------- prob alive


def test_prob_alive_one_time_buyers(clv):
    T = np.array([1.0, 10.0, 100.0])
    plain = clv.bgnbd_prob_alive(
        **CDNOW, x=np.zeros(3), t_x=np.zeros(3), T=T, one_time_correction=False
    )
    assert np.all(plain == 1.0)  # BG/NBD's known flaw
    corrected = clv.bgnbd_prob_alive(**CDNOW, x=np.zeros(3), t_x=np.zeros(3), T=T)
    r, alpha, a, b = CDNOW.values()
    expected = 1 / (1 + a / b * ((alpha + T) / alpha) ** r)
    assert corrected == pytest.approx(expected, rel=1e-12)
    assert np.all(corrected < 1)
    assert np.all(np.diff(corrected) < 0)


def test_prob_alive_matches_formula_and_decreases_with_silence(clv):
    r, alpha, a, b = CDNOW.values()
    T = np.array([10.0, 20.0, 40.0, 80.0, 160.0])
    x, t_x = np.full(5, 3.0), np.full(5, 8.0)
    alive = clv.bgnbd_prob_alive(r, alpha, a, b, x, t_x, T)
    expected = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert alive == pytest.approx(expected, rel=1e-12)
    assert np.all(np.diff(alive) < 0)
    assert np.all((alive >= 0) & (alive <= 1))


def test_prob_alive_extremes_do_not_overflow(clv):
    with np.errstate(all="raise"):
        alive = clv.bgnbd_prob_alive(
            **CDNOW, x=[5000, 0, 1], t_x=[1.0, 0.0, 1e6], T=[1e6, 1e9, 1e6]
        )
    assert alive[0] == 0.0
    assert 0 < alive[1] < 0.05
    assert 0 < alive[2] <= 1


# -------------------------------------------------------- expected purchases


def test_expected_purchases_non_negative_and_growing_in_t(clv):
    x, t_x, T = clv.simulate_bgnbd(**CDNOW, T=52.0, n=2000, seed=9)
    previous = np.zeros(len(x))
    for t in (0.0, 1.0, 13.0, 52.0, 520.0):
        value = clv.bgnbd_expected_purchases(**CDNOW, t=t, x=x, t_x=t_x, T=T)
        assert np.all(np.isfinite(value))
        assert np.all(value >= 0)
        assert np.all(value >= previous)
        previous = value
    assert np.all(previous > 0)


def test_expected_purchases_consistent_with_corrected_prob_alive(clv):
    x, t_x, T = np.zeros(3), np.zeros(3), np.array([1.0, 20.0, 60.0])
    plain = clv.bgnbd_expected_purchases(
        **CDNOW, t=39, x=x, t_x=t_x, T=T, one_time_correction=False
    )
    corrected = clv.bgnbd_expected_purchases(**CDNOW, t=39, x=x, t_x=t_x, T=T)
    alive = clv.bgnbd_prob_alive(**CDNOW, x=x, t_x=t_x, T=T)
    assert corrected == pytest.approx(plain * alive, rel=1e-12)


def test_expected_purchases_accepts_one_horizon_per_customer(clv):
    both = clv.bgnbd_expected_purchases(
        **CDNOW, t=[13.0, 39.0], x=[2, 2], t_x=[30.43, 30.43], T=[38.86, 38.86]
    )
    single = clv.bgnbd_expected_purchases(
        **CDNOW, t=39.0, x=[2], t_x=[30.43], T=[38.86]
    )
    assert both[1] == pytest.approx(single[0])
    assert both[0] < both[1]


def test_expected_purchases_when_a_is_one_or_small(clv):
    customers = {"x": [0, 2, 9], "t_x": [0.0, 30.0, 35.0], "T": [38.0, 38.0, 38.0]}
    base = {"r": 0.5, "alpha": 10.0, "b": 2.5}
    # a = 1 exactly: FHL eq. 10 reads 0/0; the result must be continuous in a
    at_one = clv.bgnbd_expected_purchases(**base, a=1.0, t=52, **customers)
    below = clv.bgnbd_expected_purchases(**base, a=1.0 - 1e-4, t=52, **customers)
    above = clv.bgnbd_expected_purchases(**base, a=1.0 + 1e-4, t=52, **customers)
    assert np.all(np.isfinite(at_one))
    assert at_one == pytest.approx((below + above) / 2, rel=1e-6)
    for x, t_x, T in zip(*customers.values(), strict=True):
        exact = brute_force_expectation(**base, a=1.0, t=52, x=x, t_x=t_x, T=T)
        value = clv.bgnbd_expected_purchases(
            **base, a=1.0, t=52, x=[x], t_x=[t_x], T=[T], one_time_correction=False
        )
        assert value[0] == pytest.approx(exact, rel=1e-6)
    # a + b <= 1.5: 2F1's third parameter a+b-1 is near or below its pole at 0
    # for one-time buyers; the contiguous relation must handle it by itself
    # (checked on the private closed form, before any quadrature safety net)
    for b in (0.3, 0.7):
        small = {"r": 0.5, "alpha": 10.0, "a": 0.6, "b": b}
        exact = brute_force_expectation(**small, t=52, x=0, t_x=0, T=38.0)
        closed = clv._alive_expectation_hyp(
            *small.values(), t=np.array([52.0]), x=np.zeros(1), T=np.array([38.0])
        )
        assert closed[0] == pytest.approx(exact, rel=1e-6)
        value = clv.bgnbd_expected_purchases(
            **small, t=52, x=[0], t_x=[0], T=[38.0], one_time_correction=False
        )
        assert value[0] == pytest.approx(exact, rel=1e-6)
        assert clv.bgnbd_expected_purchases_new(**small, t=52) > 0


# -------------------------------------------------------------- simulation


def test_simulation_is_deterministic_and_consistent(clv):
    first = clv.simulate_bgnbd(**TRUE, T=[30.0, 60.0, 90.0] * 100, n=300, seed=4)
    second = clv.simulate_bgnbd(**TRUE, T=[30.0, 60.0, 90.0] * 100, n=300, seed=4)
    for left, right in zip(first, second, strict=True):
        assert np.array_equal(left, right)
    x, t_x, T = first
    assert np.all(x >= 0)
    assert np.all((t_x >= 0) & (t_x <= T))
    assert np.all(t_x[x == 0] == 0)
    assert np.all(t_x[x > 0] > 0)
    other = clv.simulate_bgnbd(**TRUE, T=60.0, n=300, seed=5)[0]
    assert not np.array_equal(other, x)


# ------------------------------------------------------------------- errors


def test_invalid_input_raises(clv):
    with pytest.raises(ValueError, match="empty"):
        clv.fit_bgnbd([], [], [])
    with pytest.raises(ValueError, match="t_x"):
        clv.fit_bgnbd([1, 2], [5.0, 12.0], [10.0, 10.0])
    with pytest.raises(ValueError, match="t_x"):
        clv.bgnbd_prob_alive(**CDNOW, x=[1], t_x=[5.0], T=[4.0])
    with pytest.raises(ValueError, match="non-negative"):
        clv.fit_bgnbd([-1, 2], [0.0, 3.0], [5.0, 5.0])
    with pytest.raises(ValueError, match="equal lengths"):
        clv.fit_bgnbd([1, 2], [1.0], [5.0, 5.0])
    with pytest.raises(ValueError, match="NaN"):
        clv.fit_bgnbd([1.0], [np.nan], [5.0])
    with pytest.raises(ValueError, match="empty"):
        clv.fit_gamma_gamma([], [])
    with pytest.raises(ValueError, match="repeat purchase"):
        clv.fit_gamma_gamma([0, 0, 2], [10.0, 5.0, 0.0])
    with pytest.raises(ValueError, match="non-negative"):
        clv.fit_gamma_gamma([-2, 1], [10.0, 5.0])
    with pytest.raises(ValueError, match="positive"):
        clv.bgnbd_log_likelihood(0.0, 1.0, 1.0, 1.0, [1], [1.0], [2.0])


# ------------------------------------------------------ heuristic & stability


def test_heuristic_predictions(clv):
    x = np.array([0, 0, 3, 3, 10])
    t_x = np.array([0.0, 0.0, 50.0, 10.0, 99.0])
    T = np.array([10.0, 0.5, 60.0, 60.0, 100.0])
    m = np.array([0.0, 20.0, 30.0, -4.0, 50.0])
    out = clv.heuristic_predictions(x, t_x, T, t=30, m=m)
    assert set(out) == {"prob_alive", "expected_purchases", "expected_spend"}
    assert all(values.shape == (5,) for values in out.values())
    rate = (x + 1) / np.maximum(T, 1)
    alive = np.exp(-(T - t_x) * rate)
    assert out["prob_alive"] == pytest.approx(alive)
    assert out["prob_alive"][0] == pytest.approx(math.exp(-1))  # one-time buyer
    assert np.all((out["prob_alive"] >= 0) & (out["prob_alive"] <= 1))
    assert out["expected_purchases"] == pytest.approx(alive * rate * 30)
    assert np.all(out["expected_purchases"] >= 0)
    assert out["expected_spend"] == pytest.approx([100 / 3, 20, 30, 100 / 3, 50])
    given = clv.heuristic_predictions(x, t_x, T, t=30, m=m, population_mean=12.0)
    assert given["expected_spend"] == pytest.approx([12, 20, 30, 12, 50])
    nothing = clv.heuristic_predictions([0], [0.0], [5.0], t=30, m=[0.0])
    assert nothing["expected_spend"][0] == 0.0


def test_fit_is_stable(clv, recovery_sample):
    assert clv.MIN_CUSTOMERS == 50
    assert clv.MIN_REPEAT_CUSTOMERS == 20
    x, t_x, T = (column[:10] for column in recovery_sample)
    tiny = clv.fit_bgnbd(x, t_x, T)
    assert not clv.fit_is_stable(tiny)
    good = {**TRUE, "log_likelihood": -1.0, "converged": True, "customers": 500}
    assert clv.fit_is_stable(good)
    assert not clv.fit_is_stable({**good, "converged": False})
    assert not clv.fit_is_stable({**good, "b": 5e4})
    assert not clv.fit_is_stable({**good, "a": float("nan")})
    assert not clv.fit_is_stable({**good, "customers": 49})
    spend = {**CDNOW_GG, "log_likelihood": -1.0, "converged": True, "customers": 20}
    assert clv.fit_is_stable(spend)
    assert not clv.fit_is_stable({**spend, "customers": 19})
