"""The applicant's short verified window: after folio + tracking code (or their new domain
credentials), this browser may act on that one request for a few minutes.

The session keeps the verified folio (never the code) and its deadline. Pages that act for
the applicant (tracking, correction, PDF, ARCO) read it through ``tracked``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from provisioning.errors import AltaError
from provisioning.web import SessionWindow

TRACKED_MINUTES = 15
_TRACKED = SessionWindow("seguimiento")

T = TypeVar("T")


def remember_tracked(folio: str) -> None:
    """Let this browser act on ``folio`` for TRACKED_MINUTES (folio only, never the code)."""
    _TRACKED.remember(folio, minutes=TRACKED_MINUTES)


def forget_tracked() -> None:
    """End the applicant's verified window."""
    _TRACKED.forget()


def tracked_folio() -> str | None:
    """The folio verified in this session while the window lasts, else None."""
    return _TRACKED.folio()


def tracked(load: Callable[[str], T | None]) -> T:
    """What ``load`` finds for the verified folio; 403 asking for folio + code again when
    the window lapsed, 404 when nothing has that folio any more."""
    folio = tracked_folio()
    if folio is None:
        raise AltaError("Por seguridad, vuelva a escribir su folio y su código de seguimiento "
                        "en la página de Seguimiento.", status=403)
    found = load(folio)
    if found is None:
        raise AltaError("No encontramos esa solicitud.", status=404)
    return found
