"""Time: one clock for the whole service (so tests can freeze it) and local formatting.

Everything is stored in UTC; everything a user reads is shown in the configured time zone
(America/Mexico_City by default) as dd/mm/aaaa.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo


def _system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _system_clock
_local_tz: tzinfo = ZoneInfo("America/Mexico_City")

MONTHS_ES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)


def now() -> datetime:
    """The current time, aware, in UTC."""
    return _clock()


def set_clock(clock: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the system clock."""
    global _clock
    _clock = clock or _system_clock


def set_local_timezone(tz: tzinfo) -> None:
    """Set the zone used for what users read (called once by create_app)."""
    global _local_tz
    _local_tz = tz


def local_tz() -> tzinfo:
    """The zone users read times in."""
    return _local_tz


def to_local(moment: datetime) -> datetime:
    """Convert an aware UTC datetime to local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_local_tz)


def local_today() -> date:
    """Today's date where the users are."""
    return to_local(now()).date()


def parse_date(text: str) -> date:
    """A date typed as dd/mm/aaaa (or aaaa-mm-dd, a date input's value); ValueError if not."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    raise ValueError(text)


def start_of_day(day: date) -> datetime:
    """The first moment of ``day`` where the users are, in UTC."""
    return datetime.combine(day, time(0), tzinfo=_local_tz).astimezone(UTC)


def format_date(value: date | datetime | None) -> str:
    """dd/mm/aaaa."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    """dd/mm/aaaa HH:MM[:SS] in local time."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def format_long_date(value: date) -> str:
    """'5 de marzo de 2026' (the form used in oficios)."""
    return f"{value.day} de {MONTHS_ES[value.month - 1]} de {value.year}"
