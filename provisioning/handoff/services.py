"""Delivery in person and activation: the secret is created at the last hop, in front of
the person, and only the person ever knows the password.

1. ``deliver``: the final holder (``custody.holds_for_delivery``) checks identity (CURP and
   name against an official ID) and Alta creates a one-time activation code. It is shown
   once, on the printable slip; only its argon2id hash is stored, with an expiry
   (``[handoff]``). ``reissue`` replaces it (the old one stops working) with a reason. Each
   issue is the receipt of the delivery (who, when, from where, which ID).
2. ``check_activation`` + ``set_chosen_password`` + ``record_activation``: on /activar the
   person types user name, code and CURP, and chooses a password. Wrong data gets one
   generic answer. Only a wrong code typed with the holder's own CURP counts (a stranger who
   guesses a user name cannot burn the code); after a few the code backs off for 1, 2, 4…
   minutes (capped, 429) and the holder is told by e-mail, but it is never locked for good.
   The password goes straight to the domain controller (no database transaction is open
   meanwhile) and is never stored, queued or logged. The DC's policy verdict comes back in
   Spanish; the account is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update

from provisioning import audit, timeutil, wording
from provisioning import curp as curp_rules
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import services as approvals
from provisioning.config import current as settings
from provisioning.crypto import code_hasher, new_code, normalize_code, pseudonym, sealer
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.directory import port
from provisioning.directory.errors import DirectoryError, PasswordRejected
from provisioning.errors import AltaError, Conflict, NotFound, ValidationError
from provisioning.handoff import custody
from provisioning.handoff.models import ActivationCode
from provisioning.notifications import services as notifications
from provisioning.people import accounts as people_accounts
from provisioning.people.accounts import DirectoryAccount
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser

# Official IDs with a photograph accepted at delivery (only the kind is recorded).
ID_DOCUMENTS = {
    "ine": "Credencial para votar (INE)",
    "pasaporte": "Pasaporte",
    "cedula": "Cédula profesional con fotografía",
    "licencia": "Licencia de conducir",
    "cartilla": "Cartilla del Servicio Militar Nacional",
    "otra": "Otra identificación oficial con fotografía",
}
DELIVERING_ROLES = (Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL)
# Said for every refused activation: which of user name, code or CURP was wrong, or whether
# the code expired, is never told (no enumeration of accounts or codes).
ACTIVATION_REFUSED = ("Los datos no coinciden con una cuenta por activar, o el código ya no es "
                      "válido. Revise su nombre de usuario, el código y su CURP. Si el problema "
                      "continúa, pida a quien le entregó el código que le emita uno nuevo.")
# Said (429) while a code backs off after wrong codes typed with the holder's CURP.
ACTIVATION_WAIT = ("Hubo varios intentos fallidos con este código. Por seguridad, espere unos "
                   "minutos antes de intentar de nuevo. Si usted no hizo esos intentos, avise a "
                   "quien le entregó el código.")
DIRECTORY_DOWN = ("En este momento no podemos comunicarnos con el directorio institucional. Su "
                  "código sigue siendo válido: intente de nuevo en unos minutos.")
MAX_PASSWORD = 128


class ActivationRefused(AltaError):
    """Wrong user name, code or CURP, or a code expired or used (one answer)."""

    status = 400

    def __init__(self, message: str = ACTIVATION_REFUSED) -> None:
        super().__init__(message)


class ActivationWait(ActivationRefused):
    """The holder's code backs off after wrong codes: no try is taken until it ends."""

    status = 429

    def __init__(self) -> None:
        super().__init__(ACTIVATION_WAIT)


# ---------------------------------------------------------------------------------------------
# Delivery in person (the final holder)


def get_for_holder(principal: staff.Principal, request_id: int) -> AccountRequest:
    """A request whose account ``principal`` received in the last custody hop; else 404."""
    request = db_get(AccountRequest, request_id)
    if request is None or not custody.holds_for_delivery(principal, request):
        raise NotFound("No encontramos esa cuenta entre las que usted entrega.")
    return request


def live_code(request: AccountRequest) -> ActivationCode | None:
    """The request's activation code that still can be used (neither used nor replaced)."""
    return session().scalar(select(ActivationCode).where(
        ActivationCode.request_id == request.id, ActivationCode.used_at.is_(None),
        ActivationCode.revoked_at.is_(None)))


def codes_of(request: AccountRequest) -> list[ActivationCode]:
    """Every code delivered for the request (the delivery receipts), oldest first."""
    return list(session().scalars(select(ActivationCode).where(
        ActivationCode.request_id == request.id).order_by(ActivationCode.id)))


@dataclass(frozen=True)
class Slip:
    """What the printable slip shows: the code only here, once."""

    request: AccountRequest
    user_name: str
    code: str
    delivery: ActivationCode  # the receipt: who delivered, when, until when it is valid


def _identity(id_document: str, confirmed: bool) -> str:
    errors = {}
    if id_document not in ID_DOCUMENTS:
        errors["id_document"] = "Elija la identificación oficial que presentó la persona."
    if not confirmed:
        errors["identity"] = ("Confirme que comparó la CURP y el nombre con la identificación "
                              "oficial de la persona, que está presente.")
    if errors:
        raise ValidationError("Antes de entregar, verifique la identidad de la persona.", errors)
    return id_document


def _issue(request: AccountRequest, *, user: StaffUser, role: Role, ip: str | None,
           id_document: str, reason: str | None) -> tuple[ActivationCode, str]:
    """Create a code, store its hash and the delivery receipt; return them and the code.

    For ``[handoff].sheet_minutes`` the code is also kept sealed, so that the holder who
    delivered it can reopen the printable sheet (``open_sheet``); then it is wiped.
    """
    config = settings().handoff
    code = new_code()
    now = timeutil.now()
    expires = now + timedelta(days=config.code_validity_days)
    row = ActivationCode(
        request_id=request.id, code_hash=code_hasher().hash(normalize_code(code)),
        issued_at=now, expires_at=expires, attempts=0,
        delivered_by_id=user.id,
        delivered_by_name=user.full_name, delivered_by_role=role.value, delivered_ip=ip,
        id_document=id_document, reissue_reason=reason)
    if config.sheet_minutes > 0:
        row.sheet_sealed = sealer().seal(code)
        row.sheet_until = min(now + timedelta(minutes=config.sheet_minutes), expires)
    session().add(row)
    session().flush()
    return row, code


SHEET_GONE = ("La hoja de activación ya no se puede volver a abrir: se muestra solo a quien "
              "entregó el código y por {minutes} minutos. Si la persona no tiene su código, "
              "emita uno nuevo indicando el motivo.")


def open_sheet(request: AccountRequest, *, user: StaffUser, ip: str | None,
               actor: audit.Actor) -> Slip:
    """The printable sheet of the request's live code, again, for the staff member who
    delivered it and while ``sheet_until`` holds; audits ``handoff.sheet_viewed`` (never
    the code). A sheet past its time is wiped here (and by ``wipe_old_sheets``)."""
    row = live_code(request)
    now = timeutil.now()
    if row is None or row.sheet_sealed is None or row.delivered_by_id != user.id:
        raise NotFound(SHEET_GONE.format(minutes=settings().handoff.sheet_minutes))
    if row.sheet_until is None or row.sheet_until <= now:
        row.sheet_sealed = row.sheet_until = None
        session().flush()
        raise NotFound(SHEET_GONE.format(minutes=settings().handoff.sheet_minutes))
    audit.record("handoff.sheet_viewed", actor=actor, object_type="request",
                 object_id=request.folio, summary=f"Hoja de activación de {request.folio} "
                 "vista de nuevo por quien la entregó", details={"delivery": row.id})
    return Slip(request, user_name(request), sealer().unseal(row.sheet_sealed), row)


def close_sheet(request: AccountRequest, *, user: StaffUser, actor: audit.Actor) -> bool:
    """Wipe the sealed code of the sheet the staff member delivered (they printed it or
    dictated it); audits ``handoff.sheet_closed``. False when there was nothing to wipe."""
    row = live_code(request)
    if row is None or row.sheet_sealed is None or row.delivered_by_id != user.id:
        return False
    row.sheet_sealed = row.sheet_until = None
    audit.record("handoff.sheet_closed", actor=actor, object_type="request",
                 object_id=request.folio, summary=f"Hoja de activación de {request.folio} "
                 "cerrada: el código ya no se guarda", details={"delivery": row.id})
    session().flush()
    return True


def wipe_old_sheets() -> int:
    """Wipe every sealed sheet code past its time, used or replaced (a periodic task);
    returns how many. Idempotent."""
    now = timeutil.now()
    return session().execute(
        update(ActivationCode).where(
            ActivationCode.sheet_sealed.is_not(None),
            (ActivationCode.sheet_until <= now) | ActivationCode.used_at.is_not(None)
            | ActivationCode.revoked_at.is_not(None))
        .values(sheet_sealed=None, sheet_until=None)
        .execution_options(synchronize_session=False)).rowcount


def _holder_role(request: AccountRequest) -> Role:
    transfer = custody.current_transfer(request)
    assert transfer is not None  # get_for_holder checked it
    return Role(transfer.to_role)


def user_name(request: AccountRequest) -> str:
    """The domain user name of the request's account (Conflict when it has none)."""
    account = people_accounts.account_of(request)
    if account is None:
        raise Conflict(f"La solicitud {request.folio} no tiene cuenta registrada.")
    return account.sam_account_name


def deliver(request: AccountRequest, *, principal: staff.Principal, user: StaffUser,
            code: str, id_document: str, identity_confirmed: bool, ip: str | None) -> Slip:
    """Deliver the account in person: identity checked, a fresh TOTP, a new activation code.

    Moves the request by ``deliver`` (→ ``entregada``); the move's audit event is the
    delivery's record (who, when, IP, which ID) — never the code. Delivering twice is a
    conflict: a second code needs ``reissue`` with a reason.
    """
    status = workflow.status_of(request)
    if status == RequestStatus.ENTREGADA:
        raise Conflict(f"La cuenta de la solicitud {request.folio} ya se entregó. Si la persona "
                       "perdió su código o venció, emita uno nuevo indicando el motivo.")
    if status != RequestStatus.EN_ENTREGA:
        raise Conflict(f"La solicitud {request.folio} está en «{status.label}»: ya no se "
                       "entrega un código.")
    id_document = _identity(id_document, identity_confirmed)
    name = user_name(request)
    staff.verify_step_up(user, code, ip=ip)
    role = _holder_role(request)
    row, secret = _issue(request, user=user, role=role, ip=ip, id_document=id_document,
                         reason=None)
    workflow.transition(request, "deliver", actor=principal.actor(ip, role),
                        details={"delivery": row.id, "id_document": id_document,
                                 "expires_at": row.expires_at.isoformat()})
    return Slip(request, name, secret, row)


def reissue(request: AccountRequest, *, principal: staff.Principal, user: StaffUser,
            code: str, id_document: str, identity_confirmed: bool, reason: str,
            ip: str | None) -> Slip:
    """Replace the delivered code (lost, expired, locked): the old one stops working.

    Same checks as a delivery plus a reason, which the applicant sees in the history.
    Moves by ``deliver`` (``entregada`` → ``entregada``) and audits it.
    """
    if workflow.status_of(request) != RequestStatus.ENTREGADA:
        raise Conflict(f"La solicitud {request.folio} no tiene un código entregado que "
                       "reemplazar.")
    reason = approvals.reason_text(reason)
    id_document = _identity(id_document, identity_confirmed)
    name = user_name(request)
    staff.verify_step_up(user, code, ip=ip)
    role = _holder_role(request)
    now = timeutil.now()
    revoked = session().execute(
        update(ActivationCode).where(ActivationCode.request_id == request.id,
                                     ActivationCode.used_at.is_(None),
                                     ActivationCode.revoked_at.is_(None))
        .values(revoked_at=now, sheet_sealed=None, sheet_until=None)
        .execution_options(synchronize_session=False)).rowcount
    row, secret = _issue(request, user=user, role=role, ip=ip, id_document=id_document,
                         reason=reason)
    workflow.transition(request, "deliver", actor=principal.actor(ip, role),
                        reason=f"Código de activación reemplazado: {reason}",
                        details={"delivery": row.id, "id_document": id_document,
                                 "expires_at": row.expires_at.isoformat(),
                                 "revoked": revoked, "reissue": True})
    return Slip(request, name, secret, row)


# ---------------------------------------------------------------------------------------------
# Activation (the person, on /activar)


@dataclass(frozen=True)
class ActivationTarget:
    """The account a correct user name + code + CURP opens (no secret in it)."""

    request_id: int
    folio: str
    code_id: int
    guid: str
    user_name: str


_NOT_IN_NAMES = set('"/\\[]:;|=,+*?<>')  # characters AD refuses in a sAMAccountName


def typed_user_name(text: str) -> str | None:
    """The sAMAccountName in what a person typed (also name@domain or DOMAIN\\name), or None
    when no account can have such a name."""
    typed = text.strip().split("\\")[-1].split("@")[0].strip()
    # No such name can exist; and PostgreSQL refuses NUL bytes in a query parameter.
    if not typed or len(typed) > 20 or any(
            ord(ch) < 32 or ord(ch) == 127 or ch in _NOT_IN_NAMES for ch in typed):
        return None
    return typed


def account_by_user_name(text: str) -> DirectoryAccount | None:
    """The recorded account for a typed user name (also as name@domain or DOMAIN\\name).

    Names Alta makes are lower case, so any capitalization finds them; an account linked
    with capitals in its name is found as written on the slip. Only accounts of requests
    (those handed over on a slip): an account adopted from the directory import has no
    activation nor pre-registration here.
    """
    typed = typed_user_name(text)
    if typed is None:
        return None
    return session().scalar(select(DirectoryAccount).where(
        DirectoryAccount.sam_account_name.in_({typed, typed.lower()}),
        DirectoryAccount.request_id.is_not(None)).order_by(DirectoryAccount.id).limit(1))


def backoff_for(attempts: int) -> timedelta | None:
    """How long a code waits after ``attempts`` wrong codes with the holder's CURP (None:
    not yet): ``code_backoff_minutes`` at ``code_backoff_after``, doubled with each further
    one, at most ``code_backoff_max_minutes``."""
    config = settings().handoff
    if attempts < config.code_backoff_after:
        return None
    doublings = min(attempts - config.code_backoff_after, 30)  # 2**30 minutes: past any cap
    return timedelta(minutes=min(config.code_backoff_minutes * 2 ** doublings,
                                 config.code_backoff_max_minutes))


def _refuse_stranger(request: AccountRequest | None, actor: audit.Actor) -> ActivationRefused:
    """A try whose CURP is not the account holder's (or an unknown user): audited, counted
    against nothing, so guessing a user name cannot burn or delay anyone's code."""
    if request is not None:
        audit.record("handoff.activation_refused", actor=actor, object_type="request",
                     object_id=request.folio,
                     summary="Intento de activación con una CURP que no es la de la persona "
                             "(no cuenta contra el código)",
                     details={"counted": False, "reason": "curp"})
    else:
        audit.record("handoff.activation_refused", actor=actor, object_type="activation",
                     object_id="desconocida",
                     summary="Intento de activación con un usuario sin cuenta por activar")
    return ActivationRefused()


def _wait(request: AccountRequest, row: ActivationCode, actor: audit.Actor) -> ActivationWait:
    """A try while the code backs off: audited, not verified further, not counted."""
    audit.record("handoff.activation_refused", actor=actor, object_type="request",
                 object_id=request.folio,
                 summary="Intento de activación durante la espera por intentos fallidos "
                         f"(hasta el {timeutil.format_datetime(row.blocked_until)})",
                 details={"counted": False, "reason": "backoff",
                          "blocked_until": row.blocked_until.isoformat()
                          if row.blocked_until else None})
    return ActivationWait()


def _refuse(request: AccountRequest, row: ActivationCode | None, *, usable: bool,
            actor: audit.Actor) -> ActivationRefused:
    """The holder's CURP with a wrong code (or a code expired or used): count a usable
    code's failure, start or lengthen its backoff, audit it; return the error.

    When the backoff starts the holder is told by e-mail (``codigo_intentos``) and
    ``handoff.activation_backoff`` is audited.
    """
    attempts = row.attempts if row is not None else 0
    wait = None
    if row is not None and usable:
        # In SQL, so two wrong attempts at the same moment both count.
        attempts = session().execute(
            update(ActivationCode).where(ActivationCode.id == row.id)
            .values(attempts=ActivationCode.attempts + 1).returning(ActivationCode.attempts)
        ).scalar_one()
        wait = backoff_for(attempts)
        if wait is not None:
            row.blocked_until = timeutil.now() + wait
            session().flush()
    until = row.blocked_until if wait is not None and row is not None else None
    audit.record("handoff.activation_refused", actor=actor, object_type="request",
                 object_id=request.folio,
                 summary=f"Intento de activación rechazado ({attempts} "
                         f"{'código equivocado' if attempts == 1 else 'códigos equivocados'})"
                         + (f": espera de {wording.count(_minutes(wait), 'minuto')}"
                            if wait is not None else ""),
                 details={"attempts": attempts, "counted": row is not None and usable,
                          "blocked_until": until.isoformat() if until else None})
    if until is not None and attempts == settings().handoff.code_backoff_after:
        assert wait is not None
        audit.record("handoff.activation_backoff", actor=actor, object_type="request",
                     object_id=request.folio,
                     summary=f"Código de activación en espera de "
                             f"{wording.count(_minutes(wait), 'minuto')} por {attempts} "
                             "códigos equivocados; se avisó a la persona",
                     details={"attempts": attempts, "blocked_until": until.isoformat()})
        # Tell the holder (never the code; it still works after the wait).
        notifications.queue([request.contact_email], "codigo_intentos",
                            "Intentos fallidos con el código de activación de la solicitud "
                            f"{request.folio}", object_type="request", object_id=request.folio,
                            request=request, attempts=attempts,
                            until=timeutil.format_datetime(until))
    return ActivationRefused()


def _minutes(wait: timedelta | None) -> int:
    return int(wait.total_seconds() // 60) if wait is not None else 0


def check_activation(user_name: str, code: str, curp_text: str, *,
                     ip: str | None) -> ActivationTarget:
    """The account these three open, or ActivationRefused (one message for every mistake).

    A CURP that is not the account holder's counts nothing. With the holder's CURP a wrong
    code counts one failure; from ``code_backoff_after`` on, the code waits before it takes
    another try (ActivationWait, 429, even for the right code). The caller commits either
    way, so the count survives. Costs one argon2 verification whatever the input (no timing
    hint).
    """
    actor = audit.Actor("solicitante", "solicitante", ip)
    account = account_by_user_name(user_name[:300])
    request = db_get(AccountRequest, account.request_id) if account else None
    row = (live_code(request) if request is not None
           and request.status == RequestStatus.ENTREGADA.value else None)
    matches = code_hasher().verify(row.code_hash if row else None, normalize_code(code)[:40])
    now = timeutil.now()
    usable = row is not None and row.expires_at > now
    same_person = request is not None and curp_rules.normalize(curp_text)[:30] == request.curp
    if not same_person:
        raise _refuse_stranger(request, actor)
    assert request is not None
    if usable and row is not None and row.blocked_until is not None and row.blocked_until > now:
        raise _wait(request, row, actor)
    if not (usable and matches):
        raise _refuse(request, row, usable=usable, actor=actor)
    assert account is not None and row is not None
    return ActivationTarget(request.id, request.folio, row.id, account.object_guid,
                            account.sam_account_name)


def check_password_form(password: str, confirmation: str) -> str:
    """The chosen password as typed twice; the DC judges its strength."""
    field, problem = "password", None
    if not password:
        problem = "Escriba la contraseña que eligió."
    elif len(password) > MAX_PASSWORD:
        problem = f"Use como máximo {MAX_PASSWORD} caracteres."
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        problem = "La contraseña no puede llevar caracteres de control."
    elif password != confirmation:
        field, problem = "password2", "Las dos contraseñas no coinciden."
    if problem:
        raise ValidationError("Revise la contraseña.", {field: problem})
    return password


def set_chosen_password(target: ActivationTarget, password: str) -> None:
    """Set the person's password on the DC and enable the account (no forced change: the
    person chose it). Call with no database transaction open. PasswordRejected carries the
    DC's verdict in Spanish; any other directory failure becomes a plain Spanish 503."""
    try:
        port.current().set_password(target.guid, password, enable=True)
    except PasswordRejected:
        raise
    except DirectoryError as exc:
        raise AltaError(DIRECTORY_DOWN, status=503) from exc


def record_password_rejected(target: ActivationTarget, *, reason: str, ip: str | None) -> None:
    """Audit that the DC refused the chosen password (which rule, never the password)."""
    audit.record("handoff.password_rejected",
                 actor=audit.Actor("solicitante", "solicitante", ip), object_type="request",
                 object_id=target.folio,
                 summary=f"El directorio rechazó la contraseña elegida al activar ({reason})",
                 details={"reason": reason})


def record_activation(target: ActivationTarget, *, ip: str | None) -> AccountRequest:
    """After the DC took the password: mark the code used and move to ``activada``.

    Two activations racing with the same code: the second finds it used (409).
    """
    request = session().get(AccountRequest, target.request_id, populate_existing=True)
    row = session().get(ActivationCode, target.code_id, populate_existing=True)
    if request is None or row is None or row.used_at is not None or row.revoked_at is not None:
        raise Conflict("Esta cuenta ya se activó con ese código.")
    row.used_at = timeutil.now()
    row.sheet_sealed = row.sheet_until = None  # the sheet has served
    workflow.transition(request, "activate", actor=audit.Actor("solicitante", "solicitante", ip),
                        details={"user_hmac": pseudonym("user", target.user_name),
                                 "delivery": row.id})
    return request


# ---------------------------------------------------------------------------------------------
# A baja on an account still on its way to the person


def close_for_retired_account(guid: str, *, folio: str, actor: audit.Actor) -> list[str]:
    """Stop every credential of the account ``guid`` that a baja (``folio``) retires: the
    activation codes not yet used are revoked and the alta requests still on their way
    (created, in custody, delivered, activated) are closed, so no code can enable the
    account and no new one can be issued. Idempotent; returns the folios closed.
    """
    requests = list(session().scalars(
        select(AccountRequest).join(DirectoryAccount,
                                    DirectoryAccount.request_id == AccountRequest.id)
        .where(DirectoryAccount.object_guid == guid,
               AccountRequest.status.in_([s.value for s in workflow.BAJA_CLOSES]))
        .order_by(AccountRequest.id)))
    if not requests:
        return []
    revoked = session().execute(
        update(ActivationCode).where(ActivationCode.request_id.in_([r.id for r in requests]),
                                     ActivationCode.used_at.is_(None),
                                     ActivationCode.revoked_at.is_(None))
        .values(revoked_at=timeutil.now(), sheet_sealed=None, sheet_until=None)
        .execution_options(synchronize_session=False)).rowcount
    for request in requests:
        workflow.transition(request, "close_by_baja", actor=actor,
                            reason=f"La cuenta se dio de baja ({folio})")
    folios = [r.folio for r in requests]
    audit.record("handoff.codes_revoked", actor=actor, object_type="baja", object_id=folio,
                 summary=f"Baja {folio}: "
                         f"{wording.count(revoked, 'código', 'códigos')} de activación "
                         f"revocado{'s' if revoked != 1 else ''} y "
                         f"{wording.count(len(folios), 'solicitud', 'solicitudes')} en curso "
                         f"cerrada{'s' if len(folios) != 1 else ''}",
                 details={"revoked": revoked or 0, "requests": folios})
    return folios


# ---------------------------------------------------------------------------------------------
# The person's data export and retention


def delivery_rows(request: AccountRequest) -> list[dict[str, str]]:
    """Each delivery of an activation code (never the code) for the person's export."""
    rows = []
    for row in codes_of(request):
        if row.used_at:
            state = f"usado el {timeutil.format_datetime(row.used_at)}"
        elif row.revoked_at:
            state = "reemplazado por uno nuevo"
        else:
            state = "vigente o vencido sin usar"
        rows.append({"entrego": row.delivered_by_name,
                     "fecha": timeutil.format_datetime(row.issued_at, seconds=True),
                     "identificacion": ID_DOCUMENTS.get(row.id_document, row.id_document),
                     "vence": timeutil.format_datetime(row.expires_at),
                     "estado": state, "motivo": row.reissue_reason or ""})
    return rows


def remove_codes(request_ids: list[int]) -> int:
    """Delete the requests' activation codes and delivery rows (retention); the audit log
    keeps each delivery's record. Returns how many went."""
    result = session().execute(delete(ActivationCode).where(
        ActivationCode.request_id.in_(request_ids)))
    return result.rowcount or 0
