"""Did a journey work? Conversion of the customers who went through it
against its control group, and whether the difference could be chance.

Plain functions, no Odoo import.
"""

import hashlib
import math
from typing import NamedTuple


def in_control_group(journey_id, partner_id, share_percent):
    """Deterministic draw of a customer into a journey's control group: the
    same customer always lands on the same side of the same journey (a
    re-run, a restore or a second server give the same answer), and on
    independent sides of two journeys."""
    if share_percent <= 0:
        return False
    digest = hashlib.sha256(f"crm_journey:{journey_id}:{partner_id}".encode()).digest()
    bucket = int.from_bytes(digest[:4], "big") % 10000
    return bucket < round(share_percent * 100)


class Comparison(NamedTuple):
    rate: float  # conversion of the journey's customers (0..1)
    control_rate: float  # conversion of the control group (0..1)
    difference: float  # rate - control_rate
    z: float
    p_value: float  # two-sided; 1.0 when it cannot be computed
    enough: bool  # both groups large enough for the test to mean something


# Below this many customers in a group (or this many conversions in both
# groups together) the normal approximation of the test does not hold.
MIN_GROUP = 30
MIN_CONVERSIONS = 10


def compare(entered, converted, control, control_converted):
    """Two-proportion z-test (pooled) of the journey's conversion against
    its control group's."""
    rate = converted / entered if entered else 0.0
    control_rate = control_converted / control if control else 0.0
    difference = rate - control_rate
    enough = (
        entered >= MIN_GROUP
        and control >= MIN_GROUP
        and converted + control_converted >= MIN_CONVERSIONS
    )
    z, p_value = 0.0, 1.0
    if entered and control:
        pooled = (converted + control_converted) / (entered + control)
        variance = pooled * (1 - pooled) * (1 / entered + 1 / control)
        if variance > 0:
            z = difference / math.sqrt(variance)
            p_value = math.erfc(abs(z) / math.sqrt(2))
    return Comparison(rate, control_rate, difference, z, p_value, enough)


def verdict(comparison, alpha=0.05):
    """One of ``too_few``, ``better``, ``worse``, ``chance``: the key of the
    sentence the journey shows."""
    if not comparison.enough:
        return "too_few"
    if comparison.p_value < alpha:
        return "better" if comparison.difference > 0 else "worse"
    return "chance"
