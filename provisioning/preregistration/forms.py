"""Reading the pre-registration form: each field cleaned, errors in Spanish per field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from werkzeug.datastructures import MultiDict

from provisioning import curp, timeutil
from provisioning.errors import ValidationError
from provisioning.textcheck import TextError, clean, person_name, phone

_CEDULA = re.compile(r"^[0-9]{7,8}$")  # cédula profesional (SEP): 7 or 8 digits


@dataclass(frozen=True)
class PreRegistrationInput:
    """The person's answers (NOM-024 Tabla 1, cédula, phone), cleaned, not yet cross-checked."""

    nombres: str
    primer_apellido: str
    segundo_apellido: str | None
    fecha_nacimiento: date
    sexo: str
    entidad_nacimiento: str
    nacionalidad: str
    staff_type_code: str
    cedula_profesional: str | None
    telefono_institucional: str


def _birth_date(value: str | None) -> date:
    try:
        return timeutil.parse_date(clean(value, max_length=10))
    except ValueError:
        raise TextError("Escriba la fecha como dd/mm/aaaa.") from None


def _choice(value: str | None, pattern: str, allowed: set[str] | None = None) -> str:
    """A value picked from a list, upper case (sexo, entidad, nacionalidad)."""
    text = clean(value, max_length=40).upper()
    if not re.fullmatch(pattern, text) or (allowed is not None and text not in allowed):
        raise TextError("Elija una opción de la lista.")
    return text


def _code(value: str | None) -> str:
    """A catalog code as it is (tipo de personal)."""
    text = clean(value, max_length=40)
    if not (text.isascii() and all(c.isalnum() or c == "_" for c in text)):
        raise TextError("Elija una opción de la lista.")
    return text


def _cedula(value: str | None) -> str | None:
    text = re.sub(r"\s", "", clean(value, max_length=20, required=False))
    if text and not _CEDULA.match(text):
        raise TextError("La cédula profesional tiene 7 u 8 dígitos.")
    return text or None


def parse(form: MultiDict[str, str], *, allow_sex_x: bool = False) -> PreRegistrationInput:
    """Clean every field; raise ValidationError listing each bad field."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    sexes = {"H", "M", "X"} if allow_sex_x else {"H", "M"}
    checks = {
        "nombres": lambda v: person_name(v),
        "primer_apellido": lambda v: person_name(v),
        "segundo_apellido": lambda v: person_name(v, required=False) or None,
        "fecha_nacimiento": _birth_date,
        "sexo": lambda v: _choice(v, r"[HMX]", sexes),
        "entidad_nacimiento": lambda v: _choice(v, r"[A-Z]{2}", set(curp.STATES)),
        "nacionalidad": lambda v: _choice(v, r"[A-Z]{3}"),
        "staff_type_code": _code,
        "cedula_profesional": _cedula,
        "telefono_institucional": lambda v: phone(v),
    }
    for name, check in checks.items():
        try:
            values[name] = check(form.get(name))
        except TextError as exc:
            errors[name] = exc.message
    if errors:
        raise ValidationError("Revise los datos marcados en el formulario.", errors)
    return PreRegistrationInput(**values)  # type: ignore[arg-type]
