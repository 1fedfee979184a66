"""Turn one batch of per-customer sales facts into lifecycle profiles.

The model layer fetches the facts with one SQL query per batch and writes the
returned rows back in bulk; everything in between happens here, without Odoo.
"""

from dataclasses import dataclass, field

import numpy as np

from . import clv, rfm, stages

TIME_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


@dataclass
class CompanySettings:
    thresholds: stages.StageThresholds = field(default_factory=stages.StageThresholds)
    monetary: str = "revenue"  # or "margin"
    cuts: dict | None = None  # {"r": [...], "f": [...], "m": [...]}
    model: dict | None = None  # see predict()


def rfm_inputs(fact, settings, today):
    """(recency, frequency, monetary) of a customer, or None outside the window."""
    if not fact.get("window_orders"):
        return None
    monetary = fact.get("window_revenue") or 0.0
    if settings.monetary == "margin" and fact.get("window_margin") is not None:
        monetary = fact["window_margin"]
    # Credit notes reduce what the customer bought, never below nothing: a
    # credit note of a purchase outside the window (or of a document the
    # suite does not count) must not make a customer worth less than zero.
    monetary = max(monetary + (fact.get("window_refunded") or 0.0), 0.0)
    recency = (today - fact["window_last_day"]).days
    return recency, int(fact["window_orders"]), float(monetary)


def rfm_columns(orders, revenue, margin, refunded, days_since_last, settings):
    """``rfm_inputs`` over whole columns (numpy arrays, NaN where a value is
    missing): the nightly cut points cover every customer of a company, and
    one Python call per customer grew costly at a million. Returns the
    (recency, frequency, monetary) columns of the customers with orders in
    the window."""
    orders = np.asarray(orders, dtype=float)
    keep = orders > 0
    monetary = np.nan_to_num(np.asarray(revenue, dtype=float)[keep])
    if settings.monetary == "margin":
        margin = np.asarray(margin, dtype=float)[keep]
        monetary = np.where(np.isnan(margin), monetary, margin)
    monetary = np.maximum(
        monetary + np.nan_to_num(np.asarray(refunded, dtype=float)[keep]), 0.0
    )
    recency = np.asarray(days_since_last, dtype=float)[keep]
    return recency, orders[keep], monetary


def population_cuts(facts, settings, today):
    """Cut points of R, F and M over one company's customers."""
    values = [rfm_inputs(f, settings, today) for f in facts]
    values = [v for v in values if v]
    if not values:
        return None
    recency, frequency, monetary = zip(*values, strict=True)
    return cuts_of(recency, frequency, monetary)


def cuts_of(recency, frequency, monetary):
    """Cut points from the population's recency (days since the last order),
    frequency and monetary values, given as three equal-length sequences
    (compact arrays, so that a million customers fit in a few megabytes)."""
    if not len(recency):
        return None
    return {
        "r": rfm.cut_points(-np.asarray(recency, dtype=float)),
        "f": rfm.cut_points(frequency),
        "m": rfm.cut_points(monetary),
    }


def model_inputs(facts, today, unit_days):
    """BG/NBD inputs (x, t_x, T) and mean repeat spend m, as numpy arrays."""
    x = np.array([max((f["purchase_days"] or 0) - 1, 0) for f in facts], dtype=float)
    t_x = np.array(
        [
            ((f["last_day"] - f["first_day"]).days if f["last_day"] else 0)
            for f in facts
        ],
        dtype=float,
    )
    big_t = np.array(
        [((today - f["first_day"]).days if f["first_day"] else 0) for f in facts],
        dtype=float,
    )
    repeat = np.array([f.get("repeat_revenue") or 0.0 for f in facts], dtype=float)
    m = np.divide(repeat, x, out=np.zeros_like(repeat), where=x > 0)
    return x, t_x / unit_days, big_t / unit_days, m


def predict(facts, model, today):
    """Probability alive, expected purchases (90/365 days) and 12-month value.

    ``model`` is ``{"method": "model", "time_unit": "week", "r", "alpha",
    "a", "b", "p", "q", "gamma"}`` from a stable fit, or ``{"method":
    "heuristic", "time_unit": ...}`` when the data was too thin to fit. With no
    model at all the heuristic is used too.
    """
    if not facts:
        return []
    model = model or {"method": "heuristic", "time_unit": "week"}
    unit = TIME_UNIT_DAYS[model.get("time_unit") or "week"]
    x, t_x, big_t, m = model_inputs(facts, today, unit)
    big_t = np.maximum(big_t, t_x)
    if model.get("method") == "model":
        params = (model["r"], model["alpha"], model["a"], model["b"])
        alive = clv.bgnbd_prob_alive(*params, x, t_x, big_t)
        exp90 = clv.bgnbd_expected_purchases(*params, 90 / unit, x, t_x, big_t)
        exp365 = clv.bgnbd_expected_purchases(*params, 365 / unit, x, t_x, big_t)
        if model.get("q", 0) and model["q"] > 1:
            spend = clv.gamma_gamma_expected_spend(
                model["p"], model["q"], model["gamma"], x, m
            )
        else:
            spend = np.where(m > 0, m, np.nan)
    else:
        first = np.array([f.get("revenue") or 0.0 for f in facts], dtype=float)
        days = np.array([max(f["purchase_days"] or 1, 1) for f in facts], dtype=float)
        mean_spend = np.where(m > 0, m, first / days)
        positive = mean_spend[mean_spend > 0]
        population = float(positive.mean()) if positive.size else 0.0
        heur90 = clv.heuristic_predictions(
            x, t_x, big_t, 90 / unit, mean_spend, population
        )
        heur365 = clv.heuristic_predictions(
            x, t_x, big_t, 365 / unit, mean_spend, population
        )
        alive = heur90["prob_alive"]
        exp90 = heur90["expected_purchases"]
        exp365 = heur365["expected_purchases"]
        spend = heur365["expected_spend"]
    spend = np.nan_to_num(spend, nan=0.0)
    value = exp365 * spend
    return [
        {
            "prob_alive": float(alive[i]),
            "expected_purchases_90": float(exp90[i]),
            "expected_purchases_365": float(exp365[i]),
            "predicted_clv_12m": float(value[i]),
        }
        for i in range(len(facts))
    ]


def evaluate(facts, companies, today):
    """Compute the profile of every fact row.

    ``facts`` are dicts with ``partner_id, company_id, order_count,
    purchase_days, first_day, last_day, return_day, revenue, refunded,
    repeat_revenue, window_orders, window_revenue, window_margin,
    window_refunded, window_last_day``; ``companies`` maps a company id to its
    :class:`CompanySettings`. Returns one result dict per fact, in order.
    """
    by_company = {}
    for index, fact in enumerate(facts):
        by_company.setdefault(fact["company_id"], []).append(index)
    predictions = [None] * len(facts)
    for company_id, indexes in by_company.items():
        buyers = [i for i in indexes if facts[i]["purchase_days"]]
        settings = companies[company_id]
        for i, pred in zip(
            buyers,
            predict([facts[i] for i in buyers], settings.model, today),
            strict=True,
        ):
            predictions[i] = pred

    results = []
    for fact, prediction in zip(facts, predictions, strict=True):
        settings = companies[fact["company_id"]]
        first, last = fact["first_day"], fact["last_day"]
        purchase_days = fact["purchase_days"] or 0
        order_count = fact["order_count"] or 0
        stage = stages.compute_stage(
            today,
            order_count,
            purchase_days,
            first,
            last,
            fact.get("return_day"),
            settings.thresholds,
            gap_sd=fact.get("gap_sd"),
        )
        # Never below zero: see rfm_inputs.
        net = max((fact.get("revenue") or 0.0) + (fact.get("refunded") or 0.0), 0.0)
        gap = stages.average_gap(first, last, purchase_days)
        r_score = f_score = m_score = None
        inputs = rfm_inputs(fact, settings, today)
        if inputs and settings.cuts:
            recency, frequency, monetary = inputs
            r_score = rfm.score(rfm.recency_value(recency), settings.cuts["r"])
            f_score = rfm.score(frequency, settings.cuts["f"])
            m_score = rfm.score(monetary, settings.cuts["m"])
        segment_key = rfm.segment(r_score, f_score, m_score)
        row = {
            "partner_id": fact["partner_id"],
            "company_id": fact["company_id"],
            "computed_stage": stage,
            "order_count": order_count,
            "purchase_days": purchase_days,
            "first_order_date": first,
            "last_order_date": last,
            "return_date": fact.get("return_day"),
            "avg_order_value": round(net / order_count, 2) if order_count else 0.0,
            "avg_days_between_orders": round(gap, 1) if gap is not None else None,
            "expected_next_order_date": stages.expected_next_order(
                first, last, purchase_days
            ),
            "historic_clv": round(net, 2),
            "rfm_recency_days": inputs[0] if inputs else None,
            "rfm_frequency": inputs[1] if inputs else None,
            "rfm_monetary": round(inputs[2], 2) if inputs else None,
            "rfm_r": r_score,
            "rfm_f": f_score,
            "rfm_m": m_score,
            "rfm_segment": segment_key,
            "value_class": rfm.value_class(stage, segment_key, m_score),
            "prob_alive": None,
            "expected_purchases_90": None,
            "expected_purchases_365": None,
            "predicted_clv_12m": None,
        }
        if prediction:
            row.update(
                {
                    "prob_alive": round(prediction["prob_alive"], 4),
                    "expected_purchases_90": round(
                        prediction["expected_purchases_90"], 3
                    ),
                    "expected_purchases_365": round(
                        prediction["expected_purchases_365"], 3
                    ),
                    "predicted_clv_12m": round(prediction["predicted_clv_12m"], 2),
                }
            )
        results.append(row)
    return results
