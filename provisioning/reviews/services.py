"""Access review campaigns (issue 12, item 4): IT opens a campaign for all units or some,
with a deadline and an optional recurrence. Opening takes a snapshot: for each unit, the
active accounts Alta knows (``accounts_in_scope``). Each unit head confirms or revokes each
of their unit's accounts, in a batch signed with one TOTP step-up; a revocation starts a
baja signed by that unit head (``lifecycle.services``), which the baja job executes on the
DC. A sweep (``sweep``, run by the worker) opens scheduled campaigns, reminds unit heads
before the deadline and escalates to the responsable jurisdiccional after it. IT closes the
campaign with a TOTP signature over its results (the report, ``reviews.documents``); a
recurrence then schedules the next one. Every step is audited.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, counters, timeutil, wording
from provisioning.catalogs import services as catalogs
from provisioning.crypto import canonical_json, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.lifecycle import rules as lifecycle_rules
from provisioning.lifecycle import services as bajas
from provisioning.lifecycle.models import Baja
from provisioning.notifications.services import queue as queue_mail
from provisioning.people.accounts import IMPORTED, DirectoryAccount
from provisioning.people.models import Person
from provisioning.reconciliation import services as reconciliation
from provisioning.reviews.models import (
    ABIERTA,
    CERRADA,
    CONFIRMADA,
    ESCALATION,
    PENDIENTE,
    PROGRAMADA,
    REVOCADA,
    Campaign,
    ReviewItem,
    ReviewNotice,
    ReviewUnit,
)
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from provisioning.textcheck import TextError, clean

IT_ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
# Who sees campaigns: unit heads (their units), responsables jurisdiccionales (their
# jurisdiction: they receive the escalation), IT and auditors (everything).
VIEWERS = (Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL, Role.AUDITOR, *IT_ROLES)
SERVICE_WIDE = (Role.AUDITOR, *IT_ROLES)
DEFAULT_REMINDER_DAYS = (7, 2)
MAX_RECURRENCE_MONTHS = 24
MAX_DAYS_AHEAD = 180
# Answers per batch (one TOTP code), like the batch signing of requests.
BATCH_LIMIT = 100


# ---------------------------------------------------------------------------------------------
# What is reviewed


@dataclass(frozen=True)
class ScopedAccount:
    """An active account of a unit's person, as Alta knows it."""

    person: Person
    account: DirectoryAccount


def accounts_in_scope(unit_clues: str) -> list[ScopedAccount]:
    """The active accounts with SIEMPRE access that Alta knows for one unit: each person of
    the unit (their current adscripción) with a directory account in ``people.accounts``
    (created or linked by the IT step for a request, or an existing account the
    reconciliation linked to them) and no baja executed since, nor one on its way. An
    adopted account the last directory import saw disabled, missing or outside the SIEMPRE
    access group (when one is configured) is not reviewed.

    The one place that says what a campaign reviews."""
    people = session().scalars(select(Person).where(Person.unit_clues == unit_clues,
                                                    Person.curp.is_not(None))
                               .order_by(Person.primer_apellido, Person.nombres, Person.id))
    found = []
    for person in people:
        account = bajas.current_account(person)
        if account is None or bajas.is_retired(account) or bajas.open_baja(person):
            continue
        found.append(ScopedAccount(person, account))
    adopted = [scoped.account.object_guid for scoped in found
               if scoped.account.origin == IMPORTED]
    left_out = (reconciliation.inactive_guids(adopted)
                | reconciliation.without_siempre_access(adopted))
    return [scoped for scoped in found if scoped.account.object_guid not in left_out]


# ---------------------------------------------------------------------------------------------
# Scope


def _sees_unit(principal: staff.Principal, unit_clues: str, jurisdiction_code: str) -> bool:
    return (principal.has(*SERVICE_WIDE) or unit_clues in principal.units(Role.JEFE_UNIDAD)
            or jurisdiction_code in principal.jurisdictions(Role.RESPONSABLE_JURISDICCIONAL))


def units_for(principal: staff.Principal, campaign: Campaign) -> list[ReviewUnit]:
    """The campaign's units ``principal`` sees, by jurisdiction and CLUES."""
    rows = session().scalars(select(ReviewUnit).where(ReviewUnit.campaign_id == campaign.id)
                             .order_by(ReviewUnit.jurisdiction_code, ReviewUnit.unit_clues))
    return [u for u in rows if _sees_unit(principal, u.unit_clues, u.jurisdiction_code)]


def get_campaign_for(principal: staff.Principal, campaign_id: int) -> Campaign:
    """The campaign if ``principal`` sees it (IT, audit: all; others: when one of their
    units is in it); NotFound otherwise."""
    campaign = db_get(Campaign, campaign_id)
    if campaign is None or not (principal.has(*SERVICE_WIDE)
                                or units_for(principal, campaign)):
        raise NotFound("No encontramos esa revisión de acceso.")
    return campaign


def get_unit_for(principal: staff.Principal, review_unit_id: int) -> ReviewUnit:
    """A unit of a campaign if ``principal`` sees it; NotFound otherwise (either way)."""
    unit = db_get(ReviewUnit, review_unit_id)
    if unit is None or not _sees_unit(principal, unit.unit_clues, unit.jurisdiction_code):
        raise NotFound("No encontramos esa revisión de acceso.")
    return unit


def answers_for(principal: staff.Principal, unit: ReviewUnit) -> bool:
    """True when ``principal`` answers for the unit (its head)."""
    return unit.unit_clues in principal.units(Role.JEFE_UNIDAD)


def campaigns_for(principal: staff.Principal) -> list[Campaign]:
    """The campaigns ``principal`` sees, newest first."""
    rows = list(session().scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200)))
    if principal.has(*SERVICE_WIDE):
        return rows
    return [c for c in rows if c.status != PROGRAMADA and units_for(principal, c)]


def campaign_of(unit: ReviewUnit) -> Campaign:
    """The campaign a unit belongs to."""
    campaign = db_get(Campaign, unit.campaign_id)
    assert campaign is not None  # a foreign key
    return campaign


def items_of(unit: ReviewUnit) -> list[ReviewItem]:
    """The unit's accounts to answer, in snapshot order."""
    return list(session().scalars(select(ReviewItem).where(
        ReviewItem.review_unit_id == unit.id).order_by(ReviewItem.id)))


def person_of(item: ReviewItem) -> Person:
    """The person whose account an item is."""
    person = db_get(Person, item.person_id)
    assert person is not None  # a foreign key
    return person


def record_unit_view(unit: ReviewUnit, items: list[ReviewItem], *,
                     actor: audit.Actor) -> None:
    """Audit that a unit's list of people and accounts was shown (personal data)."""
    audit.record("review.unit_viewed", actor=actor, object_type="review",
                 object_id=campaign_of(unit).folio,
                 summary=f"Consulta de las cuentas en revisión de {unit.unit_clues}",
                 details={"unit_clues": unit.unit_clues,
                          "person_ids": [i.person_id for i in items]})


# ---------------------------------------------------------------------------------------------
# Progress (the campaign page, the tablero)


@dataclass(frozen=True)
class UnitProgress:
    """How far one unit is."""

    unit: ReviewUnit
    name: str
    total: int
    confirmed: int
    revoked: int

    @property
    def pending(self) -> int:
        """Accounts still without an answer."""
        return self.total - self.confirmed - self.revoked

    @property
    def percent(self) -> int:
        """Answered, in percent (100 for a unit without accounts)."""
        return 100 if not self.total else (100 * (self.total - self.pending)) // self.total


def unit_name(clues: str) -> str:
    """The unit's catalog name and CLUES."""
    unit = catalogs.unit_by_clues(clues)
    return f"{unit.name} ({clues})" if unit else clues


def progress(units: list[ReviewUnit]) -> list[UnitProgress]:
    """Counts per unit (one query)."""
    if not units:
        return []
    counted: dict[int, Counter[str]] = {}
    for unit_id, decision, n in session().execute(
            select(ReviewItem.review_unit_id, ReviewItem.decision, func.count())
            .where(ReviewItem.review_unit_id.in_([u.id for u in units]))
            .group_by(ReviewItem.review_unit_id, ReviewItem.decision)):
        counted.setdefault(unit_id, Counter())[decision] = n
    out = []
    for unit in units:
        c = counted.get(unit.id, Counter())
        out.append(UnitProgress(unit, unit_name(unit.unit_clues), sum(c.values()),
                                c[CONFIRMADA], c[REVOCADA]))
    return out


def open_progress_for(principal: staff.Principal) -> list[tuple[Campaign, UnitProgress]]:
    """The open campaigns' units ``principal`` sees, with their progress (the tablero)."""
    if not principal.has(*VIEWERS):
        return []
    out = []
    for campaign in session().scalars(select(Campaign).where(Campaign.status == ABIERTA)
                                      .order_by(Campaign.deadline, Campaign.id)):
        out += [(campaign, p) for p in progress(units_for(principal, campaign))]
    return out


def pending_for(principal: staff.Principal) -> int:
    """Accounts waiting for ``principal``'s answer in open campaigns (the panel)."""
    units = principal.units(Role.JEFE_UNIDAD)
    if not units:
        return 0
    return session().scalar(
        select(func.count()).select_from(ReviewItem)
        .join(ReviewUnit, ReviewUnit.id == ReviewItem.review_unit_id)
        .join(Campaign, Campaign.id == ReviewUnit.campaign_id)
        .where(Campaign.status == ABIERTA, ReviewItem.decision == PENDIENTE,
               ReviewUnit.unit_clues.in_(units))) or 0


# ---------------------------------------------------------------------------------------------
# Opening


@dataclass(frozen=True)
class CampaignInput:
    """The opening form, cleaned."""

    units: tuple[str, ...] | None  # None: all units
    deadline: date
    recurrence_months: int | None
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS


def read_form(form: dict[str, str], chosen: list[str]) -> CampaignInput:
    """Clean the opening form; ValidationError names each wrong field (Spanish)."""
    errors: dict[str, str] = {}
    scope = form.get("alcance") or ""
    units: tuple[str, ...] | None = None
    if scope == "elegidas":
        known = {u.clues for u in catalogs.units()}
        picked = tuple(dict.fromkeys(c.strip().upper()[:11] for c in chosen if c.strip()))
        if not picked:
            errors["unidad"] = "Elija al menos una unidad."
        elif any(c not in known for c in picked):
            errors["unidad"] = "Elija las unidades de la lista."
        units = picked
    elif scope != "todas":
        errors["alcance"] = "Elija si la revisión es de todas las unidades o de algunas."
    today = timeutil.local_today()
    deadline = today
    try:
        deadline = timeutil.parse_date(clean(form.get("fecha_limite"), max_length=20))
    except (TextError, ValueError):
        errors["fecha_limite"] = "Escriba la fecha límite como dd/mm/aaaa."
    else:
        if deadline <= today:
            errors["fecha_limite"] = "La fecha límite debe ser posterior a hoy."
        elif deadline > today + timedelta(days=MAX_DAYS_AHEAD):
            errors["fecha_limite"] = (f"La fecha límite debe estar dentro de los próximos "
                                      f"{MAX_DAYS_AHEAD} días.")
    recurrence: int | None = None
    raw = (form.get("recurrencia_meses") or "").strip()[:4]
    if raw and raw != "0":
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_RECURRENCE_MONTHS:
            errors["recurrencia_meses"] = (f"Escriba cada cuántos meses se repite (1 a "
                                           f"{MAX_RECURRENCE_MONTHS}) o déjelo vacío.")
        else:
            recurrence = int(raw)
    days = DEFAULT_REMINDER_DAYS
    raw_days = (form.get("dias_recordatorio") or "").strip()[:40]
    if raw_days:
        parts = [p.strip() for p in raw_days.split(",")]
        if not all(p.isascii() and p.isdigit() and 1 <= int(p) <= 60 for p in parts) \
                or len(parts) > 5:
            errors["dias_recordatorio"] = ("Escriba hasta 5 números de días entre 1 y 60, "
                                           "separados por comas (por ejemplo 7,2).")
        else:
            days = tuple(sorted({int(p) for p in parts}, reverse=True))
    if errors:
        raise ValidationError("Revise los datos de la revisión de acceso.", errors)
    return CampaignInput(units, deadline, recurrence, days)


def _folio() -> str:
    year = timeutil.to_local(timeutil.now()).year
    return f"REVISION-{year}-{counters.next_value(f'revision:{year}'):04d}"


def open_campaign(principal: staff.Principal, data: CampaignInput, *,
                  ip: str | None) -> Campaign:
    """IT opens a campaign today: the snapshot of every unit's accounts is taken now and
    the unit heads are told (mail). Audits ``review.campaign_opened``."""
    if not principal.has(*IT_ROLES):
        raise Forbidden("Solo el Departamento de Informática abre revisiones de acceso.")
    now = timeutil.now()
    campaign = Campaign(
        folio=_folio(), status=PROGRAMADA, all_units=data.units is None,
        unit_list=json.dumps(list(data.units)) if data.units is not None else None,
        starts_on=timeutil.local_today(), deadline=data.deadline,
        recurrence_months=data.recurrence_months,
        reminder_days=",".join(str(d) for d in data.reminder_days),
        created_by=principal.username, created_at=now)
    session().add(campaign)
    session().flush()
    _open(campaign, actor=principal.actor(ip))
    return campaign


def _scope_clues(campaign: Campaign) -> list[str]:
    if campaign.all_units:
        return sorted(u.clues for u in catalogs.units())
    return sorted(json.loads(campaign.unit_list or "[]"))


def _open(campaign: Campaign, *, actor: audit.Actor) -> None:
    """Take the snapshot (units with at least one account) and tell their heads."""
    db = session()
    units, accounts = 0, 0
    for clues in _scope_clues(campaign):
        unit = catalogs.unit_by_clues(clues)
        scoped = accounts_in_scope(clues)
        if unit is None or not scoped:
            continue
        row = ReviewUnit(campaign_id=campaign.id, unit_id=unit.id, unit_clues=clues,
                         jurisdiction_code=unit.jurisdiction_code)
        db.add(row)
        db.flush()
        for s in scoped:
            db.add(ReviewItem(review_unit_id=row.id, person_id=s.person.id,
                              object_guid=s.account.object_guid,
                              sam_account_name=s.account.sam_account_name,
                              origin=s.account.origin, decision=PENDIENTE))
        units, accounts = units + 1, accounts + len(scoped)
        queue_mail(staff.emails_of(Role.JEFE_UNIDAD, unit_clues=clues), "revision_abierta",
                   f"Revisión de acceso {campaign.folio}: confirme las cuentas de su unidad",
                   campaign=campaign, unit=row, count=len(scoped), name=unit_name(clues),
                   object_type="review", object_id=campaign.folio)
    campaign.status, campaign.opened_at = ABIERTA, timeutil.now()
    db.flush()
    audit.record("review.campaign_opened", actor=actor, object_type="review",
                 object_id=campaign.folio,
                 summary=f"Revisión de acceso {campaign.folio} abierta: "
                         f"{wording.count(units, 'unidad', 'unidades')}, "
                         f"{wording.count(accounts, 'cuenta')}, fecha límite "
                         f"{timeutil.format_date(campaign.deadline)}",
                 details={"all_units": campaign.all_units, "units": units,
                          "accounts": accounts, "deadline": campaign.deadline.isoformat(),
                          "recurrence_months": campaign.recurrence_months,
                          "reminder_days": campaign.reminder_days})


# ---------------------------------------------------------------------------------------------
# Answering (the unit head)


@dataclass(frozen=True)
class Answer:
    """One account's answer, cleaned."""

    item: ReviewItem
    decision: str  # CONFIRMADA | REVOCADA
    baja: bajas.BajaInput | None = None


ANSWERED = "Esta cuenta ya tiene respuesta."


def read_answers(unit: ReviewUnit, form: dict[str, str]) -> list[Answer]:
    """The answers of the form (``decision-<id>`` = confirmar | revocar, and for a
    revocation ``motivo-<id>`` and ``detalle-<id>`` as on the baja form). Accounts left
    blank stay pending. ValidationError names each wrong field."""
    errors: dict[str, str] = {}
    answers = []
    for item in items_of(unit):
        choice = (form.get(f"decision-{item.id}") or "").strip()
        if not choice:
            continue
        if item.decision != PENDIENTE:
            errors[f"decision-{item.id}"] = ANSWERED
        elif choice == "confirmar":
            answers.append(Answer(item, CONFIRMADA))
        elif choice == "revocar":
            try:
                data = bajas.read_form({"motivo": form.get(f"motivo-{item.id}", ""),
                                        "detalle": form.get(f"detalle-{item.id}", ""),
                                        "fecha_efectiva": timeutil.format_date(
                                            timeutil.local_today())})
            except ValidationError as exc:
                errors.update({f"{k}-{item.id}": v for k, v in exc.fields.items()})
            else:
                answers.append(Answer(item, REVOCADA, data))
        else:
            errors[f"decision-{item.id}"] = "Elija confirmar o revocar."
    if not answers and not errors:
        raise ValidationError("Elija confirmar o revocar en al menos una cuenta.",
                              {"respuestas": "Elija al menos una respuesta."})
    if len(answers) > BATCH_LIMIT:
        raise ValidationError(f"Se responden a lo más {BATCH_LIMIT} cuentas a la vez.",
                              {"respuestas": f"A lo más {BATCH_LIMIT}."})
    if errors:
        answered = any(v == ANSWERED for v in errors.values())
        raise ValidationError("Alguna de esas cuentas ya tiene respuesta: revise la lista "
                              "actualizada." if answered else "Revise las respuestas "
                              "marcadas.", errors)
    return answers


def canonical_answer(campaign: Campaign, unit: ReviewUnit, item: ReviewItem,
                     person: Person, decision: str) -> dict[str, object]:
    """What the unit head's signature of one answer covers."""
    return {"revision": campaign.folio, "unidad_clues": unit.unit_clues,
            "curp": person.curp, "nombre": person.full_name, "cuenta": item.sam_account_name,
            "object_guid": item.object_guid, "respuesta": decision}


def answer(unit: ReviewUnit, answers: list[Answer], *, principal: staff.Principal,
           user: StaffUser, code: str, ip: str | None) -> list[ReviewItem]:
    """The unit head answers several accounts with one fresh TOTP code (or within the
    step-up window). Each answer stores the SHA-256 of what it says; a revocation starts
    the baja, signed by the same unit head, which the job executes today. All or none.
    Audits ``review.item_confirmed`` / ``review.item_revoked`` and ``review.answered``.
    ``staff.AuthError`` for a wrong code (checked before anything is written)."""
    campaign = campaign_of(unit)
    if not answers_for(principal, unit):
        raise Forbidden("Solo el jefe de la unidad responde su revisión de acceso.")
    if campaign.status != ABIERTA:
        raise Conflict(f"La revisión {campaign.folio} está {campaign.status_label.lower()}: "
                       "ya no recibe respuestas.")
    staff.verify_step_up(user, code, ip=ip)
    actor = principal.actor(ip, Role.JEFE_UNIDAD)
    now = timeutil.now()
    done = []
    for a in answers:
        item, person = a.item, person_of(a.item)
        if person.unit_clues != unit.unit_clues and a.decision == REVOCADA:
            raise Conflict(f"{person.full_name} ya no está adscrita a esta unidad: su baja "
                           "la inicia su unidad actual.")
        current = bajas.current_account(person)
        if a.decision == REVOCADA and (current is None
                                       or current.object_guid != item.object_guid):
            raise Conflict(f"La cuenta {item.sam_account_name} ya no es la cuenta vigente de "
                           f"{person.full_name}: revise su expediente en Personas.")
        digest = sha256_hex(canonical_json(canonical_answer(campaign, unit, item, person,
                                                            a.decision)))
        item.decision, item.decided_at, item.decided_ip = a.decision, now, ip
        item.decided_by, item.decided_name = user.username, user.full_name
        item.content_sha256 = digest
        details = {"unit_clues": unit.unit_clues, "person_id": person.id,
                   "object_guid": item.object_guid, "content_sha256": digest,
                   "late": timeutil.local_today() > campaign.deadline}
        if a.decision == REVOCADA:
            assert a.baja is not None
            data = bajas.BajaInput(a.baja.reason_code, _baja_detail(campaign, a.baja),
                                   a.baja.effective_date)
            baja = bajas.start_signed_after_step_up(principal, user, person, data, ip=ip)
            item.baja_id = baja.id
            details["baja"] = baja.folio
            audit.record("review.item_revoked", actor=actor, object_type="review",
                         object_id=campaign.folio,
                         # The user name is made of the person's names: the summary, kept
                         # in the chain past the record's retention, names the person's id.
                         summary=f"Cuenta de la persona {person.id} revocada en la revisión "
                                 f"{campaign.folio}: baja {baja.folio}", details=details)
        else:
            audit.record("review.item_confirmed", actor=actor, object_type="review",
                         object_id=campaign.folio,
                         summary=f"Cuenta de la persona {person.id} confirmada en la revisión "
                                 f"{campaign.folio}", details=details)
        done.append(item)
    session().flush()
    pending = session().scalar(select(func.count()).select_from(ReviewItem).where(
        ReviewItem.review_unit_id == unit.id, ReviewItem.decision == PENDIENTE)) or 0
    if not pending and unit.completed_at is None:
        unit.completed_at = now
    audit.record("review.answered", actor=actor, object_type="review",
                 object_id=campaign.folio,
                 summary=f"{wording.count(len(done), 'cuenta')} de {unit.unit_clues} "
                         f"respondida{'s' if len(done) != 1 else ''} con un solo código",
                 details={"unit_clues": unit.unit_clues, "items": [i.id for i in done],
                          "pending": pending})
    return done


def _baja_detail(campaign: Campaign, data: bajas.BajaInput) -> str:
    note = f"Revocada en la revisión de acceso {campaign.folio}"
    return f"{note}: {data.reason_detail}"[:500] if data.reason_detail else note


# ---------------------------------------------------------------------------------------------
# Reminders and escalation (the worker's sweep)


@dataclass
class Sweep:
    """What one sweep did."""

    opened: list[str] = field(default_factory=list)
    reminders: int = 0
    escalations: int = 0


def _reminder_days(campaign: Campaign) -> list[int]:
    return sorted({int(d) for d in campaign.reminder_days.split(",") if d.strip().isdigit()})


def _notice(unit: ReviewUnit, stage: int) -> bool:
    """Record that ``stage`` was sent for the unit; False when it already was."""
    db = session()
    try:
        with db.begin_nested():
            db.add(ReviewNotice(review_unit_id=unit.id, stage=stage, sent_at=timeutil.now()))
    except IntegrityError:
        return False
    return True


def _sent(unit: ReviewUnit) -> set[int]:
    return set(session().scalars(select(ReviewNotice.stage).where(
        ReviewNotice.review_unit_id == unit.id)))


def sweep(today: date | None = None) -> Sweep:
    """Open the scheduled campaigns due today; remind each unit head with accounts still
    unanswered at each configured number of days before the deadline (one reminder per
    moment, the latest due); after the deadline tell the responsable jurisdiccional of the
    unit's jurisdiction (and the unit head) once. Idempotent: run it as often as you like."""
    today = today or timeutil.local_today()
    result = Sweep()
    system = audit.Actor.system()
    for campaign in list(session().scalars(select(Campaign).where(
            Campaign.status == PROGRAMADA, Campaign.starts_on <= today)
            .order_by(Campaign.id))):
        _open(campaign, actor=system)
        result.opened.append(campaign.folio)
    for campaign in list(session().scalars(select(Campaign).where(Campaign.status == ABIERTA)
                                           .order_by(Campaign.id))):
        units = list(session().scalars(select(ReviewUnit).where(
            ReviewUnit.campaign_id == campaign.id).order_by(ReviewUnit.id)))
        for p in progress(units):
            if not p.pending:
                continue
            left = (campaign.deadline - today).days
            if left < 0:
                if ESCALATION not in _sent(p.unit) and _notice(p.unit, ESCALATION):
                    _escalate(campaign, p, system)
                    result.escalations += 1
                continue
            due = [d for d in _reminder_days(campaign) if left <= d]
            missing = set(due) - _sent(p.unit)
            if missing and all(_notice(p.unit, d) for d in sorted(missing)):
                _remind(campaign, p, left, system)
                result.reminders += 1
    return result


def _remind(campaign: Campaign, p: UnitProgress, left: int, actor: audit.Actor) -> None:
    recipients = staff.emails_of(Role.JEFE_UNIDAD, unit_clues=p.unit.unit_clues)
    queue_mail(recipients, "revision_recordatorio",
               f"Recordatorio: revisión de acceso {campaign.folio} "
               f"({wording.count(p.pending, 'cuenta')} sin respuesta)", campaign=campaign,
               progress=p, left=left,
               object_type="review", object_id=campaign.folio)
    audit.record("review.reminder_sent", actor=actor, object_type="review",
                 object_id=campaign.folio,
                 summary=f"Recordatorio a {p.unit.unit_clues}: "
                         f"{wording.count(p.pending, 'cuenta')} sin respuesta, "
                         f"{wording.count(left, 'día')} para la fecha límite",
                 details={"unit_clues": p.unit.unit_clues, "pending": p.pending,
                          "days_left": left, "recipients": len(recipients)})


def _escalate(campaign: Campaign, p: UnitProgress, actor: audit.Actor) -> None:
    responsables = staff.emails_of(Role.RESPONSABLE_JURISDICCIONAL,
                                   jurisdiction_code=p.unit.jurisdiction_code)
    heads = staff.emails_of(Role.JEFE_UNIDAD, unit_clues=p.unit.unit_clues)
    queue_mail([*responsables, *heads], "revision_escalada",
               f"Revisión de acceso {campaign.folio} vencida en {p.unit.unit_clues}",
               campaign=campaign, progress=p, object_type="review",
               object_id=campaign.folio)
    audit.record("review.escalated", actor=actor, object_type="review",
                 object_id=campaign.folio,
                 summary=f"Revisión vencida en {p.unit.unit_clues}: se avisó al responsable "
                         f"jurisdiccional ({wording.count(p.pending, 'cuenta')} sin "
                         "respuesta)",
                 details={"unit_clues": p.unit.unit_clues,
                          "jurisdiction_code": p.unit.jurisdiction_code,
                          "pending": p.pending, "responsables": len(responsables)})
    if not responsables:
        audit.record("review.escalation_unaddressed", actor=actor, object_type="review",
                     object_id=campaign.folio,
                     summary=f"La jurisdicción {p.unit.jurisdiction_code} no tiene responsable "
                             "jurisdiccional activo en Alta a quien escalar",
                     details={"jurisdiction_code": p.unit.jurisdiction_code})


# ---------------------------------------------------------------------------------------------
# Closing, the report's content and the recurrence


def results(campaign: Campaign) -> dict[str, object]:
    """The campaign's results as the report and the closing signature certify them."""
    units = list(session().scalars(select(ReviewUnit).where(
        ReviewUnit.campaign_id == campaign.id).order_by(ReviewUnit.unit_clues)))
    out_units = []
    for p in progress(units):
        items = []
        for item in items_of(p.unit):
            baja = db_get(Baja, item.baja_id) if item.baja_id else None
            items.append({"object_guid": item.object_guid, "cuenta": item.sam_account_name,
                          "persona_id": item.person_id, "respuesta": item.decision,
                          "respondio": item.decided_by,
                          "fecha": item.decided_at.isoformat() if item.decided_at else None,
                          "respuesta_sha256": item.content_sha256,
                          "baja": baja.folio if baja else None})
        out_units.append({"clues": p.unit.unit_clues, "jurisdiccion": p.unit.jurisdiction_code,
                          "cuentas": p.total, "confirmadas": p.confirmed,
                          "revocadas": p.revoked, "sin_respuesta": p.pending,
                          "completada": p.unit.completed_at.isoformat()
                          if p.unit.completed_at else None, "detalle": items})
    return {"folio": campaign.folio, "todas_las_unidades": campaign.all_units,
            "abierta_el": campaign.opened_at.isoformat() if campaign.opened_at else None,
            "fecha_limite": campaign.deadline.isoformat(), "unidades": out_units}


def close(campaign: Campaign, *, principal: staff.Principal, user: StaffUser, code: str,
          ip: str | None) -> Campaign | None:
    """IT closes the campaign with a fresh TOTP code: the signature covers its results
    (accounts still unanswered are reported as such). With a recurrence the next campaign
    is scheduled (returned). Audits ``review.campaign_closed`` (and
    ``review.campaign_scheduled``)."""
    if not principal.has(*IT_ROLES):
        raise Forbidden("Solo el Departamento de Informática cierra revisiones de acceso.")
    if campaign.status != ABIERTA:
        raise Conflict(f"La revisión {campaign.folio} no está abierta.")
    staff.verify_step_up(user, code, ip=ip)
    raw = canonical_json(results(campaign))
    role = next(r for r in IT_ROLES if principal.has(r))
    campaign.status, campaign.closed_at, campaign.closed_by = CERRADA, timeutil.now(), \
        user.username
    campaign.signer_name, campaign.signer_position = user.full_name, user.position or role.label
    campaign.signer_ip, campaign.content = ip, raw.decode()
    campaign.content_sha256 = sha256_hex(raw)
    session().flush()
    actor = principal.actor(ip, role)
    audit.record("review.campaign_closed", actor=actor, object_type="review",
                 object_id=campaign.folio, summary=f"Revisión de acceso {campaign.folio} "
                                                   "cerrada y firmada",
                 details={"content_sha256": campaign.content_sha256})
    if not campaign.recurrence_months:
        return None
    months = campaign.recurrence_months
    following = Campaign(
        folio=_folio(), status=PROGRAMADA, all_units=campaign.all_units,
        unit_list=campaign.unit_list, starts_on=add_months(campaign.starts_on, months),
        deadline=add_months(campaign.deadline, months), recurrence_months=months,
        reminder_days=campaign.reminder_days, created_by="sistema",
        created_at=timeutil.now(), previous_id=campaign.id)
    session().add(following)
    session().flush()
    audit.record("review.campaign_scheduled", actor=actor, object_type="review",
                 object_id=following.folio,
                 summary=f"Revisión de acceso {following.folio} programada para el "
                         f"{timeutil.format_date(following.starts_on)} (cada {months} "
                         "meses)", details={"previous": campaign.folio,
                                            "starts_on": following.starts_on.isoformat()})
    return following


def next_of(campaign: Campaign) -> Campaign | None:
    """The campaign its recurrence scheduled, if any."""
    return session().scalar(select(Campaign).where(Campaign.previous_id == campaign.id))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def baja_of(item: ReviewItem) -> Baja | None:
    """The baja a revocation started."""
    return db_get(Baja, item.baja_id) if item.baja_id else None


REASONS = lifecycle_rules.REASONS


def export_rows(person: Person | None) -> list[dict[str, str]]:
    """The access reviews of the person's accounts for their data export (ARCO access)."""
    if person is None:
        return []
    rows = []
    for item, unit, campaign in session().execute(
            select(ReviewItem, ReviewUnit, Campaign)
            .join(ReviewUnit, ReviewUnit.id == ReviewItem.review_unit_id)
            .join(Campaign, Campaign.id == ReviewUnit.campaign_id)
            .where(ReviewItem.person_id == person.id).order_by(ReviewItem.id)):
        baja = baja_of(item)
        rows.append({"revision": campaign.folio, "unidad": unit.unit_clues,
                     "cuenta": item.sam_account_name, "respuesta": item.decision_label,
                     "respondio": item.decided_name or "",
                     "fecha": timeutil.format_datetime(item.decided_at, seconds=True),
                     "baja": baja.folio if baja else ""})
    return rows
