"""Business days: Monday to Friday minus the configured holidays ([calendar].holidays)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime

from provisioning import timeutil
from provisioning.config import current as settings


def is_business_day(day: date) -> bool:
    """True for a weekday that is not a configured holiday."""
    return day.weekday() < 5 and day not in settings().calendar.holiday_dates


def business_days_between(start: date, end: date) -> int:
    """How many business days come after ``start`` up to and including ``end`` (0 if none).

    A request that arrived on Friday is 1 business day old on Monday. Counted by arithmetic
    (weekdays up to each date, minus the weekday holidays between), not day by day: the
    dashboard ages hundreds of rows per page.
    """
    if end <= start:
        return 0
    holidays = settings().calendar.weekday_holidays
    between = bisect_right(holidays, end) - bisect_right(holidays, start)
    return _weekdays_through(end) - _weekdays_through(start) - between


def _weekdays_through(day: date) -> int:
    """Monday-to-Friday days from 0001-01-01 (a Monday) through ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def age(since: datetime) -> int:
    """Business days from the local date of ``since`` to today (local)."""
    return business_days_between(timeutil.to_local(since).date(), timeutil.local_today())
