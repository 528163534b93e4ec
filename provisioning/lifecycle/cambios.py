"""The cambio de adscripción (mover): started by someone who may see the person (unit head,
liaison or IT), signed with TOTP by the head of the receiving unit, executed by a job on its
effective date: the account moves to the new unit's OU on the DC (same objectGUID), its
unit attributes and groups follow the new unit, and the person belongs to it from then on.
The old unit head is told when it starts and when it is done."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, counters, timeutil
from provisioning.catalogs import services as catalogs
from provisioning.crypto import canonical_json, pseudonym, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.directory.accounts import Person as DirectoryPerson
from provisioning.directory.accounts import Relocation
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.jobs import services as jobs
from provisioning.jobs.models import FAILED, QUEUED, RUNNING, WAITING
from provisioning.lifecycle import rules as bajas_rules
from provisioning.lifecycle import services as bajas
from provisioning.lifecycle.models import (
    CANCELADA,
    EJECUTADA,
    OPEN,
    PROGRAMADA,
    SOLICITADA,
    Cambio,
)
from provisioning.notifications.services import queue as queue_mail
from provisioning.people import services as people
from provisioning.people.accounts import DirectoryAccount
from provisioning.people.models import Person
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from provisioning.textcheck import TextError, clean

KIND = "lifecycle.cambio"
SERVICE_WIDE = bajas.SERVICE_WIDE


@dataclass(frozen=True)
class CambioInput:
    """The cambio form, cleaned."""

    to_unit_clues: str
    reason_detail: str | None
    effective_date: date


def read_form(form: dict[str, str], person: Person) -> CambioInput:
    """Clean the form; ValidationError names each wrong field (Spanish)."""
    errors: dict[str, str] = {}
    clues = (form.get("unidad_destino") or "").strip().upper()[:11]
    unit = catalogs.unit_by_clues(clues) if clues.isascii() and clues.isalnum() else None
    if unit is None:
        errors["unidad_destino"] = "Elija la unidad de destino de la lista."
    elif unit.clues == person.unit_clues:
        errors["unidad_destino"] = "La persona ya está adscrita a esa unidad."
    detail = None
    try:
        detail = clean(form.get("detalle"), max_length=500, required=False,
                       multiline=True) or None
    except TextError as exc:
        errors["detalle"] = exc.message
    today = timeutil.local_today()
    effective = today
    try:
        effective = timeutil.parse_date(form.get("fecha_efectiva") or "")
    except ValueError:
        errors["fecha_efectiva"] = "Escriba la fecha como dd/mm/aaaa."
    else:
        if effective < today:
            errors["fecha_efectiva"] = "La fecha del cambio no puede ser anterior a hoy."
        elif effective > today + timedelta(days=366):
            errors["fecha_efectiva"] = "La fecha del cambio debe estar dentro del próximo año."
    if errors:
        raise ValidationError("Revise los datos del cambio de adscripción.", errors)
    return CambioInput(clues, detail, effective)


# ---------------------------------------------------------------------------------------------
# Reading


def can_view(principal: staff.Principal, cambio: Cambio) -> bool:
    """Both units' heads and jurisdictions' liaisons, and IT."""
    units = principal.units(Role.JEFE_UNIDAD)
    jurisdictions = principal.jurisdictions(Role.ENLACE)
    return (principal.has(*SERVICE_WIDE) or cambio.from_unit_clues in units
            or cambio.to_unit_clues in units or cambio.from_jurisdiction_code in jurisdictions
            or cambio.to_jurisdiction_code in jurisdictions)


def get_for(principal: staff.Principal, cambio_id: int) -> Cambio:
    """The cambio if ``principal`` may see it; NotFound otherwise."""
    cambio = db_get(Cambio, cambio_id)
    if cambio is None or not can_view(principal, cambio):
        raise NotFound("No encontramos ese cambio de adscripción.")
    return cambio


def cambios_of(person: Person) -> list[Cambio]:
    """The person's cambios, newest first."""
    return list(session().scalars(select(Cambio).where(Cambio.person_id == person.id)
                                  .order_by(Cambio.id.desc())))


def export_rows(person: Person | None) -> list[dict[str, str]]:
    """The person's cambios de adscripción for their data export (ARCO access)."""
    if person is None:
        return []
    return [{"folio": c.folio, "de_la_unidad": c.from_unit_clues,
             "a_la_unidad": c.to_unit_clues, "detalle": c.reason_detail or "",
             "fecha_efectiva": timeutil.format_date(c.effective_date),
             "estado": c.status_label,
             "firmo": (f"{c.signer_name} ({c.signer_position}), "
                       f"{timeutil.format_datetime(c.signed_at, seconds=True)}"
                       if c.signed_at else ""),
             "ejecutado_el": timeutil.format_datetime(c.executed_at, seconds=True)}
            for c in reversed(cambios_of(person))]


def open_cambio(person: Person) -> Cambio | None:
    """The person's cambio still to run, if any."""
    return session().scalar(select(Cambio).where(Cambio.person_id == person.id,
                                                 Cambio.status.in_(OPEN)))


def _scoped(principal: staff.Principal, query: Any) -> Any:
    """``query`` limited to the cambios ``principal`` sees (either side)."""
    if principal.has(*SERVICE_WIDE):
        return query
    units, jurisdictions = (principal.units(Role.JEFE_UNIDAD),
                            principal.jurisdictions(Role.ENLACE))
    return query.where(or_(Cambio.from_unit_clues.in_(units), Cambio.to_unit_clues.in_(units),
                           Cambio.from_jurisdiction_code.in_(jurisdictions),
                           Cambio.to_jurisdiction_code.in_(jurisdictions)))


def cambios_for(principal: staff.Principal, *, limit: int = 200) -> list[Cambio]:
    """The cambios ``principal`` sees (either side), open ones first."""
    rows = list(session().scalars(_scoped(principal, select(Cambio))
                                  .order_by(Cambio.id.desc()).limit(limit)))
    return sorted(rows, key=lambda c: c.status not in OPEN)


def counts_for(principal: staff.Principal) -> dict[str, int]:
    """The open cambios of ``principal``'s scope by what they wait for (the tablero); empty
    for roles that do not take part in cambios."""
    if not principal.has(*bajas_rules.STARTERS):
        return {}
    by_status = dict(session().execute(_scoped(
        principal, select(Cambio.status, func.count()).group_by(Cambio.status))).all())
    counts = {"Cambios por firmar": by_status.get(SOLICITADA, 0),
              "Cambios programados": by_status.get(PROGRAMADA, 0)}
    if principal.has(Role.JEFE_UNIDAD):
        counts["Cambios que esperan su firma"] = session().scalar(
            select(func.count()).select_from(Cambio).where(
                Cambio.status == SOLICITADA,
                Cambio.to_unit_clues.in_(principal.units(Role.JEFE_UNIDAD)))) or 0
    return counts


def waiting_signature() -> list[Cambio]:
    """Every cambio still waiting for the receiving unit head (the daily reminder)."""
    return list(session().scalars(select(Cambio).where(Cambio.status == SOLICITADA)
                                  .order_by(Cambio.started_at)))


def may_sign(principal: staff.Principal, cambio: Cambio) -> bool:
    """The head of the receiving unit, while the cambio waits for the signature."""
    return (cambio.status == SOLICITADA
            and cambio.to_unit_clues in principal.units(Role.JEFE_UNIDAD))


def unit_label(clues: str) -> str:
    """«Name (CLUES)» of a unit."""
    unit = catalogs.unit_by_clues(clues)
    return f"{unit.name} ({clues})" if unit else clues


# ---------------------------------------------------------------------------------------------
# Operations


def start(principal: staff.Principal, person: Person, data: CambioInput, *,
          ip: str | None) -> Cambio:
    """Start a cambio; the receiving unit head is asked to sign, the old one is told."""
    if not bajas.may_start(principal, person):
        raise Forbidden("No puede cambiar la adscripción de personas fuera de su unidad o "
                        "jurisdicción.")
    account = bajas.current_account(person)
    if account is None:
        raise Conflict("Alta no tiene registrada una cuenta del directorio de esta persona.")
    if bajas.open_baja(person) is not None or bajas.is_retired(account):
        raise Conflict("La cuenta de esta persona está dada de baja o tiene una baja en curso.")
    if open_cambio(person) is not None:
        raise Conflict("Esta persona ya tiene un cambio de adscripción en curso.")
    unit = catalogs.unit_by_clues(data.to_unit_clues)
    assert unit is not None  # read_form checked it
    role = bajas.starting_role(principal, person)
    now = timeutil.now()
    year = timeutil.to_local(now).year
    cambio = Cambio(
        folio=f"CAMBIO-{year}-{counters.next_value(f'cambio:{year}'):05d}",
        person_id=person.id, object_guid=account.object_guid,
        from_unit_clues=person.unit_clues, from_jurisdiction_code=person.jurisdiction_code,
        to_unit_id=unit.id, to_unit_clues=unit.clues,
        to_jurisdiction_code=unit.jurisdiction_code, reason_detail=data.reason_detail,
        effective_date=data.effective_date, status=SOLICITADA, started_by=principal.username,
        started_role=role.value, started_at=now)
    db = session()
    try:
        with db.begin_nested():
            db.add(cambio)
    except IntegrityError:
        raise Conflict("Esta persona ya tiene un cambio de adscripción en curso.") from None
    audit.record("cambio.started", actor=principal.actor(ip, role), object_type="cambio",
                 object_id=cambio.folio,
                 summary=f"Cambio de adscripción {cambio.folio} iniciado: "
                         f"{cambio.from_unit_clues} → {cambio.to_unit_clues}",
                 details={"person_id": person.id, "from": cambio.from_unit_clues,
                          "to": cambio.to_unit_clues, "object_guid": cambio.object_guid,
                          "effective_date": cambio.effective_date.isoformat()})
    _tell(cambio, person, Role.JEFE_UNIDAD, cambio.to_unit_clues, "cambio_por_firmar",
          f"Cambio de adscripción {cambio.folio} por firmar")
    _tell(cambio, person, Role.JEFE_UNIDAD, cambio.from_unit_clues, "cambio_aviso",
          f"Cambio de adscripción {cambio.folio} de su personal")
    return cambio


def _tell(cambio: Cambio, person: Person, role: Role, clues: str, template: str,
          subject: str) -> None:
    queue_mail(staff.emails_of(role, unit_clues=clues), template, subject, cambio=cambio,
               person=person, unit_label=unit_label, object_type="cambio",
               object_id=cambio.folio)


def canonical_content(cambio: Cambio) -> dict[str, object]:
    """What the receiving unit head's signature covers."""
    person = person_of(cambio)
    return {"folio": cambio.folio, "curp": person.curp, "nombre": person.full_name,
            "object_guid": cambio.object_guid, "de": cambio.from_unit_clues,
            "a": cambio.to_unit_clues, "detalle": cambio.reason_detail or "",
            "fecha_efectiva": cambio.effective_date.isoformat(),
            "iniciado_por": cambio.started_by}


def person_of(cambio: Cambio) -> Person:
    """The person who moves."""
    person = db_get(Person, cambio.person_id)
    assert person is not None
    return person


def sign(cambio: Cambio, *, principal: staff.Principal, user: StaffUser, code: str,
         ip: str | None) -> None:
    """The receiving unit head accepts the person (fresh TOTP); the job is scheduled."""
    if cambio.status != SOLICITADA:
        raise Conflict(f"El cambio {cambio.folio} ya no espera firma.")
    if not may_sign(principal, cambio):
        raise Forbidden("Solo el jefe de la unidad que recibe a la persona firma el cambio.")
    staff.verify_step_up(user, code, ip=ip)
    raw = canonical_json(canonical_content(cambio))
    now = timeutil.now()
    cambio.signer_username, cambio.signer_name = user.username, user.full_name
    cambio.signer_position = user.position or Role.JEFE_UNIDAD.label
    cambio.signed_at, cambio.signer_ip = now, ip
    cambio.content, cambio.content_sha256 = raw.decode(), sha256_hex(raw)
    cambio.status = PROGRAMADA
    due = timeutil.start_of_day(cambio.effective_date)
    jobs.enqueue(KIND, {"cambio_id": cambio.id}, key=f"cambio:{cambio.id}",
                 object_type="cambio", object_id=cambio.folio,
                 delay=max(due - now, timedelta(0)))
    session().flush()
    actor = principal.actor(ip, Role.JEFE_UNIDAD)
    audit.record("cambio.signed", actor=actor, object_type="cambio", object_id=cambio.folio,
                 summary=f"Cambio {cambio.folio} firmado por la unidad que recibe",
                 details={"content_sha256": cambio.content_sha256})
    audit.record("cambio.scheduled", actor=actor, object_type="cambio",
                 object_id=cambio.folio,
                 summary=f"Cambio {cambio.folio} programado para el "
                         f"{timeutil.format_date(cambio.effective_date)}")


def cancel(cambio: Cambio, *, principal: staff.Principal, reason: str, ip: str | None) -> None:
    """Withdraw a cambio that has not run, with a reason (anyone who sees it)."""
    if cambio.status not in OPEN:
        raise Conflict(f"El cambio {cambio.folio} ya no puede cancelarse.")
    try:
        text = clean(reason, max_length=500, required=False, multiline=True)
    except TextError as exc:
        raise ValidationError(exc.message, {"motivo_cancelacion": exc.message}) from None
    if len(text) < 5:
        message = "Escriba por qué se cancela el cambio (al menos 5 caracteres)."
        raise ValidationError(message, {"motivo_cancelacion": message})
    job = jobs.latest_for("cambio", cambio.folio, KIND)
    if job is not None and job.status == RUNNING:
        raise Conflict(f"El cambio {cambio.folio} se está ejecutando en este momento.")
    actor = principal.actor(ip)
    if job is not None and job.status in (QUEUED, FAILED, WAITING):
        jobs.cancel(job, actor=actor)
    cambio.status, cambio.cancelled_at = CANCELADA, timeutil.now()
    cambio.cancelled_by, cambio.cancel_reason = principal.username, text
    session().flush()
    audit.record("cambio.cancelled", actor=actor, object_type="cambio",
                 object_id=cambio.folio, summary=f"Cambio {cambio.folio} cancelado")


# ---------------------------------------------------------------------------------------------
# The job's side


@dataclass(frozen=True)
class Due:
    """What the job needs: the account and the person as the new unit's."""

    guid: str
    person: DirectoryPerson


def due(cambio_id: int) -> Due | None:
    """The cambio to execute now, or None (done or cancelled)."""
    cambio = db_get(Cambio, cambio_id)
    if cambio is None or cambio.status != PROGRAMADA:
        return None
    return Due(cambio.object_guid, directory_person(cambio))


def directory_person(cambio: Cambio) -> DirectoryPerson:
    """The person as the directory sees them in the new unit (NotFound: the unit left the
    catalog, or the person was anonymized)."""
    person = person_of(cambio)
    unit = catalogs.unit_by_clues(cambio.to_unit_clues)
    if unit is None or person.curp is None:
        raise NotFound(f"La unidad {cambio.to_unit_clues} ya no está en el catálogo.")
    return DirectoryPerson(
        curp=person.curp, given_names=person.nombres, first_surname=person.primer_apellido,
        second_surname=person.segundo_apellido, folio=cambio.folio, unit_name=unit.name,
        unit_clues=unit.clues, unit_type=unit.unit_type,
        jurisdiction_code=unit.jurisdiction_code, staff_type_code=person.staff_type_code)


def record_execution(cambio_id: int, relocation: Relocation) -> Cambio | None:
    """Record the move; idempotent. The person now belongs to the new unit."""
    cambio = db_get(Cambio, cambio_id)
    if cambio is None or cambio.status != PROGRAMADA:
        return None
    account = relocation.account
    cambio.status, cambio.executed_at = EJECUTADA, timeutil.now()
    cambio.groups_added = json.dumps(list(relocation.added_groups))
    cambio.groups_removed = json.dumps(list(relocation.removed_groups))
    for row in session().scalars(select(DirectoryAccount).where(
            DirectoryAccount.object_guid == account.guid)):
        row.dn = account.dn
    person = person_of(cambio)
    actor = audit.Actor.system()
    people.move_to(person, unit_id=cambio.to_unit_id, unit_clues=cambio.to_unit_clues,
                   jurisdiction_code=cambio.to_jurisdiction_code, actor=actor)
    session().flush()
    audit.record("directory.account_moved", actor=actor, object_type="cambio",
                 object_id=cambio.folio,
                 summary=f"Cuenta movida a la unidad {cambio.to_unit_clues} por el cambio "
                         f"{cambio.folio}",
                 details={"object_guid": account.guid,
                          "added_groups": list(relocation.added_groups),
                          "removed_groups": list(relocation.removed_groups),
                          "curp_hmac": pseudonym("curp", person.curp) if person.curp else ""})
    audit.record("cambio.executed", actor=actor, object_type="cambio", object_id=cambio.folio,
                 summary=f"Cambio de adscripción {cambio.folio} ejecutado")
    for clues in (cambio.from_unit_clues, cambio.to_unit_clues):
        _tell(cambio, person, Role.JEFE_UNIDAD, clues, "cambio_ejecutado",
              f"Cambio de adscripción {cambio.folio} ejecutado")
    return cambio
