"""Points-ledger rules: lot expiry dates and which lots a spend consumes.

Kept free of Odoo so that the rules can be tested on their own and reused by
the service method that posts entries.
"""

import calendar
import re
from datetime import date

EXPIRY_POLICIES = ("never", "months", "year_end")
# One entry moves at most this many points: beyond it the sums of a card's
# entries lose their cents, and nothing legitimate posts that much at once.
MAX_POINTS = 1_000_000_000


def expiry_date(policy, months, earned_on):
    """Date after which points earned on ``earned_on`` are lost (None: never).

    - ``months``: the same day ``months`` months later (clamped to the end of
      a shorter month: earned on 31 January, 1 month, expires 28/29 February);
    - ``year_end``: 31 December of the year they were earned;
    - ``never``: no expiry.
    """
    if policy == "never":
        return None
    if policy == "year_end":
        return date(earned_on.year, 12, 31)
    if policy == "months":
        if months <= 0:
            raise ValueError("months must be positive")
        month_index = earned_on.month - 1 + months
        year, month = earned_on.year + month_index // 12, month_index % 12 + 1
        day = min(earned_on.day, calendar.monthrange(year, month)[1])
        return date(year, month, day)
    raise ValueError(f"unknown expiry policy {policy!r}")


def consumption_order(lots):
    """Lots in the order a spend consumes them: soonest expiry first, lots that
    never expire last, oldest first among equals.

    :param lots: iterable of ``(lot_id, expiry_date_or_None, remaining)``
    """
    return sorted(
        (lot for lot in lots if lot[2] > 0),
        key=lambda lot: (lot[1] is None, lot[1] or date.max, lot[0]),
    )


def allocate(amount, lots):
    """Split a spend of ``amount`` points over the lots.

    Returns ``(allocations, shortfall)`` where allocations is a list of
    ``(lot_id, points)`` and shortfall the part no lot could cover.
    """
    if amount < 0:
        raise ValueError("amount must be positive")
    allocations = []
    left = amount
    for lot_id, _expiry, remaining in consumption_order(lots):
        if left <= 0:
            break
        take = min(remaining, left)
        allocations.append((lot_id, take))
        left -= take
    return allocations, round(left, 6)


# Reasons the ledger wrote as English text before it stored codes, read back
# as the code and values they stand for, so that they too are shown in the
# reader's language and time zone. The entries themselves are never edited.
_LEGACY_REASONS = (
    (
        re.compile(r"^Points earned on (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) expired$"),
        "expire",
        "earned_on",
    ),
    (re.compile(r"^Order (\S+) cancelled$"), "order_cancel", "order"),
    (re.compile(r"^Order (\S+)$"), "order", "order"),
)


def legacy_reason(text):
    """``(code, params)`` of a reason written as text by an earlier version
    of the ledger, or None for any other text (a manager's typed reason)."""
    for pattern, code, param in _LEGACY_REASONS:
        match = pattern.match(text or "")
        if match:
            return code, {param: match.group(1)}
    return None
