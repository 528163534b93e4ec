"""Temporary staff (residentes, internos, pasantes, eventuales): the last day of access is
signed with the alta (``people.rules``) and written to the account's accountExpires when
IT creates it. A daily sweep (``sweep``) tells the unit head and the person 15 and 3
business days before that day, and once it has passed starts the baja by itself (reason
«término de contrato», no signature: the end date was signed). Before that, the unit head
may sign a prórroga (``extend``, TOTP): a job moves accountExpires to the new last day and
the notices start again for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, counters, timeutil, workdays
from provisioning.account_requests.models import AccountRequest
from provisioning.crypto import canonical_json, pseudonym, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.directory.accounts import Account
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.jobs import services as jobs
from provisioning.lifecycle import services as bajas
from provisioning.lifecycle.models import EndNotice, Extension
from provisioning.notifications.services import queue as queue_mail
from provisioning.people import rules as people_rules
from provisioning.people.accounts import DirectoryAccount
from provisioning.people.models import Person
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from provisioning.textcheck import TextError, clean

KIND = "lifecycle.extension"
# Business days before the last day at which the unit head and the person are told.
STAGES = (15, 3)


# ---------------------------------------------------------------------------------------------
# Prórroga


@dataclass(frozen=True)
class ExtensionInput:
    """The prórroga form, cleaned."""

    new_end_date: date
    reason_detail: str | None


def read_form(form: dict[str, str], person: Person) -> ExtensionInput:
    """Clean the form against the person's staff type rule; ValidationError in Spanish."""
    errors: dict[str, str] = {}
    new_end = None
    try:
        new_end = timeutil.parse_date(clean(form.get("nueva_fecha"), max_length=20))
    except (TextError, ValueError):
        errors["nueva_fecha"] = "Escriba el nuevo último día como dd/mm/aaaa."
    if new_end is not None:
        problem = people_rules.end_date_problem(person.staff_type_code, new_end,
                                                timeutil.local_today())
        if problem:
            errors["nueva_fecha"] = problem
        elif person.end_date is not None and new_end <= person.end_date:
            errors["nueva_fecha"] = (f"La prórroga debe ser posterior al último día vigente "
                                     f"({timeutil.format_date(person.end_date)}).")
    detail = None
    try:
        detail = clean(form.get("detalle"), max_length=500, required=False,
                       multiline=True) or None
    except TextError as exc:
        errors["detalle"] = exc.message
    if errors:
        raise ValidationError("Revise los datos de la prórroga.", errors)
    assert new_end is not None
    return ExtensionInput(new_end, detail)


def may_extend(principal: staff.Principal, person: Person) -> bool:
    """Only the head of the person's unit signs a prórroga."""
    return person.unit_clues in principal.units(Role.JEFE_UNIDAD)


def get_for(principal: staff.Principal, extension_id: int) -> Extension:
    """The prórroga if ``principal`` may see its person; NotFound otherwise."""
    extension = db_get(Extension, extension_id)
    person = db_get(Person, extension.person_id) if extension else None
    if extension is None or person is None or not bajas.sees_person(principal, person):
        raise NotFound("No encontramos esa prórroga.")
    return extension


def extensions_of(person: Person) -> list[Extension]:
    """The person's prórrogas, oldest first."""
    return list(session().scalars(select(Extension).where(Extension.person_id == person.id)
                                  .order_by(Extension.id)))


def export_rows(person: Person | None) -> list[dict[str, str]]:
    """The person's prórrogas for their data export (ARCO access)."""
    if person is None:
        return []
    return [{"folio": x.folio, "ultimo_dia_anterior": timeutil.format_date(x.old_end_date),
             "nuevo_ultimo_dia": timeutil.format_date(x.new_end_date),
             "detalle": x.reason_detail or "",
             "firmo": (f"{x.signer_name} ({x.signer_position}), "
                       f"{timeutil.format_datetime(x.signed_at, seconds=True)}"),
             "aplicada_en_el_directorio": timeutil.format_datetime(x.executed_at,
                                                                   seconds=True)}
            for x in extensions_of(person)]


def _live_account(person: Person) -> DirectoryAccount:
    account = bajas.current_account(person)
    if account is None:
        raise Conflict("Alta no tiene registrada una cuenta del directorio de esta persona.")
    if bajas.open_baja(person) is not None or bajas.is_retired(account):
        raise Conflict("La cuenta de esta persona está dada de baja o tiene una baja en curso: "
                       "ya no se prorroga (para volver, una nueva solicitud de alta).")
    return account


def extend(principal: staff.Principal, user: StaffUser, person: Person,
           data: ExtensionInput, *, code: str, ip: str | None) -> Extension:
    """The unit head signs a later last day (fresh TOTP); the job moves accountExpires.
    Audits ``extension.signed``."""
    if not may_extend(principal, person):
        raise Forbidden("Solo el jefe de la unidad de la persona firma una prórroga.")
    if person.end_date is None:
        raise Conflict("Esta persona no tiene fecha de término: no hay nada que prorrogar.")
    account = _live_account(person)
    staff.verify_step_up(user, code, ip=ip)
    now = timeutil.now()
    year = timeutil.to_local(now).year
    folio = f"PRORROGA-{year}-{counters.next_value(f'prorroga:{year}'):05d}"
    content = {"folio": folio, "curp": person.curp, "nombre": person.full_name,
               "object_guid": account.object_guid, "unidad": person.unit_clues,
               "ultimo_dia_anterior": person.end_date.isoformat(),
               "nuevo_ultimo_dia": data.new_end_date.isoformat(),
               "detalle": data.reason_detail or ""}
    raw = canonical_json(content)
    extension = Extension(
        folio=folio, person_id=person.id, object_guid=account.object_guid,
        unit_clues=person.unit_clues, jurisdiction_code=person.jurisdiction_code,
        old_end_date=person.end_date, new_end_date=data.new_end_date,
        reason_detail=data.reason_detail, signer_username=user.username,
        signer_name=user.full_name, signer_position=user.position or Role.JEFE_UNIDAD.label,
        signed_at=now, signer_ip=ip, content_sha256=sha256_hex(raw), content=raw.decode())
    session().add(extension)
    person.end_date, person.updated_at = data.new_end_date, now
    session().flush()
    jobs.enqueue(KIND, {"extension_id": extension.id}, key=f"prorroga:{extension.id}",
                 object_type="prorroga", object_id=folio)
    audit.record("extension.signed", actor=principal.actor(ip, Role.JEFE_UNIDAD),
                 object_type="prorroga", object_id=folio,
                 summary=f"Prórroga {folio}: acceso hasta el "
                         f"{timeutil.format_date(data.new_end_date)} (antes "
                         f"{timeutil.format_date(extension.old_end_date)})",
                 details={"person_id": person.id, "object_guid": account.object_guid,
                          "old_end_date": extension.old_end_date.isoformat(),
                          "new_end_date": data.new_end_date.isoformat(),
                          "content_sha256": extension.content_sha256})
    return extension


@dataclass(frozen=True)
class DueExtension:
    """What the prórroga job tells the DC."""

    folio: str
    guid: str
    expires_at: object  # datetime


def due(extension_id: int) -> DueExtension | None:
    """The prórroga still to write to the DC, or None (done, or the person has left)."""
    extension = db_get(Extension, extension_id)
    if extension is None or extension.executed_at is not None:
        return None
    person = db_get(Person, extension.person_id)
    if person is None or bajas.open_baja(person) is not None:
        return None  # leaving after all: the baja sets the expiry
    return DueExtension(extension.folio, extension.object_guid,
                        people_rules.expires_at(extension.new_end_date))


def record_extension(extension_id: int, account: Account) -> None:
    """Record that the DC took the new expiry (idempotent); audits
    ``directory.expiry_set``."""
    extension = db_get(Extension, extension_id)
    if extension is None or extension.executed_at is not None:
        return
    extension.executed_at = timeutil.now()
    audit.record("directory.expiry_set", actor=audit.Actor.system(), object_type="prorroga",
                 object_id=extension.folio,
                 summary=f"Vencimiento de la cuenta movido al "
                         f"{timeutil.format_date(extension.new_end_date)} por la prórroga "
                         f"{extension.folio}",
                 details={"object_guid": account.guid,
                          "account_expires": account.account_expires})


def ending_count(principal: staff.Principal, today: date | None = None) -> int:
    """How many people of ``principal``'s scope lose their temporary access within the
    first notice's window (15 business days): the tablero's card."""
    today = today or timeutil.local_today()
    horizon = today
    while workdays.business_days_between(today, horizon) < STAGES[0]:
        horizon += timedelta(days=1)
    query = select(Person.id).where(Person.end_date.is_not(None), Person.end_date >= today,
                                    Person.end_date <= horizon, Person.curp.is_not(None))
    if not principal.has(*bajas.SERVICE_WIDE):
        query = query.where(or_(Person.unit_clues.in_(principal.units(Role.JEFE_UNIDAD)),
                                Person.jurisdiction_code.in_(
                                    principal.jurisdictions(Role.ENLACE))))
    count = 0
    for person_id in session().scalars(query):
        person = db_get(Person, person_id)
        account = bajas.current_account(person) if person else None
        if account is not None and not bajas.is_retired(account) \
                and bajas.open_baja(person) is None:
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# The daily sweep


@dataclass(frozen=True)
class Sweep:
    """What one sweep did."""

    notices: int
    bajas: list[str]


def _sent(person: Person, end: date) -> set[int]:
    return set(session().scalars(select(EndNotice.stage).where(
        EndNotice.person_id == person.id, EndNotice.end_date == end)))


def _contact(person: Person) -> str | None:
    return session().scalar(select(AccountRequest.contact_email).where(
        AccountRequest.person_id == person.id).order_by(AccountRequest.id.desc()).limit(1))


def _notify(person: Person, stage: int, days: int, stages: list[int]) -> bool:
    """Record the notice rows first (a concurrent sweep loses the insert), then mail."""
    now = timeutil.now()
    assert person.end_date is not None
    try:
        with session().begin_nested():
            for s in stages:
                session().add(EndNotice(person_id=person.id, end_date=person.end_date,
                                        stage=s, sent_at=now))
    except IntegrityError:
        return False
    recipients = [*staff.emails_of(Role.JEFE_UNIDAD, unit_clues=person.unit_clues),
                  _contact(person) or ""]
    last_day = timeutil.format_date(person.end_date)
    queue_mail(recipients, "fin_de_acceso",
               f"Fin del acceso a SIEMPRE el {last_day}", person=person,
               last_day=last_day, days=days, object_type="person", object_id=str(person.id))
    audit.record("person.end_notice", actor=audit.Actor.system(), object_type="person",
                 object_id=person.id,
                 summary=f"Aviso de fin de acceso ({stage} días hábiles antes del {last_day})",
                 details={"stage": stage, "end_date": person.end_date.isoformat(),
                          "curp_hmac": pseudonym("curp", person.curp) if person.curp else ""})
    return True


def sweep(today: date | None = None) -> Sweep:
    """Notices before each temporary person's last day and the bajas once it has passed.
    Idempotent: run it as often as you like (the worker runs it every few hours)."""
    today = today or timeutil.local_today()
    notices, started = 0, []
    people = list(session().scalars(select(Person).where(
        Person.end_date.is_not(None), Person.curp.is_not(None)).order_by(Person.id)))
    for person in people:
        account = bajas.current_account(person)
        assert person.end_date is not None
        if account is None or bajas.open_baja(person) is not None or bajas.is_retired(account):
            continue
        if person.end_date < today:
            baja = bajas.end_of_term(person, account, person.end_date)
            if baja is not None:
                started.append(baja.folio)
            continue
        days = workdays.business_days_between(today, person.end_date)
        due_stages = [s for s in STAGES if days <= s]
        missing = sorted(set(due_stages) - _sent(person, person.end_date))
        if missing and _notify(person, min(due_stages), days, missing):
            notices += 1
    return Sweep(notices, started)
