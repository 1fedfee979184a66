"""Earn multipliers: which apply to an order and how they combine."""

from dataclasses import dataclass, field

# Highest multiplier a programme, campaign or tier may set: above it is a
# typo that would post absurd entries.
MAX_FACTOR = 100


@dataclass(frozen=True)
class MultiplierRules:
    member_day_kind: str = "none"  # none, weekday (0 = Monday) or monthday
    member_day: int = 0
    member_day_factor: float = 2.0
    birthday_factor: float = 3.0  # 1 or less: off
    stacking: str = "multiply"  # or "max"
    campaigns: tuple = field(
        default_factory=tuple
    )  # (label, date_from, date_to, factor)


def applicable(rules, day, birthdate=None, extra=()):
    """Multipliers that apply on ``day`` as ``(label key, factor)`` pairs.

    ``extra`` holds more pairs (the member's tier, for instance). Factors of
    1 or less are ignored.
    """
    found = []
    if rules.member_day_kind == "weekday" and day.weekday() == rules.member_day:
        found.append(("member_day", rules.member_day_factor))
    if rules.member_day_kind == "monthday" and day.day == rules.member_day:
        found.append(("member_day", rules.member_day_factor))
    if birthdate and birthdate.month == day.month:
        found.append(("birthday", rules.birthday_factor))
    for label, date_from, date_to, factor in rules.campaigns:
        if date_from <= day <= date_to:
            found.append((label, factor))
    found.extend(extra)
    return [(label, factor) for label, factor in found if factor and factor > 1]


def combine(multipliers, stacking):
    """Overall factor and the multipliers that produced it.

    ``multiply`` multiplies them all; ``max`` keeps the highest only.
    """
    if not multipliers:
        return 1.0, []
    if stacking == "max":
        best = max(multipliers, key=lambda item: item[1])
        return best[1], [best]
    factor = 1.0
    for _label, value in multipliers:
        factor *= value
    return factor, list(multipliers)
