"""The public request form: a valid submission and what its confirmation shows."""

from __future__ import annotations

import re
from typing import Any

from tests.support.web import Browser

VALID_FORM = {
    "wants_user_account": "on",
    "expediente_electronico": "si",
    "curp": "BEML920313HMCLNS09",
    "nombres": "Luis Ángel",
    "primer_apellido": "Bernal",
    "segundo_apellido": "Muñoz",
    "unit_clues": "MSSSA000120",
    "direccion_code": "DAM",
    "subdireccion_code": "SAPS",
    "departamento": "N/A",
    "telefono": "777 123 4567",
    "extension": "123",
    "contact_email": "luis.bernal@example.org",
    "staff_type_code": "medico",
    "accepts_personal_account": "on",
    "accepts_institutional_use": "on",
    "accepts_privacy_notice": "on",
}


def submit(browser: Browser, **changes: Any) -> Any:
    """POST the public form with VALID_FORM updated by ``changes`` (None removes a field)."""
    form = {k: v for k, v in {**VALID_FORM, **changes}.items() if v is not None}
    return browser.post("/solicitud", form, page="/solicitud")


SECRET_SHOWN = re.compile(r'class="secret">([^<]+)<')


def folio_and_code(response: Any) -> tuple[str, str]:
    """The folio and tracking code shown on the confirmation page."""
    folio, code = SECRET_SHOWN.findall(response.get_data(as_text=True))[:2]
    return folio, code
