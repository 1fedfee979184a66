"""How well the churn score ranks on public data it was never tuned on: CDNOW.

    bash scripts/accuracy.sh [--horizon 90] [--keep] [--db NAME]

(``scripts/accuracy.sh`` passes the addons path; this script can also be run
directly with ``--addons-path``.) CDNOW is the record of 2,357 customers of
an online CD shop, who all bought for the first time in the first quarter of
1997, and of every purchase they made until the end of June 1998 (the
``CDNOW_sample.txt`` shipped in the ``lifetimes`` wheel, downloaded once
with ``pip download`` into ``~/.cache/crm_suite``, never installed).

The first 39 weeks (up to 1997-09-30) are the calibration period, the next
39 (1997-10-01 to 1998-06-30) the holdout. The script

1. creates a fresh database (``acc_cdnow_<time>``) and installs
   ``sale_management``, then ``crm_lifecycle,crm_loyalty,crm_churn``, without
   demo data;
2. loads the calibration purchases only, as confirmed sale orders (one per
   customer and day, untaxed amount the day's dollar value), the customers
   as companies, in bulk SQL;
3. with Odoo's today frozen at 1997-09-30, runs what the suite does on that
   day, in-process: the nightly lifecycle run (the purchase model's refit,
   the RFM cut points, every profile), the churn backtest of the company
   (which learns the weights and the calibration from two replays of the
   calibration period), then the nightly churn run that scores everyone.
   This is done for the company's shipped backtest horizon and for
   ``--horizon`` days (the main figures), each from the same profiles;
4. reads the holdout outcome from the raw data (a customer is lost when he
   bought nothing in the holdout) and measures, over every customer, the AUC
   of the stored churn score, of the purchase model's expected purchases and
   probability alive, of the score with the hand-set weights uncalibrated,
   the lift and capture of the 10% and 20% most at risk, and the calibration
   by tenths, against the backtest's horizon and against the whole holdout;
5. writes docs/ACCURACY.md, and drops the database unless ``--keep``.

Nothing here is tuned on the holdout: the horizon is chosen from the
calibration period alone (see ``HORIZON``).
"""

import argparse
import contextlib
import glob
import hashlib
import importlib.util
import os
import subprocess
import sys
import time
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

from benchlib import machine


def load_tools(addon):
    """``addons/<addon>/tools`` as a stand-alone package (as tests/conftest.py
    loads it): the figures use the suite's own functions without Odoo."""
    folder = ROOT / "addons" / addon / "tools"
    name = f"{addon}_tools"
    spec = importlib.util.spec_from_file_location(
        name, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


churn_tools = load_tools("crm_churn")
backtest = churn_tools.backtest
scoring = churn_tools.scoring

ADDONS = "crm_lifecycle,crm_loyalty,crm_churn"
WHEEL = "lifetimes==0.11.3"
MEMBER = "lifetimes/datasets/CDNOW_sample.txt"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "crm_suite"
START = date(1997, 1, 1)
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
# The backtest learns on the day ``2 * horizon`` before today and checks on
# ``horizon`` before it. Every CDNOW customer bought first in the first
# quarter of 1997 (known without looking past the calibration end), so 90
# days is the longest horizon for which the learning day (1997-04-03) has
# every customer of the cohort with a history: 91 days is the most that
# 273 days of calibration allow after the last first purchase (1997-03-31).
HORIZON = 90
REFERENCE = {
    "churn score before the backtest work": 0.748,
    "`lifecycle_expected_purchases_365` alone": 0.775,
    "reference BG/NBD fit": 0.773,
    "cross-validated logistic regression on RFM features": 0.779,
}
CHOICES = {
    "current": "the weights in force",
    "learned": "the learned weights",
    "purchase_model": "the purchase model alone (signal Few purchases expected "
    "in the next 90 days, weight 100)",
}
# Ties at the edge of the top 10% / 20% are broken by this fixed shuffle,
# not by the customers' order: CDNOW numbers customers by first purchase.
TIE_SEED = 20250101
BOOTSTRAP = 2000


def log(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------


def cdnow_text(cache=CACHE):
    """The CDNOW sample, downloaded into ``cache`` when missing."""
    target = cache / "CDNOW_sample.txt"
    if not target.exists():
        cache.mkdir(parents=True, exist_ok=True)
        wheels = glob.glob(str(cache / "[Ll]ifetimes-0.11.3-*.whl"))
        if not wheels:
            log(f"downloading {WHEEL} (the CDNOW sample) into {cache}")
            subprocess.run(
                [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps"]
                + ["--quiet", "-d", str(cache)],
                check=True,
            )
            wheels = glob.glob(str(cache / "[Ll]ifetimes-0.11.3-*.whl"))
        with zipfile.ZipFile(wheels[0]) as wheel:
            target.write_bytes(wheel.read(MEMBER))
    data = target.read_bytes()
    return data.decode("ascii"), hashlib.sha256(data).hexdigest()


def purchase_days(text):
    """``{cdnow id: {day: dollars}}``: one purchase per customer and day.

    Each line holds the customer's id in the full CDNOW file, his number in
    the sample (the same customers: one id each), the date, the number of
    CDs and the dollar value."""
    days = defaultdict(lambda: defaultdict(float))
    for line in text.splitlines():
        if not line.strip():
            continue
        master, _sample, day, _cds, dollars = line.split()
        days[master][datetime.strptime(day, "%Y%m%d").date()] += float(dollars)
    return days


def outcomes(days, customers, start, end):
    """1 for each customer who bought nothing from ``start`` to ``end``
    (included), else 0, in the order of ``customers``."""
    return np.array(
        [
            0.0 if any(start <= day <= end for day in days[cid]) else 1.0
            for cid in customers
        ]
    )


# ----------------------------------------------------------------------
# Database
# ----------------------------------------------------------------------


def psql(sql, db="postgres"):
    return subprocess.run(
        ["psql", "-d", db, "-tAc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def odoo(db, addons_path, *args):
    subprocess.run(
        [sys.executable, "-m", "odoo", "-d", db, f"--addons-path={addons_path}"]
        + ["--without-demo=all", "--stop-after-init", "--log-level=warn"]
        + ["--http-port=0", "--max-cron-threads=0", *args],
        check=True,
    )


def install(db, addons_path):
    subprocess.run(["createdb", db], check=True)
    log(f"installing sale_management in {db} (no demo data)")
    odoo(db, addons_path, "-i", "sale_management")
    log(f"installing {ADDONS}")
    odoo(db, addons_path, "-i", ADDONS)


def load_orders(db, days, until):
    """The customers (companies, ``ref`` = CDNOW id) and their purchases up
    to ``until`` as confirmed sale orders; returns ``{cdnow id: partner}``
    and the number of orders."""
    conn = psycopg2.connect(dbname=db)
    try:
        cr = conn.cursor()
        cr.execute("SELECT id, currency_id FROM res_company ORDER BY id LIMIT 1")
        company_id, currency_id = cr.fetchone()
        ids = sorted(days)
        cr.execute(
            """
            INSERT INTO res_partner (name, complete_name, ref, active, is_company,
                                     type, autopost_bills, customer_rank,
                                     create_date, write_date, create_uid, write_uid)
            SELECT 'CDNOW ' || r, 'CDNOW ' || r, r, true, true, 'contact', 'ask',
                   1, now(), now(), 1, 1
              FROM unnest(%s::varchar[]) r
            RETURNING id, ref
            """,
            (ids,),
        )
        partners = {ref: pid for pid, ref in cr.fetchall()}
        cr.execute(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
            (list(partners.values()),),
        )
        rows = [
            (f"CDNOW/{cid}/{day:%Y%m%d}", partners[cid], day, round(amount, 2))
            for cid in ids
            for day, amount in sorted(days[cid].items())
            if day <= until
        ]
        cr.execute(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                    partner_shipping_id, company_id, currency_id,
                                    state, date_order, amount_untaxed, amount_tax,
                                    amount_total, currency_rate, create_date,
                                    write_date, create_uid, write_uid)
            SELECT o.name, o.partner, o.partner, o.partner, %s, %s, 'sale',
                   o.day + time '12:00', o.amount, 0, o.amount, 1, now(), now(),
                   1, 1
              FROM unnest(%s::varchar[], %s::int[], %s::date[], %s::numeric[])
                   AS o(name, partner, day, amount)
            """,
            (company_id, currency_id, *map(list, zip(*rows, strict=True))),
        )
        conn.commit()
        cr.execute("ANALYZE res_partner; ANALYZE sale_order")
        conn.commit()
        return partners, len(rows)
    finally:
        conn.close()


@contextlib.contextmanager
def odoo_env(db, addons_path):
    """A superuser environment on ``db``; committed at the end unless the
    block raises, and the database's connections closed."""
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.tools import config

    config.parse_config(["--addons-path", addons_path, "-d", db])
    registry = odoo.modules.registry.Registry(db)
    try:
        with registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})
    finally:
        # Let the database go (dropdb refuses while a pooled connection holds it).
        odoo.modules.registry.Registry.delete(db)
        odoo.sql_db.close_db(db)


# ----------------------------------------------------------------------
# The suite, as of the calibration end
# ----------------------------------------------------------------------


def lifecycle_night(env):
    """The nightly lifecycle run (refit of the purchase model, cut points,
    every profile), as its Run now does it; returns the fit."""
    env["crm.lifecycle.run"].action_run_now()
    company = env.company
    model = env["crm.purchase.model"]._latest([company.id])[company.id]
    return {
        "state": model.state,
        "calibration_end": str(model.calibration_end),
        "customers": model.customer_count,
        "repeaters": model.repeat_customer_count,
        **{key: model[key] for key in ("r", "alpha", "a", "b", "penalizer")},
    }


def churn_night(env, horizon):
    """The company's backtest over ``horizon`` days (it stores the learned
    weights and calibration), then the nightly churn run; returns what was
    learned and every customer's stored score."""
    from odoo.tools import SQL

    company = env.company
    company.churn_backtest_days = horizon
    run = env["crm.churn.backtest"]._run_for(company)
    env["crm.churn.run"].action_run_now()
    env.flush_all()
    risks = env.execute_query(
        SQL(
            "SELECT partner_id, score_exact::float8, score, strengths, lost"
            " FROM crm_churn_risk"
            " WHERE company_id = %s",
            company.id,
        )
    )
    keys = [
        "state",
        "note_code",
        "customer_count",
        "lost_count",
        "base_rate",
        "auc_score",
        "auc_current",
        "auc_learned",
        "auc_prob_alive",
        "auc_expected",
        "weights_current",
        "weights_learned",
        "weights_adopted",
        "weights_choice",
        "auc_purchase_model",
        "top10_capture",
        "top10_lift",
    ]
    return {
        "horizon": horizon,
        "as_of": str(run.as_of),
        "fit_day": str(run.fit_day),
        "backtest": {key: run[key] for key in keys},
        "learned_weights": company.churn_learned_weights or None,
        "calibration": company.churn_calibration or None,
        "weights_in_force": env["crm.churn.risk"]._company_weights(company),
        "risks": {
            pid: {
                "score": exact,
                "whole": whole,
                "strengths": strengths or {},
                "lost": lost,
            }
            for pid, exact, whole, strengths, lost in risks
        },
    }


def profiles(env):
    from odoo.tools import SQL

    rows = env.execute_query(
        SQL(
            "SELECT partner_id, prob_alive, expected_purchases_365, stage,"
            " rfm_segment FROM crm_lifecycle_profile WHERE company_id = %s",
            env.company.id,
        )
    )
    return {
        pid: {"prob_alive": alive, "expected": expected, "stage": stage}
        for pid, alive, expected, stage, _segment in rows
    }


def signal_names(env):
    field = env["crm.churn.signal"]._fields["code"]
    return dict(field._description_selection(env))


def run_suite(db, addons_path, horizons):
    """Everything the suite computes on the calibration end, once per
    horizon (each from the same profiles: the other horizons' backtests
    and scores are rolled back)."""
    from freezegun import freeze_time

    results = {}
    with odoo_env(db, addons_path) as env:
        names = signal_names(env)
        shipped = env.company.churn_backtest_days
        # None: the horizon as installed; each horizon once, the last kept.
        horizons = list(dict.fromkeys(h or shipped for h in horizons))
        horizons = [h for h in horizons if h != horizons[-1]] + horizons[-1:]
        with freeze_time(f"{CALIBRATION_END} 12:00:00"):
            # No timing in here: the frozen clock stands still.
            fit = lifecycle_night(env)
            env.cr.commit()
            profile_rows = profiles(env)
            for position, horizon in enumerate(horizons):
                results[horizon] = churn_night(env, horizon)
                if position < len(horizons) - 1:
                    env.cr.rollback()
                    env.invalidate_all()
                    env.registry.clear_cache()
    return {
        "fit": fit,
        "shipped_horizon": shipped,
        "profiles": profile_rows,
        "names": names,
        "runs": results,
    }


# ----------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------


def measure(suite, partners, days):
    """Every figure of the report: the purchase model's, and per horizon
    the churn score's."""
    customers = sorted(partners)
    ids = [partners[cid] for cid in customers]
    first_day = CALIBRATION_END + timedelta(days=1)
    y = outcomes(days, customers, first_day, HOLDOUT_END)
    order = np.random.default_rng(TIE_SEED).permutation(len(ids))
    profile = suite["profiles"]
    missing = {"expected": None, "prob_alive": None}
    expected = np.array(
        [profile.get(pid, missing)["expected"] for pid in ids], dtype=float
    )
    alive = np.array(
        [profile.get(pid, missing)["prob_alive"] for pid in ids], dtype=float
    )
    figures = {
        "customers": len(ids),
        "lost": int(y.sum()),
        "calibration_orders": sum(
            1 for cid in customers for day in days[cid] if day <= CALIBRATION_END
        ),
        "holdout_orders": sum(
            1
            for cid in customers
            for day in days[cid]
            if CALIBRATION_END < day <= HOLDOUT_END
        ),
        "last_first_day": str(max(min(days[cid]) for cid in customers)),
        "without_profile": int(sum(pid not in profile for pid in ids)),
        "without_prediction": int(np.isnan(expected).sum()),
        "stages": count_by([profile[pid]["stage"] for pid in ids if pid in profile]),
        "expected": ranking(-expected, y, order),
        "prob_alive": ranking(1.0 - alive, y, order),
        "reference": reference_models(days, customers, y),
        "runs": {},
    }
    context = {
        "ids": ids,
        "customers": customers,
        "days": days,
        "y": y,
        "order": order,
        "expected": expected,
    }
    for horizon, run in suite["runs"].items():
        figures["runs"][horizon] = measure_run(run, context)
    return figures


def count_by(values):
    counts = defaultdict(int)
    for value in values:
        counts[value] += 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def measure_run(run, context):
    """The churn score of one horizon against the holdout, and against the
    first ``horizon`` days of it (what its calibration promises)."""
    ids, y, order = context["ids"], context["y"], context["order"]
    risks = run["risks"]
    scored = np.array([pid in risks for pid in ids])
    score = np.array([risks[pid]["score"] if pid in risks else np.nan for pid in ids])
    whole = np.array([risks[pid]["whole"] if pid in risks else np.nan for pid in ids])
    matrix, _signals = backtest.signal_matrix(
        [risks[pid]["strengths"] if pid in risks else {} for pid in ids]
    )
    weights = run["weights_in_force"]
    raw = backtest.raw_scores(matrix, weights)
    calibration = run["calibration"] or {}
    curve = calibration.get("curve")
    fitted_for = calibration.get("weights") or {}
    calibrated = bool(curve) and all(
        abs(float(fitted_for.get(code, 0.0)) - float(weights.get(code, 0.0))) < 1e-6
        for code in scoring.SIGNALS
    )
    y_horizon = outcomes(
        context["days"],
        context["customers"],
        CALIBRATION_END + timedelta(days=1),
        CALIBRATION_END + timedelta(days=run["horizon"]),
    )
    # Every figure over the scored customers (all of them, when every
    # customer bought in the calibration period).
    keep = scored
    kept_order = (np.cumsum(keep) - 1)[order[keep[order]]]
    stored = score[keep]
    expected = -context["expected"][keep]
    figures = {
        "scored": int(keep.sum()),
        "flagged_lost": int(sum(bool(r["lost"]) for r in risks.values())),
        "score": ranking(stored, y[keep], kept_order),
        "whole": ranking(whole[keep], y[keep], kept_order),
        "score_horizon_auc": auc(stored, y_horizon[keep]),
        "expected_horizon_auc": auc(expected, y_horizon[keep]),
        "raw_in_force": ranking(raw[keep], y[keep], kept_order),
        "default_raw": ranking(
            backtest.raw_scores(matrix, scoring.DEFAULT_WEIGHTS)[keep],
            y[keep],
            kept_order,
        ),
        "gap": auc(stored, y[keep]) - auc(expected, y[keep]),
        "gap_interval": bootstrap_gap(stored, expected, y[keep]),
        "calibrated": calibrated,
        "curve_points": len(curve or []),
        "distinct_scores": int(np.unique(stored).size),
        "distinct_whole": int(np.unique(whole[keep]).size),
        # Tied scores are cut into tenths in the order of the fixed shuffle.
        "bins_horizon": backtest.calibration_bins(
            stored[kept_order] / 100.0, y_horizon[keep][kept_order]
        ),
        "bins_holdout": backtest.calibration_bins(
            stored[kept_order] / 100.0, y[keep][kept_order]
        ),
        "mean_score": float(stored.mean()),
        "lost_horizon": int(y_horizon[keep].sum()),
    }
    # Each signal alone (its strength as the score), over the customers who
    # have it: where the learned weights could have gone.
    figures["signals_alone"] = {}
    for index, code in enumerate(_signals):
        column = matrix[keep, index]
        known = ~np.isnan(column)
        if known.sum() and np.unique(column[known]).size > 1:
            figures["signals_alone"][code] = {
                "customers": int(known.sum()),
                "auc": auc(column[known], y[keep][known]),
            }
    if curve:
        figures["calibrated_unrounded"] = ranking(
            backtest.calibrate(raw, curve)[keep], y[keep], kept_order
        )
        figures.update(saturation(curve, raw[keep], stored, y[keep], kept_order))
    return figures


def saturation(curve, raw, stored, y, order):
    """How many customers score beyond the curve's last centre (where
    ``backtest.calibrate`` is flat, so that they all get its last
    probability), and, as a diagnostic only, the ranking the stored score
    would have with the curve continued from its last point to (1, 1)."""
    top_raw, top_probability = curve[-1]
    figures = {
        "curve_top": [top_raw, top_probability],
        "curve_bottom": list(curve[0]),
        "above_curve": int((raw > top_raw).sum()),
        "at_top_score": int((stored == round(100 * top_probability, 4)).sum()),
        "raw_range": [float(raw.min()), float(raw.max())],
    }
    if top_raw < 1.0:
        extended = backtest.calibrate(raw, [*curve, [1.0, 1.0]])
        figures["extended_rounded"] = ranking(np.rint(100 * extended), y, order)
        figures["extended_unrounded"] = ranking(extended, y, order)
    return figures


def auc(scores, y):
    return backtest.auc(scores, y)


def bootstrap_gap(a, b, y, rounds=BOOTSTRAP, seed=TIE_SEED):
    """95% interval of AUC(a) - AUC(b) over customers drawn with
    replacement (paired: the same draw for both scores)."""
    rng = np.random.default_rng(seed)
    gaps = []
    for _ in range(rounds):
        pick = rng.integers(0, y.size, y.size)
        first, second = auc(a[pick], y[pick]), auc(b[pick], y[pick])
        if first is not None and second is not None:
            gaps.append(first - second)
    return [float(np.percentile(gaps, 2.5)), float(np.percentile(gaps, 97.5))]


def ranking(scores, y, order):
    """AUC and the top 10% / 20% of one score (higher: more at risk), ties
    at the cut broken by the fixed shuffle ``order``."""
    figures = {"auc": auc(scores, y)}
    for share in (0.1, 0.2):
        top = backtest.top_share(scores[order], y[order], share)
        label = f"top{round(100 * share)}"
        figures[f"{label}_lift"] = top["lift"]
        figures[f"{label}_capture"] = top["capture"]
        figures[f"{label}_precision"] = top["precision"]
    return figures


# ----------------------------------------------------------------------
# Reference models (outside the suite)
# ----------------------------------------------------------------------


def rfm_summary(days, customers):
    """Per customer, in weeks from his first purchase, as the BG/NBD paper
    counts: repeat purchases ``x``, time of the last one ``t_x``, age at the
    calibration end ``T``, and the mean dollars of his purchases."""
    x, t_x, big_t, money = [], [], [], []
    for cid in customers:
        bought = sorted(day for day in days[cid] if day <= CALIBRATION_END)
        first = bought[0]
        x.append(len(bought) - 1)
        t_x.append((bought[-1] - first).days / 7.0)
        big_t.append((CALIBRATION_END - first).days / 7.0)
        money.append(np.mean([days[cid][day] for day in bought]))
    return tuple(np.array(v, dtype=float) for v in (x, t_x, big_t, money))


def bgnbd_reference(x, t_x, big_t, horizon_weeks):
    """Expected purchases in ``horizon_weeks`` from a BG/NBD fitted here by
    maximum likelihood on the textbook formulas (Fader, Hardie and Lee 2005,
    equations 6 and 10), with scipy, unpenalised: none of the suite's code,
    so that it checks the suite's purchase model rather than repeating it."""
    from scipy.optimize import minimize
    from scipy.special import betaln, gammaln, hyp2f1

    repeat = x > 0

    def negative_ll(log_params):
        r, alpha, a, b = np.exp(log_params)
        common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        first = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + big_t)
        second = np.where(
            repeat,
            betaln(a + 1, np.maximum(b + x - 1, 1e-12))
            - betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return -(common + np.logaddexp(first, second)).sum()

    found = minimize(
        negative_ll,
        np.zeros(4),
        method="Nelder-Mead",
        options={"maxiter": 20000, "xatol": 1e-8, "fatol": 1e-8},
    )
    r, alpha, a, b = np.exp(found.x)
    t = horizon_weeks
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, t / (alpha + big_t + t)
    )
    denominator = 1 + repeat * (a / np.maximum(b + x - 1, 1e-12)) * (
        (alpha + big_t) / (alpha + t_x)
    ) ** (r + x)
    return {"r": r, "alpha": alpha, "a": a, "b": b}, head * tail / denominator


def logistic_cv(features, y, folds=10, seed=TIE_SEED):
    """Out-of-fold probabilities of a logistic regression of ``y`` on the
    standardised ``features`` (``folds``-fold, shuffled with a fixed seed):
    a model fitted on the holdout outcome itself, the ceiling the issue
    quotes rather than a forecast."""
    from scipy.optimize import minimize
    from scipy.special import expit

    rng = np.random.default_rng(seed)
    fold = rng.permutation(y.size) % folds
    out = np.empty(y.size)
    for k in range(folds):
        train, test = fold != k, fold == k
        mean = features[train].mean(axis=0)
        spread = features[train].std(axis=0)
        design = np.column_stack(
            [np.ones(y.size), (features - mean) / np.where(spread > 0, spread, 1)]
        )

        def loss(w, d=design[train], t=y[train]):
            z = d @ w
            value = np.logaddexp(0, z).sum() - t @ z + 0.5e-3 * (w[1:] @ w[1:])
            gradient = d.T @ (expit(z) - t)
            gradient[1:] += 1e-3 * w[1:]
            return value, gradient

        w = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B").x
        out[test] = expit(design[test] @ w)
    return out


def reference_models(days, customers, y):
    x, t_x, big_t, money = rfm_summary(days, customers)
    holdout_weeks = ((HOLDOUT_END - CALIBRATION_END).days) / 7.0
    params, expected = bgnbd_reference(x, t_x, big_t, holdout_weeks)
    features = np.column_stack(
        [big_t - t_x, np.log1p(x), big_t, np.log1p(money), x / np.maximum(big_t, 1)]
    )
    return {
        "bgnbd_params": params,
        "bgnbd": auc(-expected, y),
        "logistic": auc(logistic_cv(features, y), y),
    }


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------


def num(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def pct(value, digits=1):
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def weights_in_words(weights, names):
    if not weights:
        return "none"
    parts = [
        f"{names.get(code, code)} {value:.0f}"
        for code, value in sorted(weights.items(), key=lambda item: -item[1])
        if round(value)
    ]
    return ", ".join(parts) if parts else "all zero"


def ranking_rows(figures, horizon):
    """(label, figures on the main horizon, on the shipped one or None,
    reference key) of the AUC and top-share tables."""
    main = figures["runs"][horizon]
    rows = [
        (
            "Churn risk score as stored and sorted on (`crm.churn.risk.score_exact`)",
            "score",
            0,
        ),
        (
            "the same in whole percents, as shown (`crm.churn.risk.score`)",
            "whole",
            None,
        ),
        ("the same, unrounded (calibrated probability)", "calibrated_unrounded", None),
        ("the same weights, uncalibrated (weighted mean)", "raw_in_force", None),
        ("hand-set default weights, uncalibrated", "default_raw", None),
    ]
    out = []
    for label, key, reference in rows:
        if key in main:
            out.append((label, key, reference))
    return out


def auc_table(figures, horizon, shipped):
    runs = figures["runs"]
    other = runs.get(shipped) if shipped != horizon else None
    reference = list(REFERENCE.values())
    head = f"| Score | AUC, horizon {horizon} days (main) |"
    rule = "|---|---|"
    if other:
        head += f" AUC, shipped horizon {shipped} days |"
        rule += "---|"
    lines = [head + " From the issue |", rule + "---|"]
    for label, key, ref in ranking_rows(figures, horizon):
        cells = [label, num(runs[horizon][key]["auc"])]
        if other:
            cells.append(num(other[key]["auc"]) if key in other else "n/a")
        cells.append(f"{reference[0]:.3f} (before this work)" if ref == 0 else "")
        lines.append("| " + " | ".join(cells) + " |")
    for label, key, ref in (
        ("`lifecycle_expected_purchases_365` (negated)", "expected", 1),
        ("`lifecycle_prob_alive` (1 - p)", "prob_alive", None),
    ):
        cells = [label, num(figures[key]["auc"])]
        if other:
            cells.append("same")
        cells.append(f"{reference[ref]:.3f}" if ref is not None else "")
        lines.append("| " + " | ".join(cells) + " |")
    measured = figures["reference"]
    for (label, value), key, note in zip(
        list(REFERENCE.items())[2:],
        ("bgnbd", "logistic"),
        (
            " (fitted in this script, expected purchases in the 39 holdout weeks)",
            " (10 folds, fitted on the holdout outcome: a ceiling, not a forecast)",
        ),
        strict=True,
    ):
        cells = [f"{label[0].upper()}{label[1:]}{note}", num(measured[key])]
        if other:
            cells.append("same")
        cells.append(f"{value:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def top_table(figures, horizon):
    lines = [
        "| Score | Top 10%: lost | lift | capture | Top 20%: lost | lift | capture |",
        "|---|---|---|---|---|---|---|",
    ]
    run = figures["runs"][horizon]
    entries = [(label, run[key]) for label, key, _r in ranking_rows(figures, horizon)]
    entries += [
        ("`lifecycle_expected_purchases_365` (negated)", figures["expected"]),
        ("`lifecycle_prob_alive` (1 - p)", figures["prob_alive"]),
    ]
    for label, row in entries:
        lines.append(
            f"| {label} | {pct(row['top10_precision'])} | "
            f"{num(row['top10_lift'], 2)} | {pct(row['top10_capture'])} | "
            f"{pct(row['top20_precision'])} | {num(row['top20_lift'], 2)} | "
            f"{pct(row['top20_capture'])} |"
        )
    return lines


def bins_table(bins):
    lines = [
        "| Tenth | Customers | Mean score (predicted %) | Observed lost |",
        "|---|---|---|---|",
    ]
    for row in bins:
        lines.append(
            f"| {row['bin']} | {row['count']} | {100 * row['predicted']:.1f} | "
            f"{pct(row['observed'])} |"
        )
    return lines


def verdict(figures, horizon):
    run = figures["runs"][horizon]
    score, expected = run["score"]["auc"], figures["expected"]["auc"]
    low, high = run["gap_interval"]
    yes = score >= expected
    text = (
        f"**{'Yes' if yes else 'No'}.** On the holdout nothing was tuned on, "
        f"the stored churn score ranks at AUC {score:.4f} against "
        f"{expected:.4f} for `lifecycle_expected_purchases_365` alone "
        f"(difference {run['gap']:+.4f}; 95% paired bootstrap interval "
        f"{low:+.4f} to {high:+.4f}, {BOOTSTRAP} resamples of the customers)."
    )
    if low <= 0 <= high:
        text += " The interval holds zero: the two rank alike within the noise."
    return text


def backtest_lines(run, names):
    bt = run["backtest"]
    lines = [
        f"- Backtest over {run['horizon']} days: learned on {run['fit_day']}, "
        f"checked on {run['as_of']}; state `{bt['state']}`"
        + (f" (`{bt['note_code']}`)" if bt["note_code"] else "")
        + "."
    ]
    if bt["state"] == "done":
        lines.append(
            f"- Checked day: {bt['customer_count']} customers, "
            f"{bt['lost_count']} lost ({bt['base_rate']:.1f}%); AUC there of the "
            f"weights in force {bt['auc_current']:.3f}, "
            + (
                f"of the learned weights {bt['auc_learned']:.3f}, "
                if bt["weights_learned"]
                else ""
            )
            + (
                f"of the purchase model alone {bt['auc_purchase_model']:.3f}, "
                if bt["auc_purchase_model"]
                else ""
            )
            + f"of the stored (calibrated) score {bt['auc_score']:.3f}; the "
            f"score follows: {CHOICES.get(bt['weights_choice'], 'n/a')}."
        )
    lines.append(
        "- Weights learned: " + weights_in_words(bt["weights_learned"], names) + "."
    )
    lines.append(
        "- Weights scoring the customers: "
        + weights_in_words(run["weights_in_force"], names)
        + "."
    )
    return lines


def header(context):
    m = context["machine"]
    return [
        "# Accuracy of the churn score on CDNOW",
        "",
        (
            "Generated by `tests/benchmarks/accuracy_cdnow.py`; do not edit by hand, "
            "run it again:"
        ),
        "",
        "```",
        context["command"],
        "```",
        "",
        (
            f"- Date: {date.today()}; whole run {context['seconds'] / 60:.1f} min "
            "(installation included)."
        ),
        (
            f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; "
            f"{m['system']}; PostgreSQL {m['postgres']}; Odoo {context['odoo']}; "
            f"Python {m['python']}."
        ),
        f"- Code: commit `{context['commit']}`{context['dirty']}.",
    ]


def data_lines(figures, context):
    fit = context["fit"]
    return [
        "## Data and what was run",
        "",
        (
            f"- CDNOW sample (`{MEMBER}` of the `{WHEEL}` wheel on PyPI, sha256 "
            f"`{context['sha256'][:16]}...`): {figures['customers']:,} customers who "
            f"all bought first between {START} and {figures['last_first_day']}, "
            "every purchase until 1998-06-30 (78 weeks). Several purchases of a "
            "customer on one day are one order (their dollars added up)."
        ),
        (
            f"- Calibration: {START} to {CALIBRATION_END} (39 weeks). Only these "
            f"{figures['calibration_orders']:,} orders were loaded, as confirmed sale "
            "orders of the customers (companies), untaxed amount = dollar value, in "
            "a fresh database with `sale_management`, then "
            f"`{ADDONS}` installed without demo data; settings as installed except "
            "the backtest's days checked."
        ),
        (
            f"- Holdout: {CALIBRATION_END + timedelta(days=1)} to {HOLDOUT_END} "
            f"(39 weeks, {figures['holdout_orders']:,} orders, never loaded). A "
            "customer is *lost* when he bought nothing in it: "
            f"{figures['lost']:,} of {figures['customers']:,} "
            f"({100 * figures['lost'] / figures['customers']:.1f}%)."
        ),
        (
            f"- With Odoo's today frozen at {CALIBRATION_END} (freezegun), in-process: "
            "the nightly lifecycle run (`crm.lifecycle.run`, as Run now: refit of the "
            "purchase model on the orders up to that day, RFM cut points, every "
            "profile), the company's churn backtest (`crm.churn.backtest._run_for`: "
            "replays the day `2 x horizon` before today to learn weights and the "
            "isotonic calibration, checks them on the day `horizon` before today, "
            "stores them on the company), then the nightly churn run "
            "(`crm.churn.run`, as Run now) that scores every customer."
        ),
        (
            f"- Purchase model fitted on {fit['calibration_end']}: `{fit['state']}`, "
            f"{fit['customers']:,} customers ({fit['repeaters']:,} repeat), "
            f"r {fit['r']:.4f}, alpha {fit['alpha']:.3f}, a {fit['a']:.4f}, "
            f"b {fit['b']:.4f}, penalty {fit['penalizer']}."
        ),
        f"- Lifecycle stages on {CALIBRATION_END}: "
        + ", ".join(f"{stage} {count}" for stage, count in figures["stages"].items())
        + ".",
    ]


def horizon_lines(figures, context):
    horizon, shipped = context["horizon"], context["shipped"]
    lines = [
        "## The backtest's horizon",
        "",
        (
            f"The backtest looks {horizon} days ahead here (`churn_backtest_days`, "
            "Settings > Churn > Backtest: days checked), chosen from the "
            "calibration period alone, before any holdout figure was seen: every "
            "CDNOW customer bought first in the first quarter of 1997, and the "
            "learning day (`2 x horizon` before 1997-09-30) must come after that "
            f"quarter for the learning replay to see the whole cohort; {HORIZON} "
            "days is the longest horizon that allows it (learning day "
            f"{CALIBRATION_END - timedelta(days=2 * HORIZON)}, checked day "
            f"{CALIBRATION_END - timedelta(days=HORIZON)})."
        ),
    ]
    if shipped != horizon and shipped in figures["runs"]:
        run = context["runs"][shipped]
        lines += [
            "",
            f"With the horizon as installed ({shipped} days) the backtest "
            f"checks {run['as_of']} and would learn on {run['fit_day']}, "
            "before the first CDNOW order: "
            + (
                "nothing is learned, "
                if not run["backtest"]["weights_learned"]
                else "weights are learned, "
            )
            + "and the calibration is fitted on the checked day's replay with "
            "the weights in force. Its figures are in the second column below; "
            "the database keeps the main horizon's.",
        ]
    return lines


def notes_lines(figures, context):
    horizon = context["horizon"]
    run = figures["runs"][horizon]
    missing = figures["customers"] - run["scored"]
    return [
        "## Notes",
        "",
        f"- Customers scored: {run['scored']:,} of {figures['customers']:,}"
        + (
            f"; {missing} have no risk row (no confirmed order in the calibration "
            "period) and are left out of the churn score's figures."
            if missing
            else " (every customer bought in the calibration period, so each has "
            "a profile and a risk row)."
        )
        + f" Customers without a prediction of the purchase model: "
        f"{figures['without_prediction']}. {run['flagged_lost']} are in the "
        "lifecycle stage Churned (listed apart by the suite, scored all the same).",
        (
            f"- The stored exact score has four decimals: {run['distinct_scores']} "
            f"distinct values ({run['distinct_whole']} in whole percents); ties "
            "count half in the AUC (Mann-Whitney), and at the edge of "
            "a top share they are broken by a fixed shuffle of the customers (CDNOW "
            "numbers customers by first purchase, so their order is not neutral)."
        ),
        (
            "- The uncalibrated rows recompute the weighted mean with "
            "`crm_churn/tools/backtest.py` `raw_scores` over the strengths stored on "
            "each risk row (`crm.churn.risk.strengths`, rounded to 3 decimals)."
        ),
        (
            "- The purchase model's figures do not depend on the backtest's "
            "horizon: one lifecycle night serves both churn runs (the first one's "
            "backtest and scores are rolled back before the second)."
        ),
        (
            "- Reference BG/NBD fit: the likelihood of Fader, Hardie and Lee "
            "(2005) maximised in this script with scipy (Nelder-Mead on the "
            "logarithms of the parameters, no penalty), on each customer's "
            "repeat purchases, time of the last one and age in weeks on "
            f"{CALIBRATION_END}; ranked by its expected purchases over the 39 "
            "holdout weeks. Parameters: "
            + ", ".join(
                f"{key} {value:.4f}"
                for key, value in figures["reference"]["bgnbd_params"].items()
            )
            + "."
        ),
        (
            "- Logistic regression on RFM features: recency (weeks since the "
            "last purchase), log(1 + repeat purchases), age, log(1 + mean "
            "dollars) and purchases per week, standardised, slight ridge; "
            "10-fold cross-validated on the holdout outcome (each customer "
            "scored by the model fitted on the other nine tenths). It learns "
            "from the very outcome it is measured on, which neither the suite "
            "nor the BG/NBD sees: a ceiling for what these features can tell, "
            "not a forecast made on 1997-09-30."
        ),
    ]


def why_lines(figures, context):
    """Where the stored score stands against its own weighted mean and the
    calibrated probability it is rounded from."""
    horizon = context["horizon"]
    run = figures["runs"][horizon]
    if "calibrated_unrounded" not in run:
        return []
    bt = context["runs"][horizon]["backtest"]
    scored = run["scored"]
    lines = [
        "## Where the ranking goes",
        "",
        (
            "The weighting the backtest chose ("
            f"{CHOICES.get(bt['weights_choice'], 'n/a')}) ranks the customers, "
            "as a weighted mean, at AUC "
            f"{num(run['raw_in_force']['auc'])}; read on the calibration curve "
            "(a probability, unrounded) at "
            f"{num(run['calibrated_unrounded']['auc'])}; stored with four "
            f"decimals at {num(run['score']['auc'])} and shown as a whole "
            f"percent at {num(run['whole']['auc'])}, against "
            f"{num(figures['expected']['auc'])} for the expected purchases."
        ),
        "",
        (
            f"- The curve keeps the ranking: {run['above_curve']:,} of "
            f"{scored:,} customers lie above its last block, where it keeps "
            "the slope of its last segment up to certainty "
            "(`crm_churn/tools/backtest.py` `fit_calibration`), and the curve "
            "the nights use is fitted on both replayed days."
        ),
        (
            f"- Whole percents leave {run['distinct_whole']} distinct scores "
            f"for {scored:,} customers, most of them lost (base rate "
            f"{pct(figures['lost'] / figures['customers'])}), so that many "
            "share a score (ties count half in the AUC); the exact score keeps "
            f"{run['distinct_scores']} apart. The list of customers at risk "
            "sorts on the value at risk, then the exact score."
        ),
        (
            "- The backtest's own figures on its checked day "
            f"({context['runs'][horizon]['as_of']}): weights in force "
            f"{bt['auc_current']:.3f}, learned weights {bt['auc_learned']:.3f}, "
            f"purchase model alone {bt['auc_purchase_model']:.3f}; the "
            f"calibrated exact score {bt['auc_score']:.3f}. The backtest keeps "
            "the candidate that ranks this later day best (by half a point of "
            "AUC over the weights in force), so the score it adopts never ranks "
            "that day worse than the purchase model it is built on."
        ),
    ]
    alone = run.get("signals_alone") or {}
    if alone:
        names = context["names"]
        lines.append(
            "- Each signal alone on the holdout (its strength as the score, over "
            "the customers who have it): "
            + ", ".join(
                f"{names.get(code, code)} {num(row['auc'])} ({row['customers']:,})"
                for code, row in sorted(alone.items(), key=lambda kv: -kv[1]["auc"])
            )
            + "."
        )
    return [*lines, ""]


def write_report(path, figures, context):
    horizon, shipped = context["horizon"], context["shipped"]
    run = figures["runs"][horizon]
    names = context["names"]
    lines = header(context) + [""] + data_lines(figures, context) + [""]
    lines += horizon_lines(figures, context) + [""]
    lines += [
        "## Does the learned score rank at least as well as the purchase model?",
        "",
        verdict(figures, horizon),
        "",
        (
            f"AUC on the holdout outcome (lost = no purchase from "
            f"{CALIBRATION_END + timedelta(days=1)} to {HOLDOUT_END}), over every "
            "customer; 0.5 is a coin toss:"
        ),
        "",
        *auc_table(figures, horizon, shipped),
        "",
        (
            f"Against the first {horizon} days of the holdout only (what the "
            "backtest's horizon predicts): churn score "
            f"{num(run['score_horizon_auc'])}, "
            f"expected purchases {num(run['expected_horizon_auc'])}."
        ),
        "",
        *why_lines(figures, context),
        "",
        "## The customers most at risk",
        "",
        (
            f"Share lost among the 10% and 20% highest-scored customers, lift over "
            f"the base rate ({pct(figures['lost'] / figures['customers'])}) and "
            "share of all lost customers they hold (main horizon):"
        ),
        "",
        *top_table(figures, horizon),
        "",
        "## What the backtest learned",
        "",
        *backtest_lines(context["runs"][horizon], names),
        "- Hand-set default weights (for comparison): "
        + weights_in_words(scoring.DEFAULT_WEIGHTS, names)
        + ".",
        (
            f"- Calibration curve: {run['curve_points']} points; applied to the "
            f"stored score: {'yes' if run['calibrated'] else 'no'}."
        ),
    ]
    if shipped != horizon and shipped in context["runs"]:
        lines += [
            f"- With the installed horizon ({shipped} days):",
            *("  " + line for line in backtest_lines(context["runs"][shipped], names)),
        ]
    lines += [
        "",
        "## Calibration",
        "",
        (
            "Does a risk of 80 mean that about 80% of such customers were lost? "
            "The customers cut into tenths by stored score (tied scores in the "
            "order of the fixed shuffle); the score's mean against the share lost."
        ),
        "",
        (
            f"Against the horizon the curve was learned for: no purchase in the "
            f"first {horizon} days of the holdout "
            f"({CALIBRATION_END + timedelta(days=1)} to "
            f"{CALIBRATION_END + timedelta(days=horizon)}; "
            f"{run['lost_horizon']:,} lost, "
            f"{pct(run['lost_horizon'] / run['scored'])}; "
            f"mean score {run['mean_score']:.1f}):"
        ),
        "",
        *bins_table(run["bins_horizon"]),
        "",
        (
            f"Against the whole holdout (39 weeks, longer than the {horizon} days "
            "the curve was learned for, so more customers are lost than announced; "
            f"{figures['lost']:,} lost, {pct(figures['lost'] / figures['customers'])}):"
        ),
        "",
        *bins_table(run["bins_holdout"]),
        "",
        *notes_lines(figures, context),
        "",
    ]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


# ----------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------


def git(*args):
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def exists(db):
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"


def prepare(db, args):
    if args.template:
        log(f"copying {args.template} (suite installed, no orders)")
        subprocess.run(["createdb", "-T", args.template, db], check=True)
    else:
        install(db, args.addons_path)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--addons-path", required=True)
    parser.add_argument(
        "--horizon",
        type=int,
        default=HORIZON,
        help=f"backtest days checked (default {HORIZON}, see HORIZON)",
    )
    parser.add_argument("--db", help="database to create (acc_ prefix)")
    parser.add_argument(
        "--template",
        help="copy this acc_ database (the suite installed without demo data, "
        "no orders) instead of installing",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--output", default=str(ROOT / "docs" / "ACCURACY.md"))
    args = parser.parse_args()
    args.db = args.db or f"acc_cdnow_{os.getpid()}_{int(time.time())}"
    for name in (args.db, args.template):
        if name and not name.startswith("acc_"):
            parser.error(f"{name}: only databases named acc_... are used")
    if exists(args.db):
        parser.error(f"{args.db} exists")
    return args


def main():
    args = parse_args()
    started = time.perf_counter()
    text, digest = cdnow_text()
    days = purchase_days(text)
    log(f"CDNOW: {len(days)} customers; database {args.db}")
    try:
        prepare(args.db, args)
        partners, orders = load_orders(args.db, days, CALIBRATION_END)
        log(f"{orders} calibration orders loaded; running the suite")
        suite = run_suite(args.db, args.addons_path, [None, args.horizon])
        figures = measure(suite, partners, days)
    finally:
        if args.keep:
            log(f"database {args.db} kept")
        else:
            subprocess.run(["dropdb", "--if-exists", args.db], check=True)
    import odoo.release

    command = "bash scripts/accuracy.sh" + (
        f" --horizon {args.horizon}" if args.horizon != HORIZON else ""
    )
    context = {
        "command": command,
        "seconds": time.perf_counter() - started,
        "machine": machine(),
        "odoo": odoo.release.version,
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": " (with uncommitted changes in addons/)"
        if git("status", "--porcelain", "--", "addons")
        else "",
        "sha256": digest,
        "horizon": args.horizon,
        "shipped": suite["shipped_horizon"],
        "names": suite["names"],
        "fit": suite["fit"],
        "runs": suite["runs"],
    }
    write_report(args.output, figures, context)
    log(f"wrote {args.output}")
    print(Path(args.output).read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
