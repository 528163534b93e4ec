"""Submitting and tracking account requests."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, counters, curp, timeutil
from provisioning.account_requests import workflow
from provisioning.account_requests.forms import NA, RequestInput
from provisioning.account_requests.models import AccountRequest, RequestEvent
from provisioning.account_requests.workflow import RequestStatus
from provisioning.audit.models import AuditEvent
from provisioning.catalogs import services as catalogs
from provisioning.catalogs.models import Unit
from provisioning.config import current as settings
from provisioning.crypto import code_hasher, new_code, normalize_code, pseudonym
from provisioning.db import session
from provisioning.errors import Conflict, NotFound, ValidationError
from provisioning.notifications import services as notifications
from provisioning.people import rules as people_rules
from provisioning.people import services as people
from provisioning.people.models import Person

FOLIO_FORMAT = "{clues}-{year}-{seq:05d}"
FOLIO_RE = re.compile(r"^[A-Z]{5}[0-9]{6}-[0-9]{4}-[0-9]{5}$")


def privacy_notice_hash() -> str:
    """SHA-256 of the aviso de privacidad currently shown (what the applicant accepted)."""
    return sha256(settings().privacy.aviso_simplificado.encode()).hexdigest()


def by_folio(folio: str) -> AccountRequest | None:
    """The request with this folio, or None."""
    return session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))


def open_request_for(curp_value: str) -> AccountRequest | None:
    """The open request of this CURP, if any (observación 7)."""
    return session().scalar(
        select(AccountRequest).where(AccountRequest.curp == curp_value,
                                     AccountRequest.closed_at.is_(None))
    )


def with_ece_adscription(data: RequestInput) -> RequestInput:
    """``data`` with dirección and subdirección filled from the unit when an expediente
    electrónico account leaves them blank: observación 3 allows one combination per unit
    type (``[form].ece_subdireccion_by_unit_type``)."""
    if not data.wants_ece or (data.direccion_code and data.subdireccion_code):
        return data
    rules = settings().form
    unit = catalogs.unit_by_clues(data.unit_clues)
    sub = rules.ece_subdireccion_by_unit_type.get(unit.unit_type) if unit else None
    if sub is None:
        return data
    return dataclasses.replace(data, direccion_code=data.direccion_code or rules.ece_direccion,
                               subdireccion_code=data.subdireccion_code or sub)


def _check_rules(data: RequestInput) -> tuple[curp.CurpInfo, Unit]:
    """Rules of the form that need the catalogs; raises ValidationError per field."""
    rules = settings().form
    errors: dict[str, str] = {}
    info = None
    try:
        info = curp.validate(data.curp, allow_sex_x=rules.allow_sex_x,
                             today=timeutil.local_today())
    except curp.CurpError as exc:
        errors["curp"] = exc.message
    unit = catalogs.unit_by_clues(data.unit_clues)
    if unit is None:
        errors["unit_clues"] = "Elija una unidad del catálogo vigente."
    direcciones = {o.code for o in catalogs.org_units("direccion")}
    subdirecciones = {o.code: o.parent_code for o in catalogs.org_units("subdireccion")}
    if data.direccion_code not in direcciones:
        errors["direccion_code"] = "Elija una dirección de adscripción del catálogo."
    if data.subdireccion_code not in subdirecciones:
        errors["subdireccion_code"] = "Elija una subdirección del catálogo."
    elif subdirecciones[data.subdireccion_code] != data.direccion_code:
        errors["subdireccion_code"] = "La subdirección no pertenece a la dirección elegida."
    if data.staff_type_code not in {t.code for t in catalogs.staff_types()}:
        errors["staff_type_code"] = "Elija un tipo de personal del catálogo."
    else:
        problem = people_rules.end_date_problem(data.staff_type_code, data.end_date,
                                                timeutil.local_today())
        if problem:
            errors["fecha_termino"] = problem
    # Observación 3: an expediente electrónico account belongs to medical care.
    if data.wants_ece:
        if data.direccion_code != rules.ece_direccion:
            errors["direccion_code"] = ("Para expediente electrónico la dirección debe ser la "
                                        "Dirección de Atención Médica.")
        elif data.subdireccion_code not in rules.ece_subdirecciones:
            errors["subdireccion_code"] = (
                "Para expediente electrónico la subdirección debe ser Atención Primaria a la "
                "Salud o Hospitales.")
        elif unit is not None and rules.ece_subdireccion_by_unit_type.get(
                unit.unit_type, data.subdireccion_code) != data.subdireccion_code:
            expected = rules.ece_subdireccion_by_unit_type[unit.unit_type]
            names = {o.code: o.name for o in catalogs.org_units("subdireccion")}
            errors["subdireccion_code"] = (
                f"Para expediente electrónico en su unidad la subdirección es "
                f"{names.get(expected, expected)}.")
    # Observación 4: only central offices name a department; everyone else writes N/A.
    if unit is not None:
        central = unit.unit_type == rules.central_unit_type
        dept = data.departamento.strip()
        if central and (not dept or dept.upper() == NA):
            errors["departamento"] = ("El personal de Oficinas Centrales debe indicar su "
                                      "departamento.")
        if not central and dept and dept.upper() != NA:
            errors["departamento"] = ("Solo el personal de Oficinas Centrales indica "
                                      "departamento; deje N/A.")
    if errors:
        raise ValidationError("Revise los datos marcados en el formulario.", errors)
    assert info is not None and unit is not None
    return info, unit


@dataclass(frozen=True)
class Submission:
    """What the sender of the public form is shown: the new request and its tracking code
    (shown once), or no request when the CURP already had an open one (nothing about it)."""

    request: AccountRequest | None
    code: str | None
    warning: str | None  # about the CURP typed (RENAPO's palabras inconvenientes)


def submit(data: RequestInput, *, ip: str | None) -> Submission:
    """Register a request; audits ``request.submitted``.

    A CURP that already has an open request gets no new one (observación 7), and the
    sender learns nothing about the open one (not its folio, whose CLUES names the person's
    workplace): its owner is told by e-mail instead (``refuse_duplicate``). The folio number
    is drawn with the insert, so a refused duplicate spends none.
    """
    data = with_ece_adscription(data)
    info, unit = _check_rules(data)
    existing = open_request_for(info.curp)
    if existing is not None:
        refuse_duplicate(existing, ip=ip)
        return Submission(None, None, info.warning)
    now = timeutil.now()
    today = timeutil.to_local(now).date()
    code = new_code(groups=3, size=4)
    central = unit.unit_type == settings().form.central_unit_type
    applicant = audit.Actor("solicitante", "solicitante", ip)
    db = session()
    try:
        with db.begin_nested():
            person = people.person_for(_identity(info.curp, data, unit), actor=applicant)
            seq = counters.next_value(f"folio:{unit.clues}:{today.year}")
            folio = FOLIO_FORMAT.format(clues=unit.clues, year=today.year, seq=seq)
            request = AccountRequest(
                folio=folio, person_id=person.id,
                tracking_code_hash=code_hasher().hash(normalize_code(code)),
                status=RequestStatus.ENVIADA.value, submitted_at=now, updated_at=now,
                form_date=today, wants_user_account=data.wants_user_account,
                wants_email_account=data.wants_email_account, wants_ece=data.wants_ece,
                curp=info.curp, nombres=data.nombres, primer_apellido=data.primer_apellido,
                segundo_apellido=data.segundo_apellido, unit_id=unit.id,
                unit_clues=unit.clues, unit_type=unit.unit_type,
                jurisdiction_code=unit.jurisdiction_code, direccion_code=data.direccion_code,
                subdireccion_code=data.subdireccion_code,
                departamento=data.departamento if central else NA, telefono=data.telefono,
                extension=data.extension, contact_email=data.contact_email,
                staff_type_code=data.staff_type_code, end_date=data.end_date,
                privacy_notice_sha256=privacy_notice_hash(),
            )
            db.add(request)
            db.flush()
    except IntegrityError:
        # Another submission for the same CURP committed first (partial unique index); the
        # savepoint took the folio number back with the row.
        existing = open_request_for(info.curp)
        if existing is None:
            raise Conflict("No se pudo registrar la solicitud en este momento. Intente de "
                           "nuevo.") from None
        refuse_duplicate(existing, ip=ip)
        return Submission(None, None, info.warning)
    db.add(RequestEvent(request_id=request.id, occurred_at=now, event="submit", from_status=None,
                        to_status=RequestStatus.ENVIADA.value, actor="solicitante",
                        actor_role="solicitante", reason=None, public=True))
    db.flush()
    audit.record("request.submitted", actor=audit.Actor("solicitante", "solicitante", ip),
                 object_type="request", object_id=folio,
                 summary=f"Solicitud {folio} registrada para la unidad {unit.clues}",
                 details={"unit_clues": unit.clues, "wants_ece": data.wants_ece,
                          "wants_user_account": data.wants_user_account,
                          "wants_email_account": data.wants_email_account,
                          "privacy_notice_sha256": request.privacy_notice_sha256,
                          # The auditor's search by CURP finds the folio through this.
                          "curp_hmac": pseudonym("curp", info.curp)})
    workflow.announce(request)
    return Submission(request, code, info.warning)


# The owner of an open request hears of other submissions with their CURP at most this often.
DUPLICATE_NOTICE_EVERY = timedelta(days=1)
DUPLICATE_NOTIFIED = ("Se rechazó otra solicitud con esta CURP; se avisó al solicitante en el "
                      "correo de esta solicitud.")
DUPLICATE_ALREADY_TOLD = ("Se rechazó otra solicitud con esta CURP (el solicitante ya había "
                          "recibido el aviso de hoy).")


def refuse_duplicate(existing: AccountRequest, *, ip: str | None) -> bool:
    """Someone sent the public form with the CURP of ``existing``, an open request: note it
    in its history (staff only), and tell its owner at the request's own contact address,
    with its folio, at most once a day (no mail bombing). Returns True if a message was
    queued. Audits ``request.duplicate_refused``; nothing the sender typed is kept.
    """
    since = timeutil.now() - DUPLICATE_NOTICE_EVERY
    told = session().scalar(select(RequestEvent.id).where(
        RequestEvent.request_id == existing.id, RequestEvent.event == "duplicate_refused",
        RequestEvent.reason == DUPLICATE_NOTIFIED, RequestEvent.occurred_at > since).limit(1))
    notify = told is None
    workflow.note(existing, "duplicate_refused", actor=audit.Actor("desconocido", "anonimo", ip),
                  summary="se rechazó otra solicitud con la misma CURP"
                          + ("; se avisó al solicitante por correo" if notify else ""),
                  reason=DUPLICATE_NOTIFIED if notify else DUPLICATE_ALREADY_TOLD,
                  details={"notified": notify})
    if notify:
        _tell_duplicate_attempt(existing)
    return notify


def _apply(request: AccountRequest, data: RequestInput, info: curp.CurpInfo, unit: object
           ) -> list[str]:
    """Copy the form's answers onto ``request``; returns the names of the changed fields."""
    central = unit.unit_type == settings().form.central_unit_type  # type: ignore[attr-defined]
    values = {
        "wants_user_account": data.wants_user_account,
        "wants_email_account": data.wants_email_account, "wants_ece": data.wants_ece,
        "curp": info.curp, "nombres": data.nombres, "primer_apellido": data.primer_apellido,
        "segundo_apellido": data.segundo_apellido,
        "unit_id": unit.id, "unit_clues": unit.clues,  # type: ignore[attr-defined]
        "unit_type": unit.unit_type,  # type: ignore[attr-defined]
        "jurisdiction_code": unit.jurisdiction_code,  # type: ignore[attr-defined]
        "direccion_code": data.direccion_code, "subdireccion_code": data.subdireccion_code,
        "departamento": data.departamento if central else NA, "telefono": data.telefono,
        "extension": data.extension, "contact_email": data.contact_email,
        "staff_type_code": data.staff_type_code, "end_date": data.end_date,
        "privacy_notice_sha256": privacy_notice_hash(),
    }
    changed = [k for k, v in values.items() if getattr(request, k) != v]
    for key in changed:
        setattr(request, key, values[key])
    if "unit_id" in changed:
        request.unit = unit  # type: ignore[assignment]
    return changed


def correct_and_resubmit(request: AccountRequest, data: RequestInput, *,
                         ip: str | None) -> list[str]:
    """The applicant corrects a returned request and sends it again, keeping the folio.

    Checks the same rules as a new request. Audits ``request.resubmit`` (with the names of
    the changed fields, not their values); notifies the unit head.
    """
    if not workflow.can(request, "resubmit"):
        raise Conflict(f"La solicitud {request.folio} no está devuelta: no se puede corregir.")
    data = with_ece_adscription(data)
    info, unit = _check_rules(data)
    other = open_request_for(info.curp)
    if other is not None and other.id != request.id:
        raise _duplicate()
    changed = _apply(request, data, info, unit)
    applicant = audit.Actor("solicitante", "solicitante", ip)
    db = session()
    try:
        with db.begin_nested():
            db.flush()
            _relink_person(request, people.person_for(_identity(info.curp, data, unit),
                                                      actor=applicant))
    except IntegrityError:
        raise _duplicate() from None
    workflow.transition(request, "resubmit", actor=applicant,
                        details={"changed_fields": changed})
    return changed


def form_values(request: AccountRequest) -> dict[str, str]:
    """The request as the public form's field values (to pre-fill a correction)."""
    values = {
        "curp": request.curp, "nombres": request.nombres,
        "primer_apellido": request.primer_apellido,
        "segundo_apellido": request.segundo_apellido or "", "unit_clues": request.unit_clues,
        "direccion_code": request.direccion_code,
        "subdireccion_code": request.subdireccion_code, "departamento": request.departamento,
        "telefono": request.telefono, "extension": request.extension or "",
        "contact_email": request.contact_email, "staff_type_code": request.staff_type_code,
        "fecha_termino": timeutil.format_date(request.end_date) if request.end_date else "",
        "expediente_electronico": "si" if request.wants_ece else "no",
    }
    if request.wants_user_account:
        values["wants_user_account"] = "on"
    if request.wants_email_account:
        values["wants_email_account"] = "on"
        values["accepts_institutional_use"] = "on"
    # The commitments were made when the request was sent; the privacy notice is asked
    # again only if it changed since.
    values["accepts_personal_account"] = "on"
    if request.privacy_notice_sha256 == privacy_notice_hash():
        values["accepts_privacy_notice"] = "on"
    return values


def return_reason(request: AccountRequest) -> str | None:
    """Why the request was last returned for correction (what the signer wrote)."""
    return session().scalar(
        select(RequestEvent.reason).where(RequestEvent.request_id == request.id,
                                          RequestEvent.event == "return")
        .order_by(RequestEvent.id.desc()).limit(1))


def _duplicate() -> Conflict:
    # Never the other request's folio: its CLUES names that person's workplace.
    return Conflict("Ya existe una solicitud abierta para esta CURP. Solo se admite una "
                    "solicitud por persona.")


def track(folio: str, code: str, *, ip: str | None) -> AccountRequest:
    """The request for folio + tracking code, or NotFound (same message for either mistake).

    Audits ``request.viewed`` by the applicant.
    """
    folio = folio.strip().upper()
    request = None
    if FOLIO_RE.match(folio):
        request = session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
    if not code_hasher().verify(request.tracking_code_hash if request else None,
                           normalize_code(code)[:40]):
        raise NotFound("El folio o el código de seguimiento no son correctos.")
    assert request is not None
    audit.record("request.viewed", actor=audit.Actor("solicitante", "solicitante", ip),
                 object_type="request", object_id=request.folio,
                 summary=f"El solicitante consultó la solicitud {request.folio}")
    return request


# A lost tracking code is re-sent to the request's e-mail at most this often.
RESEND_EVERY = timedelta(minutes=10)
RESEND_ANSWER = ("Si el folio y la CURP corresponden a una solicitud en trámite, enviamos un "
                 "código de seguimiento nuevo al correo que se escribió en ella; el anterior "
                 "deja de servir. Revise también la carpeta de correo no deseado.")


def resend_tracking_code(folio: str, curp_text: str, *, ip: str | None) -> None:
    """A new tracking code for an open request, mailed to its contact e-mail (sealed in the
    outbox until sent): the lost one stops working.

    The caller always shows ``RESEND_ANSWER``: nothing says whether folio and CURP matched.
    Audits ``request.tracking_code_resent`` (never the code) or, for a folio whose CURP did
    not match, ``request.tracking_code_resend_refused``; at most once per ``RESEND_EVERY``.
    """
    folio = folio.strip().upper()[:40]
    request = (session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
               if FOLIO_RE.match(folio) else None)
    if request is None or request.closed_at is not None:
        code_hasher().hash(normalize_code(new_code()))  # as slow as a match: no timing oracle
        return
    applicant = audit.Actor("solicitante", "solicitante", ip)
    if curp.normalize(curp_text)[:18] != request.curp:
        code_hasher().hash(normalize_code(new_code()))
        audit.record("request.tracking_code_resend_refused", actor=applicant,
                     object_type="request", object_id=request.folio,
                     summary=f"Se pidió un código de seguimiento nuevo para {request.folio} "
                             "con otra CURP: no se envió")
        return
    since = timeutil.now() - RESEND_EVERY
    recent = session().scalar(select(AuditEvent.seq).where(
        AuditEvent.action == "request.tracking_code_resent",
        AuditEvent.object_type == "request", AuditEvent.object_id == request.folio,
        AuditEvent.occurred_at > since).limit(1))
    if recent is not None:
        return
    code = new_code(groups=3, size=4)
    request.tracking_code_hash = code_hasher().hash(normalize_code(code))
    audit.record("request.tracking_code_resent", actor=applicant, object_type="request",
                 object_id=request.folio,
                 summary=f"Código de seguimiento nuevo de {request.folio} enviado al correo "
                         "de la solicitud; el anterior dejó de servir")
    notifications.queue([request.contact_email], "codigo_seguimiento",
                        f"Su código de seguimiento nuevo de la solicitud {request.folio}",
                        object_type="request", object_id=request.folio, sealed=True,
                        request=request, code=code)
    session().flush()


def _tell_duplicate_attempt(request: AccountRequest) -> None:
    """Tell the applicant of an open request that someone sent the public form again with
    its CURP (nothing of what they typed), and where to follow the open one."""
    notifications.queue([request.contact_email], "intento_duplicado",
                        f"Otra solicitud con su CURP: su solicitud {request.folio} sigue en "
                        "trámite", object_type="request", object_id=request.folio,
                        request=request,
                        attempted_at=timeutil.format_datetime(timeutil.now()))


def _identity(curp: str, data: RequestInput, unit: Unit) -> people.Identity:
    """What a request as filed says about its person."""
    return people.Identity(curp=curp, nombres=data.nombres,
                           primer_apellido=data.primer_apellido,
                           segundo_apellido=data.segundo_apellido, unit_id=unit.id,
                           unit_clues=unit.clues, jurisdiction_code=unit.jurisdiction_code,
                           staff_type_code=data.staff_type_code, end_date=data.end_date)


def requests_of(person: Person) -> list[AccountRequest]:
    """The person's requests, newest first."""
    return list(session().scalars(select(AccountRequest)
                                  .where(AccountRequest.person_id == person.id)
                                  .order_by(AccountRequest.id.desc())))


def person_timeline(person: Person, cases: Iterable[tuple[str, str]] = ()) -> list[AuditEvent]:
    """The person's history: their own events, those of each of their requests and of the
    other ``cases`` given (``(object_type, object_id)``: their bajas…)."""
    return people.timeline(person, [*(("request", r.folio) for r in requests_of(person)),
                                    *cases])


def _relink_person(request: AccountRequest, person: Person) -> None:
    """A correction may fix the CURP: the request then belongs to that CURP's person, and
    the person the mistyped CURP created (with no other case) is removed with it."""
    previous = request.person_id
    if previous == person.id:
        return
    request.person_id = person.id
    session().flush()
    others = session().scalar(select(AccountRequest.id).where(
        AccountRequest.person_id == previous).limit(1))
    if others is None:
        people.remove_unused(previous, actor=audit.Actor.system())
