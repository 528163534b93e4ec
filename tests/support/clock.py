"""A controllable clock for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """A frozen clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 16, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
