"""Business days (pure logic): the arithmetic count agrees with counting day by day."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from provisioning import workdays
from provisioning.config import CalendarSettings


def _day_by_day(start: date, end: date, holidays: frozenset[date]) -> int:
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        count += day.weekday() < 5 and day not in holidays
        day += timedelta(days=1)
    return count


def test_friday_to_monday_is_one_and_holidays_do_not_count(app) -> None:
    friday = date(2026, 11, 6)
    assert workdays.business_days_between(friday, friday + timedelta(days=3)) == 1
    # 16/11/2026 (third Monday of November) is a configured holiday.
    assert date(2026, 11, 16) in app.extensions["alta.settings"].calendar.holiday_dates
    assert workdays.business_days_between(date(2026, 11, 13), date(2026, 11, 17)) == 1
    assert workdays.business_days_between(friday, friday) == 0
    assert workdays.business_days_between(friday, friday - timedelta(days=9)) == 0


@pytest.mark.parametrize("seed", range(5))
def test_the_count_matches_day_by_day(app, seed: int) -> None:
    holidays = app.extensions["alta.settings"].calendar.holiday_dates
    rng = random.Random(seed)  # noqa: S311 - reproducible dates
    for _ in range(400):
        start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 800))
        end = start + timedelta(days=rng.randint(-3, 400))
        assert workdays.business_days_between(start, end) == _day_by_day(start, end, holidays)


def test_weekday_holidays_leave_out_weekends() -> None:
    calendar = CalendarSettings(holidays=("2026-12-25", "2026-12-26", "2026-01-01"))
    assert calendar.weekday_holidays == (date(2026, 1, 1), date(2026, 12, 25))
