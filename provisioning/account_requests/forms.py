"""Reading the public form: every field cleaned and checked, errors in Spanish per field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from werkzeug.datastructures import MultiDict

from provisioning import curp, timeutil
from provisioning.errors import ValidationError
from provisioning.textcheck import TextError, clean, digits, email, person_name, phone

NA = "N/A"


@dataclass(frozen=True)
class RequestInput:
    """The applicant's answers, cleaned (business rules are checked by the service)."""

    wants_user_account: bool
    wants_email_account: bool
    wants_ece: bool
    curp: str
    nombres: str
    primer_apellido: str
    segundo_apellido: str | None
    unit_clues: str
    direccion_code: str
    subdireccion_code: str
    departamento: str
    telefono: str
    extension: str | None
    contact_email: str
    staff_type_code: str
    accepts_personal_account: bool
    accepts_institutional_use: bool
    accepts_privacy_notice: bool
    end_date: date | None = None  # temporary staff: the last day of their access


def _end_date(value: str | None) -> date | None:
    text = clean(value, max_length=20, required=False)
    if not text:
        return None
    try:
        return timeutil.parse_date(text)
    except ValueError:
        raise TextError("Escriba la fecha de término como dd/mm/aaaa.") from None


def _code(value: str | None, limit: int) -> str:
    text = clean(value, max_length=limit, required=False)
    if text and not all(c.isascii() and (c.isalnum() or c == "_") for c in text):
        raise TextError("Elija una opción de la lista.")
    return text


def parse(form: MultiDict[str, str], *, allow_sex_x: bool = False) -> RequestInput:
    """Clean every field of ``form``; raise ValidationError listing each bad field."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}

    def take(name: str, check: object) -> None:
        try:
            values[name] = check(form.get(name))  # type: ignore[operator]
        except TextError as exc:
            errors[name] = exc.message
        except curp.CurpError as exc:
            errors[name] = exc.message

    take("curp", lambda v: curp.validate(clean(v, max_length=30),
                                         allow_sex_x=allow_sex_x).curp)
    take("nombres", lambda v: person_name(v))
    take("primer_apellido", lambda v: person_name(v))
    take("segundo_apellido", lambda v: person_name(v, required=False) or None)
    take("unit_clues", lambda v: _code(v, 11))
    take("direccion_code", lambda v: _code(v, 20))
    take("subdireccion_code", lambda v: _code(v, 20))
    take("departamento", lambda v: clean(v, max_length=120, required=False))
    take("telefono", lambda v: phone(v))
    take("extension", lambda v: digits(v, max_length=6) or None)
    take("contact_email", lambda v: email(v))
    take("staff_type_code", lambda v: _code(v, 40))
    try:
        values["end_date"] = _end_date(form.get("fecha_termino"))
    except TextError as exc:
        errors["fecha_termino"] = exc.message
    ece = form.get("expediente_electronico", "")
    # With expediente electrónico the unit decides dirección and subdirección (observación
    # 3): left blank, the service fills them.
    chosen = ("unit_clues", "staff_type_code") if ece == "si" else (
        "unit_clues", "direccion_code", "subdireccion_code", "staff_type_code")
    for name in chosen:
        if name not in errors and not values.get(name):
            errors[name] = "Elija una opción de la lista."
    if ece not in ("si", "no"):
        errors["expediente_electronico"] = "Indique si solicita expediente electrónico (SI/NO)."
    flags = {name: form.get(name) == "on" for name in (
        "wants_user_account", "wants_email_account", "accepts_personal_account",
        "accepts_institutional_use", "accepts_privacy_notice")}
    if not (flags["wants_user_account"] or flags["wants_email_account"]):
        errors["wants_user_account"] = "Marque al menos una: cuenta de usuario o de correo."
    for name, message, asked in (
        ("accepts_personal_account", "Debe aceptar que la cuenta es personal e intransferible.",
         True),
        # Observación 2 is about the mail account: asked only of whoever asks for one.
        ("accepts_institutional_use", "Debe comprometerse a usar el correo solo con fines "
                                      "institucionales.", flags["wants_email_account"]),
        ("accepts_privacy_notice", "Debe leer y aceptar el aviso de privacidad.", True),
    ):
        if asked and not flags[name]:
            errors[name] = message
    if errors:
        raise ValidationError("Revise los datos marcados en el formulario.", errors)
    return RequestInput(wants_ece=ece == "si", **flags, **values)  # type: ignore[arg-type]
