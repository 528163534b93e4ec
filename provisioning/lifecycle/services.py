"""The baja: started by a unit head, the liaison or IT for a person of their scope, signed
by the unit head (rules.BAJA_CHAIN), executed by a job on its effective date; or urgent,
executed at once by IT. Every step is audited; the DC is only touched by the job
(``lifecycle.tasks``), so a DC down or a worker killed midway loses nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, counters, timeutil
from provisioning.crypto import canonical_json, pseudonym, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.directory.accounts import Retirement
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.handoff import services as handoff
from provisioning.jobs import services as jobs
from provisioning.jobs.models import FAILED, QUEUED, RUNNING, WAITING
from provisioning.lifecycle import rules
from provisioning.lifecycle.models import (
    CANCELADA,
    EJECUTADA,
    OPEN,
    PROGRAMADA,
    SOLICITADA,
    Baja,
    BajaSignature,
)
from provisioning.naming import search_key
from provisioning.notifications.services import queue as queue_mail
from provisioning.people import services as people
from provisioning.people.accounts import DirectoryAccount
from provisioning.people.models import Person
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from provisioning.textcheck import TextError, clean

KIND = "lifecycle.baja"
SERVICE_WIDE = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
PER_PAGE = 50


# ---------------------------------------------------------------------------------------------
# Scope


def sees_person(principal: staff.Principal, person: Person) -> bool:
    """True when ``principal`` may see and act on ``person`` (a unit head: their units; the
    liaison: their jurisdiction; IT: everyone)."""
    return people.in_scope(person, units=principal.units(Role.JEFE_UNIDAD),
                           jurisdictions=principal.jurisdictions(Role.ENLACE),
                           service_wide=principal.has(*SERVICE_WIDE))


def get_person_for(principal: staff.Principal, person_id: int) -> Person:
    """The person if ``principal`` may see them; NotFound otherwise (either way)."""
    person = db_get(Person, person_id)
    if person is None or person.curp is None or not sees_person(principal, person):
        raise NotFound("No encontramos a esa persona.")
    return person


COUNT_CAP = 10_000  # people counted for the list's heading; past it, «más de 10,000»


@dataclass(frozen=True)
class PeoplePage:
    """One page of people in a staff member's scope."""

    rows: list[Person]
    total: int  # COUNT_CAP + 1 means "more than COUNT_CAP"
    page: int
    pages: int

    @property
    def more_than_cap(self) -> bool:
        """True when there are more people than were counted."""
        return self.total > COUNT_CAP


def people_for(principal: staff.Principal, *, text: str = "", page: int = 1) -> PeoplePage:
    """The people in ``principal``'s scope, by surname; ``text`` filters by name or CURP."""
    query = select(Person).where(Person.curp.is_not(None))
    if not principal.has(*SERVICE_WIDE):
        query = query.where(or_(
            Person.unit_clues.in_(principal.units(Role.JEFE_UNIDAD)),
            Person.jurisdiction_code.in_(principal.jurisdictions(Role.ENLACE))))
    try:
        text = clean(text, max_length=80, required=False)
    except TextError as exc:
        raise ValidationError(f"Revise la búsqueda: {exc.message}", {"q": exc.message}) \
            from None
    # Each word anywhere in the CURP or the names, accents and case aside («nunez» finds
    # NÚÑEZ); a trigram index answers it on PostgreSQL (migration 0900).
    for word in search_key(text).split()[:5]:
        query = query.where(Person.search_text.contains(word, autoescape=True))
    # Counted up to COUNT_CAP + 1 only: counting a million people took longer than the page.
    total = session().scalar(select(func.count()).select_from(
        query.with_only_columns(Person.id).limit(COUNT_CAP + 1).subquery())) or 0
    pages = max(1, -(-min(total, COUNT_CAP) // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = list(session().scalars(query.order_by(Person.primer_apellido, Person.nombres,
                                                 Person.id)
                                  .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return PeoplePage(rows, total, page, pages)


def record_person_view(person: Person, *, actor: audit.Actor) -> None:
    """Audit a read of the person's record (their page)."""
    audit.record("person.viewed", actor=actor, object_type="person", object_id=person.id,
                 summary=f"Consulta del expediente de la persona {person.id}")


def record_people_list(rows: list[Person], *, actor: audit.Actor, search: bool) -> None:
    """Audit a list of people shown (names and CURPs are personal data)."""
    if rows:
        audit.record("person.list_viewed", actor=actor, object_type="person",
                     object_id="lista", summary=f"Lista de {len(rows)} personas"
                     + (" (búsqueda)" if search else ""),
                     details={"person_ids": [p.id for p in rows]})


def current_account(person: Person) -> DirectoryAccount | None:
    """The person's newest directory account as Alta recorded it."""
    return session().scalar(select(DirectoryAccount)
                            .where(DirectoryAccount.person_id == person.id)
                            .order_by(DirectoryAccount.created_at.desc(),
                                      DirectoryAccount.id.desc()).limit(1))


def accounts_of(person: Person) -> list[DirectoryAccount]:
    """The person's directory accounts, one row per objectGUID (newest first)."""
    rows = session().scalars(select(DirectoryAccount)
                             .where(DirectoryAccount.person_id == person.id)
                             .order_by(DirectoryAccount.created_at.desc(),
                                       DirectoryAccount.id.desc()))
    seen: dict[str, DirectoryAccount] = {}
    for row in rows:
        seen.setdefault(row.object_guid, row)
    return list(seen.values())


# ---------------------------------------------------------------------------------------------
# Reading bajas


def bajas_of(person: Person) -> list[Baja]:
    """The person's bajas, newest first."""
    return list(session().scalars(select(Baja).where(Baja.person_id == person.id)
                                  .order_by(Baja.id.desc())))


def open_baja(person: Person) -> Baja | None:
    """The person's baja still to run, if any."""
    return session().scalar(select(Baja).where(Baja.person_id == person.id,
                                               Baja.status.in_(OPEN)))


def can_view(principal: staff.Principal, baja: Baja) -> bool:
    """True when ``principal`` may see ``baja`` (the scope of the day it was started)."""
    return (principal.has(*SERVICE_WIDE) or baja.unit_clues in principal.units(Role.JEFE_UNIDAD)
            or baja.jurisdiction_code in principal.jurisdictions(Role.ENLACE))


def get_for(principal: staff.Principal, baja_id: int) -> Baja:
    """The baja if ``principal`` may see it; NotFound otherwise."""
    baja = db_get(Baja, baja_id)
    if baja is None or not can_view(principal, baja):
        raise NotFound("No encontramos esa baja.")
    return baja


def bajas_for(principal: staff.Principal, *, limit: int = 200) -> list[Baja]:
    """The bajas ``principal`` sees, open ones first, newest first."""
    query = select(Baja)
    if not principal.has(*SERVICE_WIDE):
        query = query.where(or_(Baja.unit_clues.in_(principal.units(Role.JEFE_UNIDAD)),
                                Baja.jurisdiction_code.in_(
                                    principal.jurisdictions(Role.ENLACE))))
    rows = list(session().scalars(query.order_by(Baja.id.desc()).limit(limit)))
    return sorted(rows, key=lambda b: b.status not in OPEN)


def to_sign(principal: staff.Principal) -> list[Baja]:
    """The bajas waiting for ``principal``'s signature."""
    units = principal.units(Role.JEFE_UNIDAD)
    if not units:
        return []
    rows = session().scalars(select(Baja).where(Baja.status == SOLICITADA,
                                                Baja.unit_clues.in_(units))
                             .order_by(Baja.id))
    return [b for b in rows if my_step(principal, b) is not None]


def counts_for(principal: staff.Principal) -> dict[str, int]:
    """The bajas of ``principal``'s scope by what they wait for (the tablero's card); empty
    for roles that do not take part in bajas."""
    if not principal.has(*rules.STARTERS):
        return {}
    query = select(Baja.status, func.count()).group_by(Baja.status)
    if not principal.has(*SERVICE_WIDE):
        query = query.where(or_(Baja.unit_clues.in_(principal.units(Role.JEFE_UNIDAD)),
                                Baja.jurisdiction_code.in_(
                                    principal.jurisdictions(Role.ENLACE))))
    by_status = dict(session().execute(query).all())
    counts = {"Bajas por firmar": by_status.get(SOLICITADA, 0),
              "Bajas programadas": by_status.get(PROGRAMADA, 0),
              "Bajas ejecutadas": by_status.get(EJECUTADA, 0)}
    if principal.has(Role.JEFE_UNIDAD):
        counts["Bajas que esperan su firma"] = len(to_sign(principal))
    return counts


def waiting_signature() -> list[Baja]:
    """Every baja still waiting for a signature (the daily reminder)."""
    return list(session().scalars(select(Baja).where(Baja.status == SOLICITADA)
                                  .order_by(Baja.started_at)))


def person_of(baja: Baja) -> Person:
    """The person the baja is for."""
    person = db_get(Person, baja.person_id)
    assert person is not None  # a foreign key
    return person


def signatures(baja: Baja) -> list[BajaSignature]:
    """The baja's signatures in signing order."""
    return list(session().scalars(select(BajaSignature).where(BajaSignature.baja_id == baja.id)
                                  .order_by(BajaSignature.id)))


def removed_groups(baja: Baja) -> list[str]:
    """The groups the account left when the baja ran."""
    return json.loads(baja.removed_groups) if baja.removed_groups else []


def pending_step(baja: Baja) -> rules.Step | None:
    """The signature the baja waits for now, or None."""
    if baja.status != SOLICITADA:
        return None
    signed = {s.step for s in signatures(baja)}
    return next((s for s in rules.chain(baja.reason_code) if s.code not in signed), None)


def my_step(principal: staff.Principal, baja: Baja) -> rules.Step | None:
    """The step ``principal`` may sign now, or None."""
    step = pending_step(baja)
    if step is None or not principal.has(step.role):
        return None
    if step.role.scope == "unit" and baja.unit_clues not in principal.units(step.role):
        return None
    if step.role.scope == "jurisdiction" and (baja.jurisdiction_code
                                              not in principal.jurisdictions(step.role)):
        return None
    return step


def may_start(principal: staff.Principal, person: Person) -> bool:
    """True when ``principal`` may start a baja for ``person``."""
    return principal.has(*rules.STARTERS) and sees_person(principal, person)


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class BajaInput:
    """The baja form, cleaned."""

    reason_code: str
    reason_detail: str | None
    effective_date: date


def read_form(form: dict[str, str], *, urgent: bool = False) -> BajaInput:
    """Clean the form; ValidationError names each wrong field (Spanish)."""
    errors: dict[str, str] = {}
    reason = (form.get("motivo") or "").strip()
    if reason not in rules.REASONS:
        errors["motivo"] = "Elija el motivo de la baja de la lista."
    detail: str | None = None
    try:
        detail = clean(form.get("detalle"), max_length=500, required=False,
                       multiline=True) or None
    except TextError as exc:
        errors["detalle"] = exc.message
    needs_detail = urgent or reason in rules.DETAIL_REQUIRED
    if needs_detail and "detalle" not in errors and (detail is None or len(detail) < 10):
        errors["detalle"] = ("Escriba el motivo de la baja urgente (al menos 10 caracteres)."
                             if urgent else "Especifique el motivo (al menos 10 caracteres).")
    today = timeutil.local_today()
    effective = today
    if not urgent:
        try:
            effective = timeutil.parse_date(form.get("fecha_efectiva") or "")
        except ValueError:
            errors["fecha_efectiva"] = "Escriba la fecha como dd/mm/aaaa."
        else:
            if effective < today:
                errors["fecha_efectiva"] = "La fecha de la baja no puede ser anterior a hoy."
            elif effective > today + timedelta(days=rules.MAX_DAYS_AHEAD):
                errors["fecha_efectiva"] = "La fecha de la baja debe estar dentro del próximo año."
    if errors:
        raise ValidationError("Revise los datos de la baja.", errors)
    return BajaInput(reason, detail, effective)


# ---------------------------------------------------------------------------------------------
# Operations


def _actor(principal: staff.Principal, ip: str | None, role: Role | None = None) -> audit.Actor:
    return principal.actor(ip, role)


def starting_role(principal: staff.Principal, person: Person) -> Role:
    """The role in which ``principal`` starts a baja for ``person`` (the narrowest)."""
    if person.unit_clues in principal.units(Role.JEFE_UNIDAD):
        return Role.JEFE_UNIDAD
    if person.jurisdiction_code in principal.jurisdictions(Role.ENLACE):
        return Role.ENLACE
    return next(r for r in SERVICE_WIDE if principal.has(r))


def is_retired(account: DirectoryAccount) -> bool:
    """True when a baja disabled this account after Alta recorded it (a re-ingreso records
    the account again, later, and so is not retired)."""
    return session().scalar(select(Baja.id).where(
        Baja.object_guid == account.object_guid, Baja.status == EJECUTADA,
        Baja.executed_at >= account.created_at).limit(1)) is not None


def _new(principal: staff.Principal, person: Person, data: BajaInput, *, urgent: bool,
         status: str, ip: str | None) -> Baja:
    if not may_start(principal, person):
        raise Forbidden("No puede dar de baja a personas fuera de su unidad o jurisdicción.")
    account = current_account(person)
    if account is None:
        raise Conflict("Alta no tiene registrada una cuenta del directorio de esta persona: "
                       "no hay nada que dar de baja.")
    if open_baja(person) is not None:
        raise Conflict("Esta persona ya tiene una baja en curso.")
    if is_retired(account):
        raise Conflict("La cuenta de esta persona ya fue dada de baja.")
    role = starting_role(principal, person)
    baja = _insert(person, account, data, urgent=urgent, status=status,
                   started_by=principal.username, started_role=role.value)
    if baja is None:
        raise Conflict("Esta persona ya tiene una baja en curso.")
    _record_start(baja, person, _actor(principal, ip, role))
    return baja


def _insert(person: Person, account: DirectoryAccount, data: BajaInput, *, urgent: bool,
            status: str, started_by: str, started_role: str) -> Baja | None:
    """Add the baja row; None when the person got another open baja first (unique index)."""
    now = timeutil.now()
    year = timeutil.to_local(now).year
    baja = Baja(
        folio=f"BAJA-{year}-{counters.next_value(f'baja:{year}'):05d}", person_id=person.id,
        object_guid=account.object_guid, sam_account_name=account.sam_account_name,
        unit_clues=person.unit_clues, jurisdiction_code=person.jurisdiction_code,
        reason_code=data.reason_code, reason_detail=data.reason_detail,
        effective_date=data.effective_date, urgent=urgent, status=status,
        started_by=started_by, started_role=started_role, started_at=now)
    db = session()
    try:
        with db.begin_nested():
            db.add(baja)
    except IntegrityError:
        return None
    return baja


def _record_start(baja: Baja, person: Person, actor: audit.Actor) -> None:
    audit.record("baja.started", actor=actor, object_type="baja", object_id=baja.folio,
                 summary=f"Baja {baja.folio} iniciada ({rules.REASONS[baja.reason_code]}"
                         f"{', urgente' if baja.urgent else ''}) con fecha "
                         f"{timeutil.format_date(baja.effective_date)}",
                 details={"person_id": person.id, "reason": baja.reason_code,
                          "urgent": baja.urgent, "object_guid": baja.object_guid,
                          "unit_clues": baja.unit_clues,
                          "effective_date": baja.effective_date.isoformat()})


def end_of_term(person: Person, account: DirectoryAccount, end_date: date) -> Baja | None:
    """The baja of temporary staff whose last day (``end_date``) has passed, started and
    scheduled by the system: no signature, since the unit head signed that end date with
    the alta (or a prórroga). None when the person already has an open baja."""
    data = BajaInput("termino_contrato",
                     f"Fin del acceso temporal: su último día fue el "
                     f"{timeutil.format_date(end_date)}", end_date + timedelta(days=1))
    baja = _insert(person, account, data, urgent=False, status=SOLICITADA,
                   started_by="sistema", started_role="sistema")
    if baja is None:
        return None
    actor = audit.Actor.system()
    _record_start(baja, person, actor)
    _schedule(baja, actor=actor)
    return baja


def start(principal: staff.Principal, person: Person, data: BajaInput, *,
          ip: str | None) -> Baja:
    """Start a baja; its signers are told (mail). Conflict when the person has one open or
    no account; Forbidden outside the starter's scope."""
    baja = _new(principal, person, data, urgent=False, status=SOLICITADA, ip=ip)
    step = pending_step(baja)
    if step is not None and step.role == Role.JEFE_UNIDAD:
        queue_mail(staff.emails_of(Role.JEFE_UNIDAD, unit_clues=baja.unit_clues),
                   "baja_por_firmar", f"Baja {baja.folio} por firmar", baja=baja,
                   person=person, reasons=rules.REASONS, object_type="baja",
                   object_id=baja.folio)
    return baja


def canonical_content(baja: Baja) -> dict[str, object]:
    """What a signature of the baja covers."""
    person = person_of(baja)
    return {"folio": baja.folio, "curp": person.curp, "nombre": person.full_name,
            "cuenta": baja.sam_account_name, "object_guid": baja.object_guid,
            "unidad_clues": baja.unit_clues, "jurisdiccion": baja.jurisdiction_code,
            "motivo": baja.reason_code, "detalle": baja.reason_detail or "",
            "fecha_efectiva": baja.effective_date.isoformat(), "urgente": baja.urgent,
            "iniciada_por": baja.started_by}


def _signature(baja: Baja, step: rules.Step, user: StaffUser, ip: str | None) -> BajaSignature:
    raw = canonical_json(canonical_content(baja))
    signature = BajaSignature(
        baja_id=baja.id, step=step.code, signer_id=user.id, signer_username=user.username,
        signer_name=user.full_name, signer_position=user.position or step.role.label,
        signer_role=step.role.value, signed_at=timeutil.now(), ip=ip,
        content_sha256=sha256_hex(raw), content=raw.decode())
    db = session()
    try:
        with db.begin_nested():
            db.add(signature)
    except IntegrityError:
        raise Conflict(f"La baja {baja.folio} ya tiene esa firma.") from None
    return signature


def sign(baja: Baja, *, principal: staff.Principal, user: StaffUser, code: str,
         ip: str | None) -> BajaSignature:
    """Sign the baja in its pending step after a fresh TOTP code; the last signature
    schedules the job. ``staff.AuthError`` for a wrong or replayed code."""
    step = my_step(principal, baja)
    if step is None:
        if baja.status != SOLICITADA:
            raise Conflict(f"La baja {baja.folio} ya no espera firmas.")
        raise Forbidden("Esta baja no espera su firma.")
    staff.verify_step_up(user, code, ip=ip)
    return _apply_signature(baja, step, principal=principal, user=user, ip=ip)


def signs_at_start(principal: staff.Principal, person: Person, data: BajaInput) -> bool:
    """True when ``principal`` holds the first signature of this baja (the head of the
    person's unit): they start and sign it in one step."""
    step = rules.chain(data.reason_code)[0]
    if not principal.has(step.role):
        return False
    if step.role.scope == "unit":
        return person.unit_clues in principal.units(step.role)
    return person.jurisdiction_code in principal.jurisdictions(step.role)


def start_signed(principal: staff.Principal, user: StaffUser, person: Person, data: BajaInput,
                 *, code: str, ip: str | None) -> Baja:
    """Start the baja and sign its first step at once. The code is checked before anything
    is written, so a wrong one leaves only its failure count (which the caller commits:
    the lockout holds here as everywhere)."""
    if not may_start(principal, person):
        raise Forbidden("No puede dar de baja a personas fuera de su unidad o jurisdicción.")
    staff.verify_step_up(user, code, ip=ip)
    return start_signed_after_step_up(principal, user, person, data, ip=ip)


def start_signed_after_step_up(principal: staff.Principal, user: StaffUser, person: Person,
                               data: BajaInput, *, ip: str | None) -> Baja:
    """``start_signed`` for a caller that already checked one fresh TOTP code for a whole
    batch (the access review's answers): start the baja and sign its first step. Forbidden
    when ``principal`` does not hold that signature; Conflict as ``start``."""
    baja = _new(principal, person, data, urgent=False, status=SOLICITADA, ip=ip)
    step = my_step(principal, baja)
    if step is None:
        raise Forbidden("Esta baja no espera su firma.")
    _apply_signature(baja, step, principal=principal, user=user, ip=ip)
    return baja


def _apply_signature(baja: Baja, step: rules.Step, *, principal: staff.Principal,
                     user: StaffUser, ip: str | None) -> BajaSignature:
    signature = _signature(baja, step, user, ip)
    audit.record("baja.signed", actor=_actor(principal, ip, step.role), object_type="baja",
                 object_id=baja.folio, summary=f"Baja {baja.folio} firmada ({step.label})",
                 details={"step": step.code, "content_sha256": signature.content_sha256})
    if pending_step(baja) is None:
        _schedule(baja, actor=_actor(principal, ip, step.role))
    return signature


def _schedule(baja: Baja, *, actor: audit.Actor) -> None:
    """Signed: the job runs on the effective date (at once if that is today or past)."""
    now = timeutil.now()
    baja.status, baja.scheduled_at = PROGRAMADA, now
    due = timeutil.start_of_day(baja.effective_date)
    jobs.enqueue(KIND, {"baja_id": baja.id}, key=f"baja:{baja.id}", object_type="baja",
                 object_id=baja.folio, delay=max(due - now, timedelta(0)))
    session().flush()
    audit.record("baja.scheduled", actor=actor, object_type="baja", object_id=baja.folio,
                 summary=f"Baja {baja.folio} programada para el "
                         f"{timeutil.format_date(baja.effective_date)}",
                 details={"effective_date": baja.effective_date.isoformat()})


def urgent(principal: staff.Principal, user: StaffUser, person: Person, data: BajaInput, *,
           code: str, ip: str | None) -> Baja:
    """IT's urgent baja: TOTP, a mandatory reason, executed at once; the unit head is told."""
    if not principal.has(*rules.URGENT_ROLES):
        raise Forbidden("Solo el Departamento de Informática ejecuta bajas urgentes.")
    staff.verify_step_up(user, code, ip=ip)
    baja = _new(principal, person, data, urgent=True, status=SOLICITADA, ip=ip)
    signature = _signature(baja, rules.URGENT, user, ip)
    role = next(r for r in rules.URGENT_ROLES if principal.has(r))
    actor = _actor(principal, ip, role)
    audit.record("baja.signed", actor=actor, object_type="baja", object_id=baja.folio,
                 summary=f"Baja urgente {baja.folio} firmada por Informática",
                 details={"step": rules.URGENT.code,
                          "content_sha256": signature.content_sha256})
    _schedule(baja, actor=actor)
    queue_mail(staff.emails_of(Role.JEFE_UNIDAD, unit_clues=baja.unit_clues),
               "baja_urgente", f"Baja urgente {baja.folio}", baja=baja, person=person,
               reasons=rules.REASONS, object_type="baja", object_id=baja.folio)
    return baja


def cancel(baja: Baja, *, principal: staff.Principal, reason: str, ip: str | None) -> None:
    """Withdraw a baja that has not run (anyone who may start one for that person: the
    unit head, the liaison of the jurisdiction, IT)."""
    if baja.status not in OPEN:
        raise Conflict(f"La baja {baja.folio} ya no puede cancelarse ({baja.status_label}).")
    if baja.urgent:
        raise Conflict("Una baja urgente no se cancela: se ejecuta de inmediato.")
    try:
        text = clean(reason, max_length=500, required=False, multiline=True)
    except TextError as exc:
        raise ValidationError(exc.message, {"motivo_cancelacion": exc.message}) from None
    if len(text) < 5:
        message = "Escriba por qué se cancela la baja (al menos 5 caracteres)."
        raise ValidationError(message, {"motivo_cancelacion": message})
    actor = _actor(principal, ip)
    baja.status, baja.cancelled_at = CANCELADA, timeutil.now()
    baja.cancelled_by, baja.cancel_reason = principal.username, text
    job = jobs.latest_for("baja", baja.folio, KIND)
    if job is not None and job.status == RUNNING:
        raise Conflict(f"La baja {baja.folio} se está ejecutando en este momento.")
    if job is not None and job.status in (QUEUED, FAILED, WAITING):
        jobs.cancel(job, actor=actor)
    session().flush()
    audit.record("baja.cancelled", actor=actor, object_type="baja", object_id=baja.folio,
                 summary=f"Baja {baja.folio} cancelada")


# ---------------------------------------------------------------------------------------------
# The job's side (lifecycle.tasks)


@dataclass(frozen=True)
class Due:
    """What the job needs to execute a baja."""

    folio: str
    guid: str
    expires_at: datetime


def due(baja_id: int) -> Due | None:
    """The baja to execute now, or None when there is nothing to do (done or cancelled)."""
    baja = db_get(Baja, baja_id)
    if baja is None or baja.status != PROGRAMADA:
        return None
    return Due(baja.folio, baja.object_guid, timeutil.start_of_day(baja.effective_date))


def stop_credentials(baja_id: int) -> None:
    """Before the DC retires the account: revoke its activation codes and close the alta
    requests still on their way to the person (``handoff.close_for_retired_account``), so
    an activation racing the job cannot enable the account again. Idempotent."""
    baja = db_get(Baja, baja_id)
    if baja is not None and baja.status == PROGRAMADA:
        handoff.close_for_retired_account(baja.object_guid, folio=baja.folio,
                                          actor=audit.Actor.system())


def record_execution(baja_id: int, retirement: Retirement) -> Baja | None:
    """Record what the DC did; idempotent (a second run records nothing more). Audits
    ``directory.account_disabled`` and ``baja.executed``; tells the unit head."""
    baja = db_get(Baja, baja_id)
    if baja is None or baja.status != PROGRAMADA:
        return None
    account = retirement.account
    now = timeutil.now()
    baja.status, baja.executed_at = EJECUTADA, now
    baja.removed_groups = json.dumps(list(retirement.removed_groups))
    for row in session().scalars(select(DirectoryAccount).where(
            DirectoryAccount.object_guid == account.guid)):
        row.dn = account.dn  # moved to the bajas OU
    session().flush()
    actor = audit.Actor.system()
    person = person_of(baja)
    audit.record("directory.account_disabled", actor=actor, object_type="baja",
                 object_id=baja.folio,
                 summary=f"Cuenta deshabilitada en el directorio por la baja {baja.folio}",
                 details={"object_guid": account.guid, "enabled": account.enabled,
                          "removed_groups": list(retirement.removed_groups),
                          "groups_left": len(account.groups),
                          "account_expires": account.account_expires,
                          "curp_hmac": pseudonym("curp", person.curp) if person.curp else ""})
    audit.record("baja.executed", actor=actor, object_type="baja", object_id=baja.folio,
                 summary=f"Baja {baja.folio} ejecutada")
    queue_mail(staff.emails_of(Role.JEFE_UNIDAD, unit_clues=baja.unit_clues),
               "baja_ejecutada", f"Baja {baja.folio} ejecutada", baja=baja, person=person,
               reasons=rules.REASONS, object_type="baja", object_id=baja.folio)
    return baja


def export_rows(person: Person | None) -> list[dict[str, str]]:
    """The person's bajas for their data export (ARCO access)."""
    if person is None:
        return []
    rows = []
    for baja in bajas_of(person):
        signed = "; ".join(f"{s.signer_name} ({s.signer_position}), "
                           f"{timeutil.format_datetime(s.signed_at, seconds=True)}"
                           for s in signatures(baja))
        rows.append({"folio": baja.folio, "motivo": rules.REASONS.get(baja.reason_code, ""),
                     "detalle": baja.reason_detail or "", "urgente": "Sí" if baja.urgent
                     else "No", "fecha_efectiva": timeutil.format_date(baja.effective_date),
                     "estado": baja.status_label, "iniciada_por": baja.started_by,
                     "firmas": signed,
                     "ejecutada_el": timeutil.format_datetime(baja.executed_at, seconds=True),
                     "grupos_retirados": "; ".join(removed_groups(baja))})
    return rows
