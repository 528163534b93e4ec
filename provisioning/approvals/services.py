"""Signing, returning and rejecting requests; what each staff member may see.

Every operation checks the actor's role and scope against the request (out of scope: the
request "does not exist", 404), asks the rule table whose turn it is, then moves the request
with ``workflow.transition`` (which refuses a wrong state or a concurrent change with 409) and
writes its rows and audit events in the caller's transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from provisioning import audit, timeutil, wording
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import rules
from provisioning.approvals.models import Signature
from provisioning.catalogs import services as catalogs
from provisioning.crypto import canonical_json, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from provisioning.textcheck import TextError, clean

# Roles without a unit/jurisdiction scope see every request (IT, custody, audit, admin).
SERVICE_WIDE = tuple(r for r in Role if r.scope is None)
SIGNER_ROLES = (Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL)
FORMAT_CODE = "FO-DPE-STI-DI-04"


# ---------------------------------------------------------------------------------------------
# Scope


def can_view(principal: staff.Principal, request: AccountRequest) -> bool:
    """True when ``principal`` may see ``request`` (scope by unit / jurisdiction / service)."""
    if principal.has(*SERVICE_WIDE):
        return True
    if request.unit_clues in principal.units(Role.JEFE_UNIDAD):
        return True
    if request.jurisdiction_code in principal.jurisdictions(Role.ENLACE):
        return True
    return (rules.RESPONSABLE in rules.chain(request) and request.jurisdiction_code
            in principal.jurisdictions(Role.RESPONSABLE_JURISDICCIONAL))


def get_for(principal: staff.Principal, request_id: int) -> AccountRequest:
    """The request with this id if ``principal`` may see it; NotFound otherwise (either way)."""
    request = db_get(AccountRequest, request_id)
    if request is None or not can_view(principal, request):
        raise NotFound("No encontramos esa solicitud.")
    return request


def record_view(request: AccountRequest, *, actor: audit.Actor) -> None:
    """Audit that a staff member opened the request's personal data (``request.viewed``)."""
    audit.record("request.viewed", actor=actor, object_type="request", object_id=request.folio,
                 summary=f"Consulta de la solicitud {request.folio} por el personal")


def holds(principal: staff.Principal, step: rules.Step, request: AccountRequest) -> bool:
    """True when ``principal`` has the role of ``step`` over the request's unit/jurisdiction."""
    if step.scope == "unit":
        return request.unit_clues in principal.units(step.role)
    return request.jurisdiction_code in principal.jurisdictions(step.role)


def my_turn(principal: staff.Principal, request: AccountRequest) -> rules.Step | None:
    """The pending step if ``principal`` is the one who must act on it now, else None."""
    step = rules.pending_step(request)
    return step if step is not None and holds(principal, step, request) else None


def _turn(principal: staff.Principal, request: AccountRequest, verb: str) -> rules.Step:
    """The step ``principal`` acts in now; 409 when it is not their turn, 403 when never."""
    step = my_turn(principal, request)
    if step is not None:
        return step
    if not any(holds(principal, s, request) for s in rules.chain(request)):
        raise Forbidden("Su rol no firma esta solicitud.")
    status = workflow.status_of(request)
    raise Conflict(f"La solicitud {request.folio} está en «{status.label}»: no le corresponde "
                   f"{verb}la en este momento.")


INBOX_PAGE_SIZE = 50


@dataclasses.dataclass(frozen=True)
class InboxPage:
    """One page of a signer's inbox: the oldest waiting requests first."""

    rows: list[AccountRequest]
    total: int
    page: int
    pages: int


def inbox(principal: staff.Principal, *, page: int = 1, per_page: int | None = None
          ) -> InboxPage:
    """Requests waiting for ``principal``'s signature, oldest first, a page at a time."""
    per_page = per_page or INBOX_PAGE_SIZE
    conditions = []
    units = principal.units(Role.JEFE_UNIDAD)
    if units:
        conditions.append((AccountRequest.status == RequestStatus.ENVIADA.value)
                          & AccountRequest.unit_clues.in_(units))
    jurisdictions = principal.jurisdictions(Role.RESPONSABLE_JURISDICCIONAL)
    if jurisdictions:
        conditions.append((AccountRequest.status == RequestStatus.FIRMADA_JEFE.value)
                          & AccountRequest.jurisdiction_code.in_(jurisdictions))
    if not conditions:
        return InboxPage([], 0, 1, 1)
    waiting = or_(*conditions)
    total = session().scalar(select(func.count()).select_from(AccountRequest).where(waiting))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session().scalars(select(AccountRequest).where(waiting)
                             .order_by(AccountRequest.updated_at, AccountRequest.id)
                             .offset((page - 1) * per_page).limit(per_page))
    return InboxPage([r for r in rows if my_turn(principal, r) is not None], total, page, pages)


def recent_for_units(principal: staff.Principal, limit: int = 50) -> Sequence[AccountRequest]:
    """The latest requests of the principal's units in any state (unit heads' overview)."""
    units = principal.units(Role.JEFE_UNIDAD)
    if not units:
        return []
    return session().scalars(
        select(AccountRequest).where(AccountRequest.unit_clues.in_(units))
        .order_by(AccountRequest.updated_at.desc(), AccountRequest.id.desc()).limit(limit)
    ).all()


# ---------------------------------------------------------------------------------------------
# Content as signed


def canonical_content(request: AccountRequest) -> dict[str, object]:
    """The filled form as a plain dict: what a signature's hash covers (not the state)."""
    unit = request.unit
    return {
        "formato": FORMAT_CODE,
        "folio": request.folio,
        "fecha": request.form_date.isoformat(),
        "cuenta_de_usuario": request.wants_user_account,
        "cuenta_de_correo": request.wants_email_account,
        "expediente_electronico": request.wants_ece,
        "curp": request.curp,
        "nombres": request.nombres,
        "primer_apellido": request.primer_apellido,
        "segundo_apellido": request.segundo_apellido,
        "unidad_clues": request.unit_clues,
        "unidad_nombre": unit.name if unit else "",
        "tipo_unidad": request.unit_type,
        "jurisdiccion": request.jurisdiction_code,
        "direccion": request.direccion_code,
        "subdireccion": request.subdireccion_code,
        "departamento": request.departamento,
        "telefono": request.telefono,
        "extension": request.extension,
        "correo": request.contact_email,
        "tipo_personal": request.staff_type_code,
        "aviso_privacidad_sha256": request.privacy_notice_sha256,
        # Only when given: the content of requests without one (and their hashes) is as before.
        **({"fecha_termino": request.end_date.isoformat()} if request.end_date else {}),
    }


def content_hash(request: AccountRequest) -> str:
    """SHA-256 of the request's canonical content now."""
    return sha256_hex(canonical_json(canonical_content(request)))


def signatures(request: AccountRequest, *, live_only: bool = True) -> list[Signature]:
    """The request's signatures in signing order (live ones only by default)."""
    query = select(Signature).where(Signature.request_id == request.id)
    if live_only:
        query = query.where(Signature.voided_at.is_(None))
    return list(session().scalars(query.order_by(Signature.id)))


# ---------------------------------------------------------------------------------------------
# Operations


def sign(request: AccountRequest, *, principal: staff.Principal, user: StaffUser, code: str,
         ip: str | None) -> Signature:
    """Sign the request in the step whose turn it is, after a fresh TOTP code (step-up).

    Records signer, role, time, IP and the SHA-256 of the canonical content; moves the request
    to the next step's state (rule table) or to ``lista_para_oficio``. Raises
    ``staff.AuthError`` for a wrong or replayed code (the caller commits the failure count).
    Audits ``request.sign_unit_head`` / ``request.sign_responsable``; notifies the next actor.
    """
    step = _turn(principal, request, "firmar")
    staff.verify_step_up(user, code, ip=ip)
    return _record_signature(request, step, principal=principal, user=user, ip=ip)


# At most this many requests signed with one code (the inbox shows 50 a page).
BATCH_LIMIT = 50


def sign_batch(requests: Sequence[AccountRequest], *, principal: staff.Principal,
               user: StaffUser, code: str, ip: str | None) -> list[Signature]:
    """Sign several requests with one fresh TOTP code: each gets its own signature with the
    SHA-256 of its own content, exactly as if signed alone. All or none: a request that is
    not the signer's turn refuses the whole batch before the code is checked. Audits
    ``request.batch_signed`` with the folios, besides each request's own signature event."""
    if not requests:
        raise ValidationError("Elija al menos una solicitud para firmar.",
                              {"request_id": "Elija al menos una solicitud."})
    if len(requests) > BATCH_LIMIT:
        raise ValidationError(f"Se firman a lo más {BATCH_LIMIT} solicitudes a la vez.",
                              {"request_id": f"A lo más {BATCH_LIMIT}."})
    steps = [(request, _turn(principal, request, "firmar")) for request in requests]
    staff.verify_step_up(user, code, ip=ip)
    signed = [_record_signature(request, step, principal=principal, user=user, ip=ip)
              for request, step in steps]
    audit.record("request.batch_signed", actor=principal.actor(ip), object_type="staff",
                 object_id=user.username,
                 summary=wording.count(len(signed), "solicitud firmada",
                                       "solicitudes firmadas") + " con un solo código",
                 details={"folios": [r.folio for r in requests],
                          "content_sha256": [s.content_sha256 for s in signed]})
    return signed


def _record_signature(request: AccountRequest, step: rules.Step, *,
                      principal: staff.Principal, user: StaffUser, ip: str | None
                      ) -> Signature:
    raw = canonical_json(canonical_content(request))
    digest = sha256_hex(raw)
    target = rules.state_after(request, step)
    workflow.transition(request, step.event, actor=principal.actor(ip, step.role), to=target,
                        details={"step": step.code, "content_sha256": digest})
    signature = Signature(
        request_id=request.id, step=step.code, signer_id=user.id,
        signer_username=user.username, signer_name=user.full_name,
        signer_position=user.position or step.role.label, signer_role=step.role.value,
        signed_at=timeutil.now(), ip=ip, content_sha256=digest, content=raw.decode(),
    )
    db = session()
    try:
        with db.begin_nested():
            db.add(signature)
    except IntegrityError:
        raise Conflict(f"La solicitud {request.folio} ya tiene esa firma.") from None
    return signature


def reason_text(text: str) -> str:
    """A reason typed by staff (shown to the applicant): clean, 5 to 500 characters."""
    try:
        reason = clean(text, max_length=500)
    except TextError as exc:
        raise ValidationError(exc.message, {"reason": exc.message}) from None
    if len(reason) < 5:
        raise ValidationError("Explique el motivo (al menos 5 caracteres).",
                              {"reason": "Explique el motivo."})
    return reason


def return_for_correction(request: AccountRequest, *, principal: staff.Principal, reason: str,
                          ip: str | None) -> None:
    """Return the request to the applicant with a reason; voids its live signatures.

    The applicant corrects it from the tracking page and resubmits with the same folio.
    Audits ``request.return``; notifies the applicant.
    """
    step = _turn(principal, request, "devolver")
    reason = reason_text(reason)
    _void_signatures(request)
    workflow.transition(request, "return", actor=principal.actor(ip, step.role), reason=reason)


def reject(request: AccountRequest, *, principal: staff.Principal, reason: str,
           ip: str | None) -> None:
    """Reject the request for good with a reason. Audits ``request.reject``; notifies."""
    step = _turn(principal, request, "rechazar")
    reason = reason_text(reason)
    workflow.transition(request, "reject", actor=principal.actor(ip, step.role), reason=reason)


def cancel_by_applicant(request: AccountRequest, *, ip: str | None) -> None:
    """The applicant withdraws the request (before it goes out by oficio). Audits it."""
    workflow.transition(request, "cancel", actor=audit.Actor("solicitante", "solicitante", ip),
                        reason="Cancelada por el solicitante")


def _void_signatures(request: AccountRequest) -> None:
    now = timeutil.now()
    for signature in signatures(request):
        signature.voided_at = now
    session().flush()


def unit_name(request: AccountRequest) -> str:
    """The unit's name as it was when the request was submitted."""
    return request.unit.name if request.unit else request.unit_clues


def jurisdiction_name(code: str) -> str:
    """The jurisdiction's catalog name, or its code."""
    found = catalogs.jurisdiction_by_code(code)
    return found.name if found else f"Jurisdicción {code}"


def record_list_view(requests: Sequence[AccountRequest], *, actor: audit.Actor,
                     where: str) -> None:
    """Audit that a list showing these requests' personal data was opened."""
    if not requests:
        return
    audit.record("request.list_viewed", actor=actor, object_type="request_list",
                 object_id=where,
                 summary=f"Consulta de {len(requests)} solicitudes ({where})",
                 details={"folios": [r.folio for r in requests][:200]})


def export_rows(request: AccountRequest) -> list[dict[str, str]]:
    """Every signature of the request (voided ones too) for the person's data export."""
    rows = []
    for s in signatures(request, live_only=False):
        step = rules.STEPS[s.step].label if s.step in rules.STEPS else s.step
        rows.append({"paso": step, "firmo": s.signer_name, "cargo": s.signer_position,
                     "fecha": timeutil.format_datetime(s.signed_at, seconds=True),
                     "contenido_firmado_sha256": s.content_sha256,
                     "estado": (f"anulada el {timeutil.format_datetime(s.voided_at)} (la "
                                "solicitud se devolvió para corrección)") if s.voided_at
                               else "vigente"})
    return rows


def clear_contents(request_ids: list[int]) -> int:
    """Blank what the requests' signatures signed (retention: it is the person's data as
    filed); the SHA-256 stays as the evidence of what was signed. Returns how many."""
    result = session().execute(
        update(Signature).where(Signature.request_id.in_(request_ids)).values(content="")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
