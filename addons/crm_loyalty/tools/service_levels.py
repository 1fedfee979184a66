"""How a service level (星级管理) is measured: when an activity counts as
done in time, and its response time. Pure functions, no Odoo."""

import pytz


def response_hours(start, end):
    """Calendar hours from ``start`` to ``end`` (naive UTC datetimes), to the
    hundredth, never negative: a clock set back must not make a fast answer."""
    return max(round((end - start).total_seconds() / 3600.0, 2), 0.0)


def local_day(moment, tz_name):
    """The calendar day of ``moment`` (naive UTC) for someone in ``tz_name``
    (UTC when empty or unknown): an activity done at 23:30 in Shanghai is
    done that day, not the next day of UTC."""
    try:
        zone = pytz.timezone(tz_name or "UTC")
    except pytz.UnknownTimeZoneError:
        zone = pytz.utc
    return pytz.utc.localize(moment).astimezone(zone).date()


def done_in_time(done_day, deadline):
    """Done on or before the due date the service level set (a day, as
    activities are due on days, not hours)."""
    return done_day <= deadline
