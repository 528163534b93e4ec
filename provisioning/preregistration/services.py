"""Pre-registration: after activating their account, the person signs in with the new domain
credentials and completes their identification data (NOM-024 Tabla 1); SIEMPRE access follows.

- Sign-in: Alta binds to the DC with the person's user name and password (never stored) and
  then keeps only the folio in a short session window. Only while the pre-registration is
  pending (activated, form not sent): any other name gets the wrong-password answer after a
  bind of an entry that does not exist (same words, same cost). Every typed name's attempts
  are counted in the database before the bind; after too many failures the name waits, twice
  as long after each further one, and nothing reaches the DC meanwhile (no AD lockout).
- The Tabla 1 fields are cross-checked with what the CURP encodes (``curp.validate``: birth
  date, sex, state of birth; ``curp.name_mismatches``: the RENAPO letters of the names; a
  CURP of a Mexican state means nationality MEX); each mismatch has its own Spanish message.
- Completing it stores the data and queues the job that adds the account to the configured
  SIEMPRE group (for expediente electrónico requests) and moves the request to its final
  state ``acceso_activo`` (commit the intent, do the LDAP write in the job, commit the outcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from provisioning import audit, curp, timeutil
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.directory import port
from provisioning.directory.errors import BindRefused, DirectoryError, DirectoryNotConfigured
from provisioning.errors import AltaError, Conflict, NotFound, ValidationError
from provisioning.handoff import services as handoff
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.people import accounts as people_accounts
from provisioning.preregistration.forms import PreRegistrationInput
from provisioning.preregistration.models import PreRegistration, SignInThrottle

GRANT_KIND = "preregistration.grant_access"
WORKER = audit.Actor.system("alta-worker")
SIGN_IN_REFUSED = ("Usuario o contraseña incorrectos, o la cuenta todavía no está activada. "
                   "Si aún no la activa, hágalo primero con el código que le entregaron. Si "
                   "ya completó su pre-registro, no necesita volver a entrar: consulte su "
                   "avance en Seguimiento.")
SIGN_IN_WAIT = ("Demasiados intentos fallidos con este usuario. Por seguridad, podrá intentar "
                "de nuevo a partir del {until}.")
DIRECTORY_DOWN = ("En este momento no podemos comunicarnos con el directorio institucional. "
                  "Intente de nuevo en unos minutos.")
# A name's failed sign-ins are forgotten after this long without attempts.
FAILURES_FORGOTTEN_AFTER = timedelta(days=1)


class SignInRefused(AltaError):
    """Wrong user name or password, an account not activated yet, or a pre-registration
    already done (one answer for all)."""

    status = 401

    def __init__(self) -> None:
        super().__init__(SIGN_IN_REFUSED)


class SignInThrottled(AltaError):
    """The user name failed too often: it must wait (the same answer, known or not)."""

    status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__(SIGN_IN_WAIT.format(until=timeutil.format_datetime(until)))


# ---------------------------------------------------------------------------------------------
# Signing in with the new domain credentials (only while the pre-registration is pending)


@dataclass(frozen=True)
class SignInAttempt:
    """One counted attempt to sign in, before the bind (no secret in it)."""

    name_key: str | None  # under which failures count; None: no account can have the name
    folio: str | None  # the request the name belongs to, if any (for the audit)
    guid: str | None  # the account to bind, only while its pre-registration is pending
    wait_if_refused: datetime | None  # if this attempt fails, the name waits until then


def _actor(ip: str | None) -> audit.Actor:
    return audit.Actor("solicitante", "solicitante", ip)


def pending(request: AccountRequest) -> bool:
    """True while the request expects its pre-registration: activated, form not sent."""
    return workflow.status_of(request) == RequestStatus.ACTIVADA and of(request) is None


def name_key(user_name: str) -> str:
    """The key a user name's failures are counted under (any capitalization: one key)."""
    return sha256(user_name.lower().encode()).hexdigest()


def begin_sign_in(user_name: str, *, ip: str | None) -> SignInAttempt:
    """Find the account a typed user name names and count the attempt, before any bind.

    Only an account whose pre-registration is pending may sign in; every other name (no
    account, not activated yet, pre-registration done) is checked against an entry that
    does not exist, so its answer and its time are those of a wrong password. Every name
    is counted the same way, known or not. Raises SignInThrottled while the name waits
    (audited as ``preregistration.sign_in_throttled``; nothing reaches the DC then).
    """
    typed = handoff.typed_user_name(user_name[:300])
    account = handoff.account_by_user_name(typed) if typed else None
    request = db_get(AccountRequest, account.request_id) if account else None
    folio = request.folio if request else None
    guid = account.object_guid if account and request and pending(request) else None
    key = name_key(typed) if typed else None
    wait = _count_attempt(key, folio=folio, ip=ip) if key else None
    return SignInAttempt(key, folio, guid, wait)


def _count_attempt(key: str, *, folio: str | None, ip: str | None) -> datetime | None:
    """Count one attempt of ``key``; returns until when it waits if this one fails."""
    db = session()
    now = timeutil.now()
    config = settings().handoff
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = SignInThrottle
    for _ in range(2):  # twice: another attempt's sweep may delete a forgotten row meanwhile
        created = db.execute(insert(row).values(
            name_key=key, failures=0, blocked_until=None, updated_at=now
        ).on_conflict_do_nothing())
        if created.rowcount:
            db.execute(delete(row).where(row.updated_at < now - FAILURES_FORGOTTEN_AFTER))
        db.execute(update(row).where(
            row.name_key == key, row.updated_at < now - FAILURES_FORGOTTEN_AFTER
        ).values(failures=0, blocked_until=None, updated_at=now))
        # One statement: two attempts at the same moment get two numbers (PostgreSQL holds
        # the row lock until the commit; SQLite runs one writer at a time).
        failures = db.execute(update(row).where(
            row.name_key == key, or_(row.blocked_until.is_(None), row.blocked_until <= now)
        ).values(failures=row.failures + 1, updated_at=now).returning(row.failures)
        ).scalar_one_or_none()
        if failures is not None:
            break
        until = db.scalar(select(row.blocked_until).where(row.name_key == key))
        if until is not None:
            audit.record("preregistration.sign_in_throttled", actor=_actor(ip),
                         object_type="request" if folio else "activation",
                         object_id=folio or "desconocida",
                         summary="Inicio de sesión para el pre-registro no intentado: el "
                                 "usuario espera por intentos fallidos")
            raise SignInThrottled(until)
    else:
        raise AssertionError("the attempt's row vanished twice")  # pragma: no cover
    if failures < config.preregistration_max_failures:
        return None
    # The wait starts now, before the bind: another attempt during this one waits too.
    minutes = min(2 ** min(failures - config.preregistration_max_failures, 30),
                  config.preregistration_max_wait_minutes)
    until = now + timedelta(minutes=minutes)
    db.execute(update(row).where(row.name_key == key).values(blocked_until=until))
    return until


def check_credentials(attempt: SignInAttempt, password: str) -> None:
    """Bind to the DC as the person (or, for a name that may not sign in, as an entry that
    does not exist); call with no database transaction open.

    Raises SignInRefused for any refusal (the caller records it with ``record_refusal``);
    AltaError (503; 409 with no directory configured) when the DC cannot answer (the caller
    gives the attempt back with ``release``).
    """
    try:
        port.current().verify_password(attempt.guid, password[:200])
    except BindRefused:
        raise SignInRefused() from None
    except DirectoryError as exc:
        # No [directory] at all is a setting to fix (409, as on IT's pages), not an outage.
        status = 409 if isinstance(exc, DirectoryNotConfigured) else 503
        raise AltaError(DIRECTORY_DOWN, status=status) from exc
    if attempt.guid is None:  # verify_password already refused it
        raise SignInRefused()


def record_refusal(attempt: SignInAttempt, *, ip: str | None) -> AltaError:
    """Audit the refused attempt (and the wait it starts); returns the error to show."""
    audit.record("preregistration.sign_in_refused", actor=_actor(ip),
                 object_type="request" if attempt.folio else "activation",
                 object_id=attempt.folio or "desconocida",
                 summary="Contraseña rechazada al iniciar el pre-registro" if attempt.guid
                 else "Inicio de sesión para el pre-registro rechazado (cuenta no activada, "
                      "pre-registro ya hecho o cuenta inexistente)")
    if attempt.wait_if_refused is None:
        return SignInRefused()
    audit.record("preregistration.sign_in_backoff", actor=_actor(ip),
                 object_type="request" if attempt.folio else "activation",
                 object_id=attempt.folio or "desconocida",
                 summary="El usuario espera hasta el "
                         f"{timeutil.format_datetime(attempt.wait_if_refused)} por intentos "
                         "fallidos del pre-registro")
    return SignInThrottled(attempt.wait_if_refused)


def release(attempt: SignInAttempt) -> None:
    """Give back an attempt the DC could not answer: an outage of Alta's does not make the
    person wait."""
    if attempt.name_key is None:
        return
    row = session().get(SignInThrottle, attempt.name_key, populate_existing=True,
                        with_for_update=True)
    if row is None:
        return
    row.failures = max(row.failures - 1, 0)
    if attempt.wait_if_refused is not None and row.blocked_until == attempt.wait_if_refused:
        row.blocked_until = None
    session().flush()


def record_sign_in(attempt: SignInAttempt, *, ip: str | None) -> None:
    """Audit the sign-in and forget the name's failures."""
    assert attempt.folio is not None and attempt.guid is not None
    if attempt.name_key is not None:
        session().execute(update(SignInThrottle).where(
            SignInThrottle.name_key == attempt.name_key).values(failures=0, blocked_until=None))
    audit.record("preregistration.signed_in", actor=_actor(ip), object_type="request",
                 object_id=attempt.folio,
                 summary="El solicitante inició sesión con su cuenta para el pre-registro")


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
    account = people_accounts.account_of(request)
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
