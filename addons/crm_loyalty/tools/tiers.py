"""Member tier rules.

Tiers are ordered from lowest to highest; each has a qualification threshold
(reaching it upgrades a member at once) and a retention threshold (what a
member must still reach at requalification to keep the tier). The metric is
what the member earned, spent or ordered in the qualification window, never
the current balance, so spending points never costs a tier.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Tier:
    tier_id: int
    threshold: float
    retention: float


def qualified(metric, tiers):
    """Highest tier whose qualification threshold ``metric`` reaches (or None)."""
    best = None
    for tier in tiers:
        if metric >= tier.threshold:
            best = tier
    return best


def upgrade(current_id, metric, tiers):
    """Tier after an activity: upgrades only, never downgrades."""
    ranks = {tier.tier_id: index for index, tier in enumerate(tiers)}
    target = qualified(metric, tiers)
    if target is None:
        return current_id
    if current_id is None or ranks[target.tier_id] > ranks.get(current_id, -1):
        return target.tier_id
    return current_id


def requalify(current_id, metric, tiers):
    """Tier after the yearly requalification: a member below the retention
    threshold of their tier moves down one tier at most; a member above it
    keeps it (or moves up if they qualify for more)."""
    if current_id is None:
        return upgrade(None, metric, tiers)
    ranks = {tier.tier_id: index for index, tier in enumerate(tiers)}
    index = ranks[current_id]
    if metric >= tiers[index].retention:
        return upgrade(current_id, metric, tiers)
    return tiers[index - 1].tier_id if index > 0 else None


def window_start(window, day):
    """First day of the qualification window that ends on ``day``."""
    if window == "calendar":
        return date(day.year, 1, 1)
    if window == "rolling":
        try:
            return day.replace(year=day.year - 1) + (
                date(2001, 1, 2) - date(2001, 1, 1)
            )
        except ValueError:  # 29 February
            return date(day.year - 1, 3, 1)
    raise ValueError(f"unknown window {window!r}")


def progress(current_id, metric, tiers):
    """How far ``metric`` is from the tier above the member's.

    Returns ``(next tier, missing, ratio)``: the tier to reach next (None at
    the top), what is still missing to qualify for it, and the share of the
    way from the member's tier threshold (0 without a tier) to the next
    threshold, between 0 and 1. A member whose metric already qualifies for
    more than their tier (the upgrade is pending) is measured from the tier
    the metric reaches.
    """
    ranks = {tier.tier_id: index for index, tier in enumerate(tiers)}
    rank = ranks.get(current_id, -1)
    reached = qualified(metric, tiers)
    if reached is not None:
        rank = max(rank, ranks[reached.tier_id])
    if rank + 1 >= len(tiers):
        return None, 0.0, 1.0
    target = tiers[rank + 1]
    base = tiers[rank].threshold if rank >= 0 else 0.0
    span = target.threshold - base
    ratio = (metric - base) / span if span > 0 else 1.0
    return target, max(target.threshold - metric, 0.0), min(max(ratio, 0.0), 1.0)
