"""Pre-registration: after activating their account, the person signs in with the new domain
credentials and completes their identification data (NOM-024 Tabla 1); SIEMPRE access follows.

- Sign-in: Alta binds to the DC with the person's user name and password (never stored) and
  then keeps only the folio in a short session window.
- The Tabla 1 fields are cross-checked with what the CURP encodes (``curp.validate``: birth
  date, sex, state of birth; ``curp.name_mismatches``: the RENAPO letters of the names; a
  CURP of a Mexican state means nationality MEX); each mismatch has its own Spanish message.
- Completing it stores the data and queues the job that adds the account to the configured
  SIEMPRE group (for expediente electrónico requests) and moves the request to its final
  state ``acceso_activo`` (commit the intent, do the LDAP write in the job, commit the outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, curp, timeutil
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.directory import accounts, connection
from provisioning.directory import services as directory
from provisioning.directory.errors import BindRefused, DirectoryError
from provisioning.errors import AltaError, Conflict, NotFound, ValidationError
from provisioning.handoff import services as handoff
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.notifications import services as notifications
from provisioning.preregistration.forms import PreRegistrationInput
from provisioning.preregistration.models import PreRegistration

GRANT_KIND = "preregistration.grant_access"
WORKER = audit.Actor.system("alta-worker")
SIGN_IN_REFUSED = ("Usuario o contraseña incorrectos, o la cuenta todavía no está activada. "
                   "Si aún no la activa, hágalo primero con el código que le entregaron.")
DIRECTORY_DOWN = ("En este momento no podemos comunicarnos con el directorio institucional. "
                  "Intente de nuevo en unos minutos.")
OPEN_STATES = (RequestStatus.ACTIVADA, RequestStatus.ACCESO_ACTIVO)


class SignInRefused(AltaError):
    """Wrong user name or password, or an account not activated yet (one answer)."""

    status = 401

    def __init__(self) -> None:
        super().__init__(SIGN_IN_REFUSED)


# ---------------------------------------------------------------------------------------------
# Signing in with the new domain credentials


@dataclass(frozen=True)
class SignInTarget:
    """The account a user name names, for the bind (no secret in it)."""

    folio: str
    guid: str


def find_account(user_name: str, *, ip: str | None) -> SignInTarget:
    """The activated account of this user name, or SignInRefused (same answer for all)."""
    account = handoff.account_by_user_name(user_name[:300])
    request = db_get(AccountRequest, account.request_id) if account else None
    if request is None or workflow.status_of(request) not in OPEN_STATES:
        audit.record("preregistration.sign_in_refused",
                     actor=audit.Actor("solicitante", "solicitante", ip),
                     object_type="request" if request else "activation",
                     object_id=request.folio if request else "desconocida",
                     summary="Inicio de sesión para el pre-registro rechazado (cuenta no "
                             "activada o inexistente)")
        raise SignInRefused()
    assert account is not None
    return SignInTarget(request.folio, account.object_guid)


def check_credentials(target: SignInTarget, password: str) -> None:
    """Bind to the DC as the person; call with no database transaction open.

    Raises SignInRefused for any refusal (the caller audits it with ``record_sign_in``).
    """
    try:
        accounts.verify_password(connection.current(), target.guid, password[:200])
    except BindRefused:
        raise SignInRefused() from None
    except DirectoryError as exc:
        raise AltaError(DIRECTORY_DOWN, status=503) from exc


def record_sign_in(target: SignInTarget, *, ip: str | None, ok: bool) -> None:
    """Audit the sign-in (or the refused password) on the request."""
    audit.record("preregistration.signed_in" if ok else "preregistration.sign_in_refused",
                 actor=audit.Actor("solicitante", "solicitante", ip), object_type="request",
                 object_id=target.folio,
                 summary="El solicitante inició sesión con su cuenta para el pre-registro"
                         if ok else "Contraseña rechazada al iniciar el pre-registro")


def request_for(folio: str) -> AccountRequest:
    """The request of the signed-in person (the session holds its folio)."""
    request = session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
    if request is None:
        raise NotFound("No encontramos su solicitud.")
    return request


def of(request: AccountRequest) -> PreRegistration | None:
    """The request's pre-registration, if completed."""
    return session().scalar(select(PreRegistration).where(
        PreRegistration.request_id == request.id))


def record_view(request: AccountRequest, *, ip: str | None, what: str) -> None:
    """Audit that the person read their own data (form or confirmation)."""
    audit.record("preregistration.viewed", actor=audit.Actor("solicitante", "solicitante", ip),
                 object_type="request", object_id=request.folio,
                 summary=f"El solicitante consultó su {what}")


# ---------------------------------------------------------------------------------------------
# Completing it


NAME_FIELDS = ("nombres", "primer_apellido", "segundo_apellido")


def cross_check(request: AccountRequest, data: PreRegistrationInput) -> dict[str, str]:
    """Each Tabla 1 field that disagrees with the CURP (or the catalogs), with its message."""
    info = curp.validate(request.curp, allow_sex_x=settings().form.allow_sex_x)
    errors = curp.name_mismatches(info.curp, data.nombres, data.primer_apellido,
                                  data.segundo_apellido)
    if data.fecha_nacimiento != info.birth_date:
        errors["fecha_nacimiento"] = ("La fecha de nacimiento no coincide con la de su CURP; "
                                      "escríbala como aparece en su constancia de CURP.")
    if data.sexo != info.sex:
        errors["sexo"] = ("El sexo no coincide con el que indica su CURP; elija el que aparece "
                          "en su constancia de CURP.")
    if data.entidad_nacimiento != info.state_code:
        errors["entidad_nacimiento"] = ("La entidad de nacimiento no coincide con la de su "
                                        "CURP.")
    if data.nacionalidad not in {n.code for n in catalogs.nationalities()}:
        errors["nacionalidad"] = "Elija una nacionalidad de la lista."
    elif not info.born_abroad and data.nacionalidad != "MEX":
        errors["nacionalidad"] = ("Su CURP indica que nació en México: su nacionalidad de "
                                  "origen es mexicana.")
    staff_types = {t.code: t.name for t in catalogs.staff_types()}
    if data.staff_type_code not in staff_types:
        errors["staff_type_code"] = "Elija un tipo de personal de la lista."
    elif (data.staff_type_code in settings().handoff.cedula_required_for
          and not data.cedula_profesional):
        errors["cedula_profesional"] = (f"La cédula profesional es obligatoria para "
                                        f"{staff_types[data.staff_type_code].lower()}.")
    return errors


def grant_job_key(request: AccountRequest | int) -> str:
    """The idempotency key of the request's access job."""
    request_id = request if isinstance(request, int) else request.id
    return f"{GRANT_KIND}:{request_id}"


def complete(request: AccountRequest, data: PreRegistrationInput, *,
             ip: str | None) -> PreRegistration:
    """Store the person's Tabla 1 data and queue their SIEMPRE access.

    Raises ValidationError with one message per field that disagrees with the CURP; Conflict
    when the request is not activated or the pre-registration was already done. Audits
    ``preregistration.completed`` (which fields, not their values).
    """
    if workflow.status_of(request) != RequestStatus.ACTIVADA or of(request) is not None:
        raise Conflict("Su pre-registro ya está completo o su cuenta no está activada.")
    errors = cross_check(request, data)
    if errors:
        raise ValidationError("Algunos datos no coinciden con su CURP o faltan: revise los "
                              "campos marcados.", errors)
    row = PreRegistration(
        request_id=request.id, curp=request.curp, nombres=data.nombres,
        primer_apellido=data.primer_apellido, segundo_apellido=data.segundo_apellido,
        fecha_nacimiento=data.fecha_nacimiento, sexo=data.sexo,
        entidad_nacimiento=data.entidad_nacimiento, nacionalidad=data.nacionalidad,
        staff_type_code=data.staff_type_code, cedula_profesional=data.cedula_profesional,
        telefono_institucional=data.telefono_institucional, completed_at=timeutil.now())
    db = session()
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        raise Conflict("Su pre-registro ya está completo.") from None
    job = jobs.enqueue(GRANT_KIND, {"request_id": request.id}, key=grant_job_key(request),
                       object_type="request", object_id=str(request.id))
    audit.record("preregistration.completed",
                 actor=audit.Actor("solicitante", "solicitante", ip), object_type="request",
                 object_id=request.folio,
                 summary=f"Pre-registro completo de la solicitud {request.folio}",
                 details={"fields": ["curp", *NAME_FIELDS, "fecha_nacimiento", "sexo",
                                     "entidad_nacimiento", "nacionalidad", "tipo_personal",
                                     "telefono_institucional"]
                          + (["cedula_profesional"] if data.cedula_profesional else []),
                          "job_id": job.id})
    return row


def access_job(request: AccountRequest) -> Job | None:
    """The request's access job, once queued."""
    return session().scalar(select(Job).where(Job.key == grant_job_key(request)))


# ---------------------------------------------------------------------------------------------
# The worker's side (preregistration.tasks)


@dataclass(frozen=True)
class GrantTarget:
    """What the access job needs from the database."""

    guid: str
    wants_ece: bool


def grant_target(request_id: int) -> GrantTarget | None:
    """The account to add to the SIEMPRE group; None when access is already active."""
    request = db_get(AccountRequest, request_id)
    if request is None:
        raise NotFound(f"La solicitud {request_id} ya no existe.")
    if request.status == RequestStatus.ACCESO_ACTIVO.value:
        return None
    if request.status != RequestStatus.ACTIVADA.value or of(request) is None:
        raise Conflict(f"La solicitud {request.folio} no tiene un pre-registro pendiente.")
    account = directory.account_of(request)
    if account is None:
        raise Conflict(f"La solicitud {request.folio} no tiene cuenta registrada.")
    return GrantTarget(account.object_guid, request.wants_ece)


def record_access(request_id: int, *, granted: bool) -> AccountRequest:
    """Move the request to ``acceso_activo`` (final); idempotent. Tells the applicant."""
    request = session().get(AccountRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFound(f"La solicitud {request_id} ya no existe.")
    if request.status == RequestStatus.ACCESO_ACTIVO.value:
        return request
    workflow.transition(request, "complete_preregistration", actor=WORKER,
                        details={"siempre_group": granted})
    if granted:
        audit.record("preregistration.siempre_granted", actor=WORKER, object_type="request",
                     object_id=request.folio,
                     summary=f"Solicitud {request.folio}: cuenta agregada al grupo de acceso "
                             "a SIEMPRE")
    notifications.request_moved(request, "complete_preregistration")
    return request


def export_rows(request: AccountRequest) -> list[dict[str, str]]:
    """The pre-registration as rows for the person's data export."""
    row = of(request)
    if row is None:
        return []
    states = curp.STATES
    nationalities = {n.code: n.name for n in catalogs.nationalities()}
    staff_types = {t.code: t.name for t in catalogs.staff_types()}
    return [{
        "curp": row.curp, "nombres": row.nombres, "primer_apellido": row.primer_apellido,
        "segundo_apellido": row.segundo_apellido or "",
        "fecha_de_nacimiento": timeutil.format_date(row.fecha_nacimiento),
        "sexo": row.sexo,
        "entidad_de_nacimiento": states.get(row.entidad_nacimiento, row.entidad_nacimiento),
        "nacionalidad": nationalities.get(row.nacionalidad, row.nacionalidad),
        "tipo_de_personal": staff_types.get(row.staff_type_code, row.staff_type_code),
        "cedula_profesional": row.cedula_profesional or "",
        "telefono_institucional": row.telefono_institucional,
        "completado_el": timeutil.format_datetime(row.completed_at, seconds=True),
    }]


def remove(request_ids: list[int]) -> int:
    """Delete the pre-registration data of these requests (retention); how many went."""
    result = session().execute(delete(PreRegistration).where(
        PreRegistration.request_id.in_(request_ids)))
    return result.rowcount or 0
