"""Temporary staff: which staff types must give the last day of their access, and for how
long an account may be granted at once (one table, like the alta's signature rules).

Residentes, internos de pregrado and pasantes de servicio social rotate by academic year,
and eventual (contract) staff by contract; their accounts end by themselves on that date
(``accountExpires``) unless the unit head signs an extension (``lifecycle.temporary``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from provisioning import timeutil

# staff type code → the longest access granted at once, in days from the day it is asked.
TEMPORARY_MAX_DAYS: dict[str, int] = {
    "residente": 366,
    "interno": 366,
    "pasante": 366,
    "eventual": 184,
}
# Anyone else may give an end date too (a fixed-term appointment), up to this.
OTHERS_MAX_DAYS = 5 * 366


def expires_at(end_date: date | None) -> datetime | None:
    """When an account whose last day is ``end_date`` stops working (accountExpires): the
    first moment of the next local day. None: never."""
    return timeutil.start_of_day(end_date + timedelta(days=1)) if end_date else None


def requires_end_date(staff_type_code: str) -> bool:
    """True when this staff type must give the last day of their access."""
    return staff_type_code in TEMPORARY_MAX_DAYS


def max_end_date(staff_type_code: str, today: date) -> date:
    """The latest end date this staff type may be granted, asked on ``today``."""
    return today + timedelta(days=TEMPORARY_MAX_DAYS.get(staff_type_code, OTHERS_MAX_DAYS))


def end_date_problem(staff_type_code: str, end_date: date | None, today: date) -> str | None:
    """What is wrong with ``end_date`` for this staff type (Spanish), or None."""
    if end_date is None:
        if requires_end_date(staff_type_code):
            return ("Para este tipo de personal indique la fecha de término de su "
                    "nombramiento, contrato o rotación.")
        return None
    if end_date <= today:
        return "La fecha de término debe ser posterior a hoy."
    latest = max_end_date(staff_type_code, today)
    if end_date > latest:
        months = TEMPORARY_MAX_DAYS.get(staff_type_code, OTHERS_MAX_DAYS) * 12 // 366
        return (f"La fecha de término puede ser como máximo {latest:%d/%m/%Y} "
                f"({months} meses desde hoy); después se pide una prórroga.")
    return None
