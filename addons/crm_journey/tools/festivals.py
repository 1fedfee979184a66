"""Dates of the year a journey can greet on: a fixed Gregorian day, or a
Chinese festival of the lunar calendar, computed for each year.

The lunar dates come from ``lunardate`` (PyPI, a table of the Chinese
calendar from 1900 to 2099): nobody types next year's Spring Festival in by
hand. Plain functions, no Odoo import.
"""

import calendar
from datetime import date, timedelta

from lunardate import LunarDate

# Festival code: (lunar month, lunar day), or a day counted from one.
LUNAR_FESTIVALS = {
    "spring_festival": (1, 1),  # 春节
    "lantern": (1, 15),  # 元宵
    "dragon_boat": (5, 5),  # 端午
    "qixi": (7, 7),  # 七夕
    "mid_autumn": (8, 15),  # 中秋
    "double_ninth": (9, 9),  # 重阳
}


def festival_date(code, year):
    """The Gregorian date of a lunar festival in ``year`` (the festival of the
    lunar year that starts in that Gregorian year: the Spring Festival of
    2027 is 2027-02-06)."""
    month, day = LUNAR_FESTIVALS[code]
    return LunarDate(year, month, day).to_solar_date()


def gregorian_date(month, day, year):
    """``month``/``day`` in ``year``; 29 February falls on the 28th in a
    common year, so that a greeting set on it still goes out."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day, last))


def occurrence(kind, year, *, festival=None, month=None, day=None):
    """The day of ``year`` a calendar trigger stands for."""
    if kind == "lunar":
        return festival_date(festival, year)
    return gregorian_date(month, day, year)


def due(today, kind, *, festival=None, month=None, day=None, days_before=0, late=3):
    """The occurrence a calendar trigger enrols customers for on ``today``,
    or None.

    A journey enrols ``days_before`` days ahead of the day, and for ``late``
    days more: a night the server missed does not lose the greeting (the
    journey's period keeps a customer from entering twice). Next year's
    occurrence is looked at too: a greeting set on 1 January with days
    ahead goes out in December.
    """
    for year in (today.year, today.year + 1):
        moment = occurrence(kind, year, festival=festival, month=month, day=day)
        start = moment - timedelta(days=days_before)
        if start <= today <= start + timedelta(days=late):
            return moment
    return None
