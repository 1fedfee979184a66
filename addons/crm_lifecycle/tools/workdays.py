"""Working days for deadlines: Monday to Friday, or, for a company in China,
the official calendar of public holidays and adjusted working days (调休)
from ``chinese_calendar`` (PyPI, updated each year when the State Council
publishes the holidays). Outside the years the library knows, and when it
is not installed, Monday to Friday.

Plain functions, no Odoo import.
"""

from datetime import timedelta

try:
    import chinese_calendar
except ImportError:  # pragma: no cover - declared in requirements.txt
    chinese_calendar = None


def weekday_workday(day):
    return day.weekday() < 5


def china_workday(day):
    """Chinese public holidays are days off, adjusted weekend days (调休)
    are working days."""
    if chinese_calendar is None:
        return weekday_workday(day)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # A year the library does not know yet.
        return weekday_workday(day)


def workday_rule(country_code):
    """The working-day test for a company's country (ISO code or None)."""
    return china_workday if (country_code or "").upper() == "CN" else weekday_workday


def add_working_days(day, days, is_workday=weekday_workday):
    """``day`` plus ``days`` working days (0: ``day`` itself)."""
    days = max(int(days), 0)
    while days:
        day += timedelta(days=1)
        if is_workday(day):
            days -= 1
    return day
