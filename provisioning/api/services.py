"""API clients (tokens, expiry, rotation, scopes, quota) and the person-status answer.

Tokens are 256-bit random values shown once; only their SHA-256 is stored. A slow password
hash (argon2) buys nothing for a value that cannot be guessed, and would cost every call
tens of milliseconds of CPU. Each token expires (``[api].token_validity_days``); a rotation
issues a new one and keeps the old one working for ``[api].rotation_grace_hours``, so the
calling system can switch without an outage.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from provisioning import audit, curp, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.api.models import ApiClient
from provisioning.config import MAX_TOKEN_VALIDITY_DAYS
from provisioning.config import current as settings
from provisioning.crypto import pseudonym, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import AltaError, Conflict, NotFound, ValidationError
from provisioning.textcheck import TextError, clean
from provisioning.web import ratelimit

TOKEN_RE = re.compile(r"^alta_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{43})$")
_ALPHANUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

# What a client may be allowed to do: one scope per kind of operation (views name the one
# each operation needs; the OpenAPI document lists them).
STATUS_READ = "status:read"
SCOPES = {
    STATUS_READ: "Consultar por CURP el estado de la cuenta de una persona "
                 "(POST /personal/estado).",
}


class ApiAuthError(AltaError):
    """No valid token: missing, malformed, unknown or revoked (always the same answer), or
    a real one past its expiry or its rotation's grace period (then said so)."""

    status = 401

    def __init__(self, message: str = "Credencial de acceso a la API ausente o no válida."
                 ) -> None:
        super().__init__(message)
        self.headers["WWW-Authenticate"] = 'Bearer realm="alta"'


class InsufficientScope(AltaError):
    """The client's token is valid but does not allow this operation."""

    status = 403

    def __init__(self, scope: str) -> None:
        super().__init__(f"Este cliente de la API no tiene permiso para esta consulta (le "
                         f"falta el alcance {scope}). Pídalo al administrador de Alta.")
        self.headers["WWW-Authenticate"] = (f'Bearer realm="alta", error="insufficient_scope", '
                                            f'scope="{scope}"')


def list_clients() -> list[ApiClient]:
    """Every client, newest first."""
    return list(session().scalars(select(ApiClient).order_by(ApiClient.id.desc())))


def get_client(client_id: int) -> ApiClient:
    """A client by id, or NotFound."""
    client = db_get(ApiClient, client_id)
    if client is None:
        raise NotFound("No existe ese cliente de la API.")
    return client


def client_by_name(name: str) -> ApiClient:
    """A client by its name, or NotFound."""
    client = session().scalar(select(ApiClient).where(ApiClient.name == name.strip()))
    if client is None:
        raise NotFound(f"No existe un cliente de la API llamado «{name.strip()[:120]}».")
    return client


def _scopes(scopes: Iterable[str]) -> str:
    """The scopes as stored (sorted, space-separated), or ValidationError for an unknown one."""
    chosen = set(scopes)
    unknown = chosen - set(SCOPES)
    if unknown:
        message = f"Alcance desconocido. Los alcances son: {', '.join(SCOPES)}."
        raise ValidationError(message, {"scopes": message})
    return " ".join(sorted(chosen))


def _expiry(days: int | None) -> datetime:
    """When a token issued now expires: after ``days`` or the configured validity."""
    days = settings().api.token_validity_days if days is None else days
    if not 1 <= days <= MAX_TOKEN_VALIDITY_DAYS:
        raise ValidationError(f"La vigencia de una credencial va de 1 a "
                              f"{MAX_TOKEN_VALIDITY_DAYS} días.")
    return timeutil.now() + timedelta(days=days)


def _new_token() -> tuple[str, str]:
    """A new token and its public prefix."""
    prefix = "".join(secrets.choice(_ALPHANUM) for _ in range(10))
    return prefix, f"alta_{prefix}_{secrets.token_urlsafe(32)}"


def create_client(name: str, *, scopes: Iterable[str], actor: audit.Actor,
                  days: int | None = None) -> tuple[ApiClient, str]:
    """Register a calling system allowed ``scopes``, with a token valid ``days`` (default:
    the configured validity); returns it and its token (shown once). Audits it."""
    try:
        name = clean(name, max_length=120)
    except TextError as exc:
        raise ValidationError(exc.message, {"name": exc.message}) from None
    stored_scopes = _scopes(scopes)
    if not stored_scopes:
        message = "Elija al menos un alcance: lo que el sistema podrá consultar."
        raise ValidationError(message, {"scopes": message})
    expires = _expiry(days)
    if session().scalar(select(ApiClient).where(ApiClient.name == name)) is not None:
        raise Conflict(f"Ya existe un cliente llamado «{name}».")
    prefix, token = _new_token()
    client = ApiClient(name=name, token_prefix=prefix, token_sha256=sha256_hex(token.encode()),
                       token_expires_at=expires, scopes=stored_scopes,
                       created_at=timeutil.now(), created_by=actor.name)
    session().add(client)
    session().flush()
    audit.record("api.client_created", actor=actor, object_type="api_client", object_id=client.id,
                 summary=f"Cliente de la API «{name}» registrado",
                 details={"name": name, "prefix": prefix, "alcances": stored_scopes.split(),
                          "vence": expires.isoformat()})
    return client, token


def rotate_token(client: ApiClient, *, actor: audit.Actor, days: int | None = None,
                 immediately: bool = False) -> str:
    """Give ``client`` a new token (returned, shown once) valid ``days``.

    The old token keeps working for the configured grace period (never past its own
    expiry), or stops at once with ``immediately`` (a token that leaked). A token replaced
    before stops at once: only the current token and the one it replaced ever work. Audits
    the rotation (prefixes and dates, never a token).
    """
    if client.revoked_at is not None:
        raise Conflict("Ese cliente está revocado: registre el sistema de nuevo.")
    now = timeutil.now()
    expires = _expiry(days)
    grace = timedelta(0) if immediately else timedelta(
        hours=settings().api.rotation_grace_hours)
    old_until = min(now + grace, client.token_expires_at)
    old_prefix = client.token_prefix
    if old_until > now:
        client.previous_token_prefix = client.token_prefix
        client.previous_token_sha256 = client.token_sha256
        client.previous_token_until = old_until
    else:
        client.previous_token_prefix = client.previous_token_sha256 = None
        client.previous_token_until = None
    prefix, token = _new_token()
    client.token_prefix, client.token_sha256 = prefix, sha256_hex(token.encode())
    client.token_expires_at = expires
    session().flush()
    audit.record("api.client_rotated", actor=actor, object_type="api_client",
                 object_id=client.id,
                 summary=f"Credencial del cliente de la API «{client.name}» renovada",
                 details={"prefix": prefix, "prefijo_anterior": old_prefix,
                          "anterior_hasta": old_until.isoformat() if old_until > now else None,
                          "vence": expires.isoformat()})
    return token


def set_scopes(client: ApiClient, scopes: Iterable[str], *, actor: audit.Actor) -> None:
    """Replace what ``client`` may call (none: it keeps its token but may call nothing).
    Audits the change."""
    before = sorted(client.scope_set)
    client.scopes = _scopes(scopes)
    session().flush()
    audit.record("api.client_scopes_changed", actor=actor, object_type="api_client",
                 object_id=client.id,
                 summary=f"Alcances del cliente de la API «{client.name}» cambiados",
                 details={"antes": before, "despues": sorted(client.scope_set)})


def revoke_client(client: ApiClient, *, actor: audit.Actor) -> None:
    """Stop accepting a client's tokens (the current one and any in its grace). Audits it."""
    if client.revoked_at is not None:
        raise Conflict("Ese cliente ya estaba revocado.")
    client.revoked_at = timeutil.now()
    session().flush()
    audit.record("api.client_revoked", actor=actor, object_type="api_client",
                 object_id=client.id, summary=f"Cliente de la API «{client.name}» revocado")


def authenticate(authorization: str | None) -> ApiClient:
    """The client whose bearer token is in the Authorization header, or ApiAuthError."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip(" \t")  # the optional white space of HTTP (RFC 9110), nothing else
    match = TOKEN_RE.match(token) if scheme.lower() == "bearer" else None
    client = None
    if match:
        client = session().scalar(select(ApiClient).where(or_(
            ApiClient.token_prefix == match[1], ApiClient.previous_token_prefix == match[1])))
    digest = sha256_hex(token.encode())
    if client is None or client.revoked_at is not None:
        raise ApiAuthError()
    now = timeutil.now()
    if client.token_prefix == match[1]:
        if not hmac.compare_digest(client.token_sha256, digest):
            raise ApiAuthError()
        if now >= client.token_expires_at:
            raise ApiAuthError(
                f"Credencial de acceso a la API vencida: venció el "
                f"{timeutil.format_datetime(client.token_expires_at)}. Pida una nueva al "
                f"administrador de Alta.")
        return client
    if not hmac.compare_digest(client.previous_token_sha256 or "", digest):
        raise ApiAuthError()
    until = client.previous_token_until
    if until is None or now >= until:
        raise ApiAuthError(
            f"Credencial de acceso a la API reemplazada por una nueva: dejó de valer el "
            f"{timeutil.format_datetime(until)}. Use la credencial nueva.")
    return client


def count_call(client: ApiClient) -> None:
    """Count one call of ``client`` against its quota; over it, TooManyRequests (429) with
    the seconds left in the window. The caller commits at once."""
    quota = settings().api
    ratelimit.hit("api", str(client.id), limit=quota.quota_requests,
                  window_seconds=quota.quota_window_seconds,
                  message=f"Este cliente de la API superó su cuota de {quota.quota_requests} "
                          f"consultas cada {quota.quota_window_seconds} segundos. Intente de "
                          "nuevo en {seconds} segundos.")


def require_scope(client: ApiClient, scope: str) -> None:
    """InsufficientScope (403) unless ``client`` may call operations needing ``scope``."""
    if scope not in client.scope_set:
        raise InsufficientScope(scope)


def _latest_request(curp_value: str) -> AccountRequest | None:
    """The request that decides the answer: the open one, else the newest with access."""
    requests = session().scalars(select(AccountRequest).where(AccountRequest.curp == curp_value)
                                 .order_by(AccountRequest.submitted_at.desc())).all()
    for request in requests:
        if request.closed_at is None:
            return request
    for request in requests:
        if request.status == RequestStatus.ACCESO_ACTIVO.value:
            return request
    return None


def person_status(curp_text: str, *, client: ApiClient, ip: str | None,
                  account_name: Any) -> dict[str, Any]:
    """Answer for one CURP: no_encontrado, en_tramite (stage, folio) or activo.

    ``account_name(request)`` gives the domain user name of a request with access.
    Every call is audited as a read by the client (``api.person_status``).
    """
    try:
        info = curp.validate(curp_text)
    except curp.CurpError as exc:
        raise ValidationError(exc.message) from None
    now = timeutil.now()
    client.last_used_at = now
    request = _latest_request(info.curp)
    answer: dict[str, Any] = {"curp": info.curp,
                              "fecha_respuesta": timeutil.format_datetime(now, seconds=True)}
    if request is None:
        answer["estado"] = "no_encontrado"
    elif request.status == RequestStatus.ACCESO_ACTIVO.value:
        answer.update(estado="activo", usuario=account_name(request), nombres=request.nombres,
                      primer_apellido=request.primer_apellido,
                      segundo_apellido=request.segundo_apellido, clues=request.unit_clues)
    else:
        status = RequestStatus(request.status)
        answer.update(estado="en_tramite", etapa=status.value, etapa_descripcion=status.label,
                      folio=request.folio)
    session().flush()
    # Never the CURP in clear: the log outlives the request (see crypto.Pseudonymizer).
    curp_hmac = pseudonym("curp", info.curp)
    audit.record("api.person_status", actor=audit.Actor(f"api:{client.name}", "api", ip),
                 object_type="request" if request else "curp",
                 object_id=request.folio if request else curp_hmac,
                 summary=f"Consulta de estado por la API ({client.name}): {answer['estado']}",
                 details={"estado": answer["estado"], "curp_hmac": curp_hmac})
    return answer
