"""API clients (tokens) and the person-status answer.

Tokens are 256-bit random values shown once; only their SHA-256 is stored. A slow password
hash (argon2) buys nothing for a value that cannot be guessed, and would cost every call
tens of milliseconds of CPU.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from sqlalchemy import select

from provisioning import audit, curp, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.api.models import ApiClient
from provisioning.crypto import pseudonym, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import AltaError, Conflict, NotFound, ValidationError
from provisioning.textcheck import TextError, clean

TOKEN_RE = re.compile(r"^alta_([A-Za-z0-9]{10})_([A-Za-z0-9_-]{43})$")
_ALPHANUM = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


class ApiAuthError(AltaError):
    """Missing, malformed, unknown or revoked token (always the same answer)."""

    status = 401

    def __init__(self) -> None:
        super().__init__("Credencial de acceso a la API ausente o no válida.")


def list_clients() -> list[ApiClient]:
    """Every client, newest first."""
    return list(session().scalars(select(ApiClient).order_by(ApiClient.id.desc())))


def get_client(client_id: int) -> ApiClient:
    """A client by id, or NotFound."""
    client = db_get(ApiClient, client_id)
    if client is None:
        raise NotFound("No existe ese cliente de la API.")
    return client


def create_client(name: str, *, actor: audit.Actor) -> tuple[ApiClient, str]:
    """Register a calling system; returns it and its token (shown once). Audits it."""
    try:
        name = clean(name, max_length=120)
    except TextError as exc:
        raise ValidationError(exc.message, {"name": exc.message}) from None
    if session().scalar(select(ApiClient).where(ApiClient.name == name)) is not None:
        raise Conflict(f"Ya existe un cliente llamado «{name}».")
    prefix = "".join(secrets.choice(_ALPHANUM) for _ in range(10))
    token = f"alta_{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient(name=name, token_prefix=prefix, token_sha256=sha256_hex(token.encode()),
                       created_at=timeutil.now(), created_by=actor.name)
    session().add(client)
    session().flush()
    audit.record("api.client_created", actor=actor, object_type="api_client", object_id=client.id,
                 summary=f"Cliente de la API «{name}» registrado",
                 details={"name": name, "prefix": prefix})
    return client, token


def revoke_client(client: ApiClient, *, actor: audit.Actor) -> None:
    """Stop accepting a client's token. Audits it."""
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
        client = session().scalar(select(ApiClient).where(ApiClient.token_prefix == match[1]))
    digest = sha256_hex(token.encode())
    if client is None or not hmac.compare_digest(client.token_sha256, digest) or (
            client.revoked_at is not None):
        raise ApiAuthError()
    return client


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
