"""Deterministic customer purchase histories for demo data and load tests.

Each customer follows one story, so that after installation every lifecycle
stage and RFM segment is populated: loyal regulars, growing newcomers, fading
regulars, one-off buyers, churned and won-back customers, brand-new buyers and
prospects who only asked for quotes. Purchase rates are heterogeneous and
order values skewed (log-normal), in the spirit of the BG/NBD story.
"""

import random
from datetime import date, timedelta

PATTERNS = (
    ("loyal", 0.18),
    ("growing", 0.12),
    ("fading", 0.14),
    ("one_off", 0.16),
    ("churned", 0.10),
    ("dormant", 0.07),
    ("won_back", 0.07),
    ("new", 0.08),
    ("prospect", 0.08),
)

FIRST_NAMES = (
    "Amber",
    "Blue",
    "Cedar",
    "Delta",
    "Ember",
    "Falcon",
    "Garnet",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lotus",
    "Maple",
    "Nimbus",
    "Onyx",
    "Pine",
    "Quartz",
    "Raven",
    "Sable",
    "Tundra",
    "Umber",
    "Vale",
    "Willow",
    "Zephyr",
)
LAST_NAMES = (
    "Trading",
    "Works",
    "Studio",
    "Foods",
    "Logistics",
    "Retail",
    "Labs",
    "Supplies",
    "Partners",
    "Outfitters",
    "Bakery",
    "Garage",
    "Clinic",
    "Hotel",
)


def _pick_pattern(rng):
    roll = rng.random()
    acc = 0.0
    for name, share in PATTERNS:
        acc += share
        if roll < acc:
            return name
    return PATTERNS[-1][0]


def _days(rng, start, end, mean_gap):
    """Purchase days from start to end with exponential gaps."""
    days = []
    current = start
    while current <= end:
        days.append(current)
        current = current + timedelta(days=max(1, round(rng.expovariate(1 / mean_gap))))
    return days


def generate(n_customers=220, today=None, years=2, seed=42):
    """Return customers as ``{"name", "pattern", "orders", "quotes"}`` dicts.

    ``orders`` is a list of ``(date, amount)``; ``quotes`` counts quotations
    that were never confirmed.

    The same seed and date always give the same histories.
    """
    today = today or date.today()
    rng = random.Random(seed)
    horizon = today - timedelta(days=365 * years)
    customers = []
    for index in range(n_customers):
        pattern = _pick_pattern(rng)
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {index + 1:04d}"
        spend = rng.lognormvariate(4.6, 0.8)  # median order value around 100
        days = []
        if pattern == "loyal":
            days = _days(
                rng,
                horizon + timedelta(days=rng.randint(0, 60)),
                today,
                rng.uniform(18, 40),
            )
        elif pattern == "growing":
            start = today - timedelta(days=rng.randint(150, 330))
            days = _days(
                rng,
                start,
                today - timedelta(days=rng.randint(0, 20)),
                rng.uniform(15, 35),
            )
            spend *= 1.5
        elif pattern == "fading":
            end = today - timedelta(days=rng.randint(70, 170))
            days = _days(
                rng,
                horizon + timedelta(days=rng.randint(0, 90)),
                end,
                rng.uniform(20, 45),
            )
        elif pattern == "one_off":
            days = [today - timedelta(days=rng.randint(100, 170))]
        elif pattern == "churned":
            end = today - timedelta(days=rng.randint(380, 600))
            days = _days(rng, horizon, end, rng.uniform(30, 60))
        elif pattern == "dormant":
            end = today - timedelta(days=rng.randint(190, 330))
            days = _days(
                rng,
                horizon + timedelta(days=rng.randint(0, 60)),
                end,
                rng.uniform(30, 60),
            )
        elif pattern == "won_back":
            first_end = today - timedelta(days=rng.randint(300, 450))
            days = _days(rng, horizon, first_end, rng.uniform(25, 50))
            days += [today - timedelta(days=rng.randint(5, 60))]
        elif pattern == "new":
            days = [today - timedelta(days=rng.randint(1, 60))]
        orders = []
        for day in sorted(set(days)):
            amount = round(spend * rng.lognormvariate(0, 0.35), 2)
            orders.append((day, max(amount, 5.0)))
        customers.append(
            {
                "name": name,
                "pattern": pattern,
                "orders": orders,
                "quotes": 1 if pattern == "prospect" else 0,
            }
        )
    return customers
