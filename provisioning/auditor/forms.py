"""Reading the auditor's search form."""

from __future__ import annotations

import re
from datetime import date

from werkzeug.datastructures import MultiDict

from provisioning import curp
from provisioning.audit.export import EventFilter
from provisioning.crypto import pseudonym
from provisioning.textcheck import TextError, clean

FIELDS = ("usuario", "accion", "tipo", "objeto", "curp", "desde", "hasta")
_HMAC = re.compile(r"[0-9a-f]{64}")


def parse_filter(form: MultiDict[str, str]) -> tuple[EventFilter, dict[str, str]]:
    """The filter in ``form`` and a message per bad field (bad fields are left empty)."""
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, limit in (("usuario", 120), ("accion", 60), ("tipo", 40), ("objeto", 80)):
        try:
            values[name] = clean(form.get(name, "")[:400], max_length=limit, required=False)
        except TextError as exc:
            errors[name], values[name] = exc.message, ""
    days: dict[str, date | None] = {}
    for name in ("desde", "hasta"):
        raw = form.get(name, "")[:20].strip()
        try:
            days[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name], days[name] = "Escriba la fecha como AAAA-MM-DD.", None
    # Typed as a CURP; the page's own links and export carry its keyed hash instead.
    typed = form.get("curp", "")[:80].strip()
    curp_hmac = typed.lower() if _HMAC.fullmatch(typed.lower()) else ""
    if typed and not curp_hmac:
        if len(curp.normalize(typed)) == 18 and curp.normalize(typed).isalnum():
            curp_hmac = pseudonym("curp", typed)
        else:
            errors["curp"] = "Escriba la CURP completa (18 caracteres)."
    if days["desde"] and days["hasta"] and days["desde"] > days["hasta"]:
        errors["hasta"] = "La fecha final es anterior a la inicial."
    query = EventFilter(actor=values["usuario"], action=values["accion"],
                        object_type=values["tipo"], object_id=values["objeto"],
                        since=days["desde"], until=days["hasta"], curp_hmac=curp_hmac)
    return query, errors
