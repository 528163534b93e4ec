"""Business days: Monday to Friday minus the configured holidays ([calendar].holidays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from provisioning import timeutil
from provisioning.config import current as settings


def is_business_day(day: date) -> bool:
    """True for a weekday that is not a configured holiday."""
    return day.weekday() < 5 and day not in settings().calendar.holiday_dates


def business_days_between(start: date, end: date) -> int:
    """How many business days come after ``start`` up to and including ``end`` (0 if none).

    A request that arrived on Friday is 1 business day old on Monday.
    """
    if end <= start:
        return 0
    holidays = settings().calendar.holiday_dates
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            count += 1
        day += timedelta(days=1)
    return count


def age(since: datetime) -> int:
    """Business days from the local date of ``since`` to today (local)."""
    return business_days_between(timeutil.to_local(since).date(), timeutil.local_today())
