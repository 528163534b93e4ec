"""Issuing, cancelling and acknowledging oficios; numbering; who may see which oficio.

The liaison (enlace) of a jurisdiction selects fully signed requests of that jurisdiction and
signs an oficio to the Departamento de Informática with a fresh TOTP code. The number comes
from a gap-free counter per issuing area and year, in the same transaction as the oficio: a
refused or failed oficio rolls its number back, so the register has no gaps and no
duplicates. Each request moves to ``en_oficio`` by the state machine; the database refuses a
second live oficio for the same request. IT acknowledges receipt (acuse), which moves the
requests to ``recibida_informatica``.

The directory work after the acuse uses ``requests_of`` and builds IT's reply oficio with
``create`` (kind RESPUESTA, numbered with ``[oficios].respuesta_number_format``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from provisioning import audit, counters, timeutil, wording
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import services as approvals
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.crypto import canonical_json, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.notifications import services as notifications
from provisioning.oficios.models import (
    CANCELLED,
    ENVIO,
    RECEIVED,
    RESPUESTA,
    SENT,
    Oficio,
    OficioItem,
)
from provisioning.people.accounts import DirectoryAccount
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from provisioning.textcheck import TextError, clean

IT_ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
SERVICE_WIDE = approvals.SERVICE_WIDE
MAX_ITEMS = 200
BATCH_LIMIT = 50  # oficios acted on at once (acuse, accounts, acuse of replies)


# ---------------------------------------------------------------------------------------------
# Numbering


def issuing_area(kind: str, jurisdiction_code: str | None) -> str:
    """The area whose counter numbers the oficio: JS-<jurisdiction> or DI."""
    return f"JS-{jurisdiction_code}" if kind == ENVIO else "DI"


def next_number(kind: str, *, jurisdiction_code: str | None, year: int) -> tuple[str, str, int]:
    """Take the next number of the issuing area for ``year``: (number, area, seq).

    Runs in the caller's transaction: a rollback gives the number back (no gaps).
    """
    area = issuing_area(kind, jurisdiction_code)
    template = (settings().oficios.envio_number_format if kind == ENVIO
                else settings().oficios.respuesta_number_format)
    seq = counters.next_value(f"oficio:{area}:{year}")
    return template.format(jurisdiction=jurisdiction_code or "", seq=seq, year=year), area, seq


# ---------------------------------------------------------------------------------------------
# Scope


def can_view(principal: staff.Principal, oficio: Oficio) -> bool:
    """IT, audit and admin see every oficio; a liaison those of their jurisdictions."""
    if principal.has(*SERVICE_WIDE):
        return True
    return oficio.jurisdiction_code in principal.jurisdictions(Role.ENLACE)


def get_for(principal: staff.Principal, oficio_id: int) -> Oficio:
    """The oficio if ``principal`` may see it; NotFound otherwise."""
    oficio = db_get(Oficio, oficio_id)
    if oficio is None or not can_view(principal, oficio):
        raise NotFound("No encontramos ese oficio.")
    return oficio


def record_view(oficio: Oficio, *, actor: audit.Actor) -> None:
    """Audit that someone opened the oficio and its annex of names (``oficio.viewed``)."""
    audit.record("oficio.viewed", actor=actor, object_type="oficio", object_id=oficio.number,
                 summary=f"Consulta del oficio {oficio.number}")


def _ready(principal: staff.Principal) -> ColumnElement[bool]:
    return (AccountRequest.status == RequestStatus.LISTA_PARA_OFICIO.value) & \
        AccountRequest.jurisdiction_code.in_(principal.jurisdictions(Role.ENLACE))


def ready_requests(principal: staff.Principal) -> list[AccountRequest]:
    """The oldest fully signed requests of the liaison's jurisdictions waiting for an oficio:
    as many as one oficio carries (``MAX_ITEMS``; the rest go in the next one)."""
    if not principal.jurisdictions(Role.ENLACE):
        return []
    return list(session().scalars(
        select(AccountRequest).where(_ready(principal))
        .order_by(AccountRequest.jurisdiction_code, AccountRequest.updated_at,
                  AccountRequest.id).limit(MAX_ITEMS)))


def ready_count(principal: staff.Principal) -> int:
    """How many fully signed requests of the liaison's jurisdictions wait for an oficio."""
    if not principal.jurisdictions(Role.ENLACE):
        return 0
    return session().scalar(select(func.count()).select_from(AccountRequest)
                            .where(_ready(principal))) or 0


def oficios_for(principal: staff.Principal, *, kind: str | None = None,
                limit: int = 100) -> Sequence[Oficio]:
    """The oficios ``principal`` may see, newest first."""
    query = select(Oficio)
    if not principal.has(*SERVICE_WIDE):
        query = query.where(Oficio.jurisdiction_code.in_(principal.jurisdictions(Role.ENLACE)))
    if kind:
        query = query.where(Oficio.kind == kind)
    return session().scalars(query.order_by(Oficio.id.desc()).limit(limit)).all()


def it_inbox() -> Sequence[Oficio]:
    """Oficios sent to IT and not acknowledged yet, oldest first."""
    return session().scalars(select(Oficio).where(Oficio.kind == ENVIO, Oficio.status == SENT)
                             .order_by(Oficio.signed_at, Oficio.id)).all()


def requests_of(oficio: Oficio, *, live_only: bool = True) -> list[AccountRequest]:
    """The requests in the oficio's annex, in annex order (for IT's provisioning)."""
    query = (select(AccountRequest).join(OficioItem, OficioItem.request_id == AccountRequest.id)
             .where(OficioItem.oficio_id == oficio.id))
    if live_only:
        query = query.where(OficioItem.live.is_(True))
    return list(session().scalars(query.order_by(OficioItem.position)))


def live_oficio_of(request: AccountRequest, kind: str = ENVIO) -> Oficio | None:
    """The live oficio of ``kind`` that carries ``request``, if any."""
    return session().scalar(
        select(Oficio).join(OficioItem, OficioItem.oficio_id == Oficio.id)
        .where(OficioItem.request_id == request.id, OficioItem.kind == kind,
               OficioItem.live.is_(True)))


# ---------------------------------------------------------------------------------------------
# Content


def jurisdiction_label(code: str | None) -> str:
    """'Jurisdicción Sanitaria I Cuernavaca' (catalog) or a fallback."""
    found = catalogs.jurisdiction_by_code(code) if code else None
    return found.name if found else f"Jurisdicción Sanitaria {code or ''}".strip()


def place_of(code: str | None) -> str:
    """The city in the date line: the jurisdiction's seat, else IT's place."""
    found = catalogs.jurisdiction_by_code(code) if code else None
    return (found.seat if found and found.seat else settings().oficios.it_place)


def envio_body(count: int, jurisdiction: str, with_responsable: bool) -> str:
    """The body of the liaison's oficio."""
    plural = "solicitudes" if count != 1 else "solicitud"
    signed_by = ("el jefe inmediato y, en los casos que lo requieren, por el responsable "
                 "jurisdiccional" if with_responsable else "el jefe inmediato")
    return (f"Por medio del presente me permito enviar a usted {count} {plural} de alta de "
            f"usuarios (formato FO-DPE-STI-DI-04) del personal de la {jurisdiction}, "
            f"firmadas electrónicamente por {signed_by}, para la creación de sus cuentas de "
            "acceso al Sistema de Expediente Médico Personalizado de Registro Electrónico "
            "(SIEMPRE). Se anexa la relación de folios.\n\n"
            "Sin otro particular, le envío un cordial saludo.")


def user_names(requests: Sequence[AccountRequest]) -> dict[int, str]:
    """The domain user name of each request that has an account (IT's reply lists them)."""
    ids = [r.id for r in requests]
    return dict(session().execute(
        select(DirectoryAccount.request_id, DirectoryAccount.sam_account_name)
        .where(DirectoryAccount.request_id.in_(ids))).all()) if ids else {}


def canonical_content(oficio: Oficio, requests: Sequence[AccountRequest]) -> dict[str, object]:
    """The oficio as signed: every printed field and, per annexed request, its content hash
    (and in IT's reply, the user name of its account: never a password)."""
    reply_to = db_get(Oficio, oficio.in_reply_to_id) if oficio.in_reply_to_id else None
    users = user_names(requests) if oficio.kind == RESPUESTA else None
    return {
        "tipo": oficio.kind,
        "numero": oficio.number,
        "area_emisora": oficio.issuing_area_name,
        "jurisdiccion": oficio.jurisdiction_code,
        "lugar": oficio.place,
        "fecha": oficio.issued_on.isoformat(),
        "asunto": oficio.subject,
        "destinatario": {"nombre": oficio.addressee_name, "cargo": oficio.addressee_position,
                         "area": oficio.addressee_area},
        "cuerpo": oficio.body,
        "firmante": {"usuario": oficio.signer_username, "nombre": oficio.signer_name,
                     "cargo": oficio.signer_position},
        "ccp": oficio.ccp_lines,
        "en_respuesta_a": reply_to.number if reply_to else None,
        "anexo": [{"folio": r.folio, "nombre": r.full_name, "clues": r.unit_clues,
                   "contenido_sha256": approvals.content_hash(r),
                   **({"usuario": users.get(r.id, "")} if users is not None else {})}
                  for r in requests],
    }


def addressee_lines(oficio: Oficio) -> list[str]:
    """Name, position and area of the addressee as printed: the area is left out when the
    position already names it («Enlace jurisdiccional, Jurisdicción Sanitaria I» and
    «Jurisdicción Sanitaria I» would print the jurisdiction twice)."""
    lines = [oficio.addressee_name, oficio.addressee_position]
    area = oficio.addressee_area.strip()
    if area and area.casefold() not in oficio.addressee_position.casefold():
        lines.append(area)
    return [line for line in lines if line.strip()]


def initials(name: str) -> str:
    """Initials of a name for the oficio's reference line ('CIM')."""
    return "".join(part[0] for part in name.split() if part[:1].isalpha()).upper()[:8]


# ---------------------------------------------------------------------------------------------
# Operations


@dataclass(frozen=True)
class Addressee:
    """Whom an oficio is addressed to."""

    name: str
    position: str
    area: str


def create(kind: str, *, requests: Sequence[AccountRequest], signer: StaffUser,
           signer_role: Role, ip: str | None, jurisdiction_code: str | None, subject: str,
           body: str, addressee: Addressee, issuing_area_name: str, place: str,
           in_reply_to: Oficio | None = None) -> Oficio:
    """Number, fill and sign an oficio carrying ``requests`` (the caller moved them already
    or moves them next). Audits ``oficio.issued``."""
    now = timeutil.now()
    today = timeutil.to_local(now).date()
    number, area, seq = next_number(kind, jurisdiction_code=jurisdiction_code, year=today.year)
    oficio = Oficio(
        kind=kind, number=number, area=area, year=today.year, seq=seq,
        jurisdiction_code=jurisdiction_code, status=SENT, issued_on=today, place=place,
        subject=subject, body=body, issuing_area_name=issuing_area_name,
        addressee_name=addressee.name, addressee_position=addressee.position,
        addressee_area=addressee.area, ccp="\n".join(settings().oficios.ccp),
        in_reply_to_id=in_reply_to.id if in_reply_to else None, signer_id=signer.id,
        signer_username=signer.username, signer_name=signer.full_name,
        signer_position=signer.position or signer_role.label, signed_at=now, signer_ip=ip,
        content_sha256="", content="",
    )
    for position, request in enumerate(requests, start=1):
        oficio.items.append(OficioItem(kind=kind, request_id=request.id, folio=request.folio,
                                       position=position, live=True))
    raw = canonical_json(canonical_content(oficio, requests))
    oficio.content, oficio.content_sha256 = raw.decode(), sha256_hex(raw)
    db = session()
    try:
        with db.begin_nested():
            db.add(oficio)
    except IntegrityError:
        raise Conflict("Alguna de las solicitudes ya está en otro oficio vigente. Vuelva a "
                       "cargar la página.") from None
    audit.record("oficio.issued", actor=audit.Actor(signer.username, signer_role.value, ip),
                 object_type="oficio", object_id=number,
                 summary=f"Oficio {number} firmado con {len(requests)} solicitudes",
                 details={"kind": kind, "folios": [r.folio for r in requests],
                          "content_sha256": oficio.content_sha256,
                          "in_reply_to": in_reply_to.number if in_reply_to else None})
    return oficio


def subject_text(text: str, default: str) -> str:
    """The subject typed when signing (``default`` when left empty), cleaned."""
    try:
        return clean(text or default, max_length=300)
    except TextError as exc:
        raise ValidationError(exc.message, {"subject": exc.message}) from None


@dataclass(frozen=True)
class Draft:
    """An oficio to IT as it would be signed now: what the preview shows and ``issue``
    signs (the number is drawn only when signing)."""

    requests: list[AccountRequest]
    jurisdiction_code: str
    jurisdiction: str
    subject: str
    body: str
    addressee: Addressee
    place: str
    issued_on: date


def draft(*, principal: staff.Principal, request_ids: Sequence[int], subject: str) -> Draft:
    """The oficio the liaison would sign with these requests, checked like a signature:
    one jurisdiction in the liaison's scope (others: 404), every request ready (else 409).
    Changes nothing."""
    ids = sorted(set(request_ids))
    if not ids:
        raise ValidationError("Seleccione al menos una solicitud para el oficio.",
                              {"requests": "Seleccione al menos una."})
    if len(ids) > MAX_ITEMS:
        raise ValidationError(f"Un oficio lleva como máximo {MAX_ITEMS} solicitudes.")
    scope = principal.jurisdictions(Role.ENLACE)
    requests = []
    for request_id in ids:
        request = db_get(AccountRequest, request_id)
        if request is None or request.jurisdiction_code not in scope:
            raise NotFound("No encontramos alguna de las solicitudes seleccionadas.")
        if not workflow.can(request, "include_in_oficio"):
            raise Conflict(f"La solicitud {request.folio} está en "
                           f"«{workflow.status_of(request).label}»: no se puede incluir en un "
                           "oficio.")
        requests.append(request)
    jurisdictions = {r.jurisdiction_code for r in requests}
    if len(jurisdictions) != 1:
        raise ValidationError("Un oficio lleva solicitudes de una sola jurisdicción.")
    (jurisdiction_code,) = jurisdictions
    requests.sort(key=lambda r: (r.unit_clues, r.folio))
    config = settings().oficios
    jurisdiction = jurisdiction_label(jurisdiction_code)
    with_responsable = any(len(approvals.rules.chain(r)) > 1 for r in requests)
    return Draft(requests=requests, jurisdiction_code=jurisdiction_code,
                 jurisdiction=jurisdiction,
                 subject=subject_text(subject, config.subject),
                 body=envio_body(len(requests), jurisdiction, with_responsable),
                 addressee=Addressee(config.addressee_name, config.addressee_position,
                                     config.addressee_area),
                 place=place_of(jurisdiction_code), issued_on=timeutil.local_today())


def issue(*, principal: staff.Principal, user: StaffUser, request_ids: Sequence[int],
          subject: str, code: str, ip: str | None) -> Oficio:
    """The liaison signs an oficio to IT with the selected fully signed requests.

    Checked as ``draft`` (what the preview showed); needs a fresh TOTP code
    (``staff.AuthError``). Moves each request by ``include_in_oficio``; audits; tells IT.
    """
    prepared = draft(principal=principal, request_ids=request_ids, subject=subject)
    staff.verify_step_up(user, code, ip=ip)
    actor = principal.actor(ip, Role.ENLACE)
    requests, jurisdiction = prepared.requests, prepared.jurisdiction
    oficio = create(
        ENVIO, requests=requests, signer=user, signer_role=Role.ENLACE, ip=ip,
        jurisdiction_code=prepared.jurisdiction_code, subject=prepared.subject,
        body=prepared.body, addressee=prepared.addressee, issuing_area_name=jurisdiction,
        place=prepared.place)
    for request in requests:
        workflow.transition(request, "include_in_oficio", actor=actor,
                            details={"oficio": oficio.number})
    notifications.queue(staff.it_emails(), "oficio_recibido",
                        f"Oficio {oficio.number}: {len(requests)} solicitudes de alta",
                        object_type="oficio", object_id=oficio.number, number=oficio.number,
                        jurisdiction=jurisdiction, count=len(requests),
                        path=f"/oficios/{oficio.id}")
    return oficio


def _bump(oficio: Oficio) -> None:
    try:
        session().flush()
    except StaleDataError:
        raise Conflict(f"Otra persona modificó el oficio {oficio.number} al mismo tiempo. "
                       "Vuelva a cargar la página.") from None


def cancel(oficio: Oficio, *, principal: staff.Principal, reason: str, ip: str | None) -> None:
    """The liaison withdraws an oficio IT has not acknowledged; its requests become ready
    again and its number stays in the register. Audits ``oficio.cancelled``."""
    if oficio.kind != ENVIO:
        raise Forbidden("Solo se cancela un oficio de envío; el oficio de respuesta es del "
                        "Departamento de Informática.")
    if oficio.jurisdiction_code not in principal.jurisdictions(Role.ENLACE):
        raise Forbidden("Solo el enlace jurisdiccional que lo firmó puede cancelar el oficio.")
    if oficio.status != SENT:
        raise Conflict(f"El oficio {oficio.number} ya fue "
                       f"{'recibido' if oficio.status == RECEIVED else 'cancelado'}: "
                       "no se puede cancelar.")
    reason = approvals.reason_text(reason)
    actor = principal.actor(ip, Role.ENLACE)
    oficio.status, oficio.cancelled_at, oficio.cancel_reason = CANCELLED, timeutil.now(), reason
    _bump(oficio)
    requests = requests_of(oficio)
    for item in oficio.items:
        item.live = False
    for request in requests:
        workflow.transition(request, "remove_from_oficio", actor=actor,
                            details={"oficio": oficio.number})
    audit.record("oficio.cancelled", actor=actor, object_type="oficio", object_id=oficio.number,
                 summary=f"Oficio {oficio.number} cancelado (motivo: {reason})",
                 details={"folios": [r.folio for r in requests]})


def acknowledge(oficio: Oficio, *, principal: staff.Principal, user: StaffUser,
                ip: str | None) -> None:
    """IT's acuse de recibo of a liaison's oficio (envío): each request moves to
    ``recibida_informatica`` (the applicants are told). The acuse of IT's reply oficio is the
    first custody receipt: ``handoff.custody.acknowledge_reply``. Audits
    ``oficio.acknowledged`` and tells the signer (see ``record_receipt``).
    """
    check_acknowledge(oficio, principal=principal)
    role = Role.INFORMATICA if principal.has(Role.INFORMATICA) else Role.JEFE_INFORMATICA
    actor = principal.actor(ip, role)

    def move(requests: list[AccountRequest]) -> None:
        for request in requests:
            workflow.transition(request, "acknowledge", actor=actor,
                                details={"oficio": oficio.number})

    record_receipt(oficio, user=user, actor=actor, ip=ip, before_audit=move)


def check_acknowledge(oficio: Oficio, *, principal: staff.Principal) -> None:
    """Refuse IT's acuse of ``oficio`` before anything is written: a reply oficio or a
    non-IT principal (403), an oficio not waiting for its acuse (409)."""
    if oficio.kind == RESPUESTA:
        raise Forbidden("Solo el enlace jurisdiccional de la jurisdicción acusa de recibido el "
                        "oficio de respuesta.")
    if not principal.has(*IT_ROLES):
        raise Forbidden("Solo el Departamento de Informática acusa de recibido.")
    check_waiting(oficio)


def check_waiting(oficio: Oficio) -> None:
    """Conflict unless ``oficio`` waits for its acuse."""
    if oficio.status != SENT:
        raise Conflict(f"El oficio {oficio.number} no está en espera de acuse "
                       f"({oficio.status_label.lower()}).")


def acknowledge_batch(chosen: Sequence[Oficio], *, principal: staff.Principal,
                      user: StaffUser, ip: str | None) -> None:
    """IT's acuse of several oficios at once, each exactly as ``acknowledge`` alone (its own
    receipt, ``oficio.acknowledged`` event and notice). All or none: every oficio is
    checked before the first acuse is written. Audits ``oficio.batch_acknowledged``."""
    check_batch(chosen)
    for oficio in chosen:
        check_acknowledge(oficio, principal=principal)
    for oficio in chosen:
        acknowledge(oficio, principal=principal, user=user, ip=ip)
    role = Role.INFORMATICA if principal.has(Role.INFORMATICA) else Role.JEFE_INFORMATICA
    audit.record("oficio.batch_acknowledged", actor=principal.actor(ip, role),
                 object_type="staff", object_id=user.username,
                 summary=wording.count(len(chosen), "oficio recibido", "oficios recibidos")
                 + " en un solo acuse",
                 details={"oficios": [o.number for o in chosen]})



def check_batch(chosen: Sequence[Oficio]) -> None:
    """A batch of oficios: at least one, at most ``BATCH_LIMIT``, none twice."""
    if not chosen:
        raise ValidationError("Elija al menos un oficio.", {"oficio_id": "Elija al menos uno."})
    if len(chosen) > BATCH_LIMIT:
        raise ValidationError(f"Se eligen a lo más {BATCH_LIMIT} oficios a la vez.",
                              {"oficio_id": f"A lo más {BATCH_LIMIT}."})
    if len({o.id for o in chosen}) != len(chosen):
        raise ValidationError("Eligió un oficio dos veces.", {"oficio_id": "Repetido."})


def record_receipt(oficio: Oficio, *, user: StaffUser, actor: audit.Actor, ip: str | None,
                   before_audit: Callable[[list[AccountRequest]], None]) -> None:
    """Write the acuse on ``oficio`` (who, when, from where, the SHA-256 received), run
    ``before_audit`` on its requests (what the receipt means for them), audit
    ``oficio.acknowledged`` and tell the signer. A second acuse, or one racing it: 409."""
    check_waiting(oficio)
    now = timeutil.now()
    oficio.status = RECEIVED
    oficio.received_by_id, oficio.received_by_name = user.id, user.full_name
    oficio.received_at, oficio.received_ip = now, ip
    oficio.receipt_sha256 = oficio.content_sha256
    _bump(oficio)
    requests = requests_of(oficio)
    before_audit(requests)
    audit.record("oficio.acknowledged", actor=actor, object_type="oficio",
                 object_id=oficio.number,
                 summary=f"Acuse de recibo del oficio {oficio.number} por {user.full_name}",
                 details={"receipt_sha256": oficio.receipt_sha256,
                          "folios": [r.folio for r in requests]})
    signer = session().get(StaffUser, oficio.signer_id)
    if signer is not None and signer.active:
        notifications.queue([signer.email], "acuse",
                            f"Acuse de recibo del oficio {oficio.number}",
                            object_type="oficio", object_id=oficio.number,
                            number=oficio.number, receiver=user.full_name,
                            received_at=timeutil.format_datetime(now),
                            path=f"/oficios/{oficio.id}")


def replies_to(oficio: Oficio) -> list[Oficio]:
    """IT's reply oficios to ``oficio``, oldest first."""
    return list(session().scalars(select(Oficio).where(
        Oficio.in_reply_to_id == oficio.id, Oficio.kind == RESPUESTA).order_by(Oficio.id)))
