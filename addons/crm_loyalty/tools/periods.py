"""Calendar periods used by caps on behaviour points."""

from datetime import date, timedelta

PERIODS = ("day", "week", "month", "year")


def period_start(period, day):
    """First day of the period that contains ``day`` (weeks start on Monday)."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")
