"""The request state machine: every state, every allowed move, one transition function.

Named operations in other domains (sign, return, include in an oficio, provision, deliver…)
check role and scope, then call ``transition``, which checks the current state, moves the
request, writes its history row and the audit event in the caller's transaction, and, for the
moves that say so, queues the e-mails: the next actor is told it is their turn (``NEXT_ACTOR``)
and the applicant the outcome (``APPLICANT_NOTICES``). Two people
acting at once on the same request cannot both succeed: the version column makes the second
flush fail (PostgreSQL) or the second transaction sees the new state (SQLite), and either way
the loser gets a Conflict (HTTP 409).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from provisioning import audit, timeutil
from provisioning.account_requests.models import AccountRequest, RequestEvent
from provisioning.db import session
from provisioning.errors import Conflict
from provisioning.notifications import services as notifications
from provisioning.staff import services as staff
from provisioning.staff.models import Role


class RequestStatus(enum.StrEnum):
    """Where a request is in the procedure."""

    ENVIADA = "enviada"
    DEVUELTA = "devuelta"
    FIRMADA_JEFE = "firmada_jefe"
    LISTA_PARA_OFICIO = "lista_para_oficio"
    EN_OFICIO = "en_oficio"
    RECIBIDA_INFORMATICA = "recibida_informatica"
    CUENTA_CREADA = "cuenta_creada"
    EN_ENTREGA = "en_entrega"
    ENTREGADA = "entregada"
    ACTIVADA = "activada"
    ACCESO_ACTIVO = "acceso_activo"
    RECHAZADA = "rechazada"
    CANCELADA = "cancelada"

    @property
    def label(self) -> str:
        """What the state means, in Spanish, for applicants and staff."""
        return STATUS_LABELS[self]

    @property
    def short_label(self) -> str:
        """A few words for a column header (the tablero); ``label`` says the rest."""
        return SHORT_LABELS[self]

    @property
    def final(self) -> bool:
        """True when the request is closed (retention starts)."""
        return self in FINAL_STATES


S = RequestStatus
STATUS_LABELS = {
    S.ENVIADA: "Enviada: en espera de la firma del jefe de unidad",
    S.DEVUELTA: "Devuelta para corrección",
    S.FIRMADA_JEFE: "Firmada por el jefe de unidad: en espera del responsable jurisdiccional",
    S.LISTA_PARA_OFICIO: "Firmas completas: en espera del oficio del enlace jurisdiccional",
    S.EN_OFICIO: "Enviada por oficio al Departamento de Informática",
    S.RECIBIDA_INFORMATICA: "Recibida por el Departamento de Informática",
    S.CUENTA_CREADA: "Cuenta creada: en espera del oficio de respuesta",
    S.EN_ENTREGA: "En entrega: la cuenta va en camino a quien se la entregará en persona",
    S.ENTREGADA: "Código de activación entregado: active su cuenta",
    S.ACTIVADA: "Cuenta activada",
    S.ACCESO_ACTIVO: "Acceso activo a SIEMPRE",
    S.RECHAZADA: "Rechazada",
    S.CANCELADA: "Cancelada",
}
SHORT_LABELS = {
    S.ENVIADA: "Por firmar (jefe)", S.DEVUELTA: "Devuelta",
    S.FIRMADA_JEFE: "Por firmar (responsable)", S.LISTA_PARA_OFICIO: "Lista para oficio",
    S.EN_OFICIO: "En oficio", S.RECIBIDA_INFORMATICA: "En Informática",
    S.CUENTA_CREADA: "Cuenta creada", S.EN_ENTREGA: "En entrega",
    S.ENTREGADA: "Código entregado", S.ACTIVADA: "Activada",
    S.ACCESO_ACTIVO: "Acceso activo", S.RECHAZADA: "Rechazada", S.CANCELADA: "Cancelada",
}
FINAL_STATES = frozenset({S.ACCESO_ACTIVO, S.RECHAZADA, S.CANCELADA})
OPEN_STATES = frozenset(set(S) - FINAL_STATES)


@dataclass(frozen=True)
class Move:
    """An allowed transition: from which states, to which states, and how to say it."""

    sources: frozenset[RequestStatus]
    targets: frozenset[RequestStatus]
    verb: str  # Spanish infinitive for messages: "firmar", "devolver"…
    public: bool = True  # shown on the applicant's tracking page
    notify: bool = False  # e-mail the next actor and the applicant (see announce)


def _m(sources: set[RequestStatus], targets: set[RequestStatus], verb: str,
       public: bool = True, notify: bool = False) -> Move:
    return Move(frozenset(sources), frozenset(targets), verb, public, notify)


# The whole procedure in one table (DOMAIN.md §1). Targets with two entries are chosen by the
# caller (e.g. the signature rule table decides whether the responsable must also sign).
MOVES: dict[str, Move] = {
    "resubmit": _m({S.DEVUELTA}, {S.ENVIADA}, "reenviar", notify=True),
    "sign_unit_head": _m({S.ENVIADA}, {S.FIRMADA_JEFE, S.LISTA_PARA_OFICIO}, "firmar",
                         notify=True),
    "sign_responsable": _m({S.FIRMADA_JEFE}, {S.LISTA_PARA_OFICIO}, "firmar", notify=True),
    "return": _m({S.ENVIADA, S.FIRMADA_JEFE}, {S.DEVUELTA}, "devolver", notify=True),
    "reject": _m({S.ENVIADA, S.FIRMADA_JEFE}, {S.RECHAZADA}, "rechazar", notify=True),
    "cancel": _m({S.ENVIADA, S.DEVUELTA, S.FIRMADA_JEFE, S.LISTA_PARA_OFICIO}, {S.CANCELADA},
                 "cancelar", notify=True),
    "include_in_oficio": _m({S.LISTA_PARA_OFICIO}, {S.EN_OFICIO}, "incluir en un oficio"),
    "remove_from_oficio": _m({S.EN_OFICIO}, {S.LISTA_PARA_OFICIO}, "retirar del oficio"),
    "acknowledge": _m({S.EN_OFICIO}, {S.RECIBIDA_INFORMATICA}, "acusar de recibido",
                      notify=True),
    "account_created": _m({S.RECIBIDA_INFORMATICA}, {S.CUENTA_CREADA}, "registrar la cuenta"),
    "reply_oficio": _m({S.CUENTA_CREADA}, {S.EN_ENTREGA}, "incluir en el oficio de respuesta"),
    "deliver": _m({S.EN_ENTREGA, S.ENTREGADA}, {S.ENTREGADA}, "entregar"),
    "activate": _m({S.ENTREGADA}, {S.ACTIVADA}, "activar"),
    "complete_preregistration": _m({S.ACTIVADA}, {S.ACCESO_ACTIVO}, "completar el pre-registro",
                                   notify=True),
    # A baja executed on the account before the person finished: the credential in custody
    # (or the activated account waiting for its pre-registration) must never enable it.
    "close_by_baja": _m({S.CUENTA_CREADA, S.EN_ENTREGA, S.ENTREGADA, S.ACTIVADA}, {S.CANCELADA},
                        "cerrar por una baja"),
}
BAJA_CLOSES = MOVES["close_by_baja"].sources

# Who acts next in each waiting state, and over which scope of the request ("unit" or
# "jurisdiction"). EN_ENTREGA is the custody chain's: ``handoff.custody.next_holders``.
NEXT_ACTOR: dict[RequestStatus, tuple[Role, str]] = {
    S.ENVIADA: (Role.JEFE_UNIDAD, "unit"),
    S.FIRMADA_JEFE: (Role.RESPONSABLE_JURISDICCIONAL, "jurisdiction"),
    S.LISTA_PARA_OFICIO: (Role.ENLACE, "jurisdiction"),
}

# What the applicant is told (template, subject) by the state the request reached.
APPLICANT_NOTICES: dict[RequestStatus, tuple[str, str]] = {
    S.DEVUELTA: ("devuelta", "Su solicitud {folio} fue devuelta para corrección"),
    S.RECHAZADA: ("rechazada", "Su solicitud {folio} fue rechazada"),
    S.CANCELADA: ("cancelada", "Su solicitud {folio} fue cancelada"),
    S.LISTA_PARA_OFICIO: ("firmada", "Su solicitud {folio} ya tiene todas sus firmas"),
    S.RECIBIDA_INFORMATICA: ("recibida", "Su solicitud {folio} llegó al Departamento de "
                                         "Informática"),
    S.ACCESO_ACTIVO: ("activo", "Su cuenta de la solicitud {folio} está activa"),
}


def status_of(request: AccountRequest) -> RequestStatus:
    """The request's state as an enum."""
    return RequestStatus(request.status)


def can(request: AccountRequest, event: str) -> bool:
    """True when ``event`` is allowed from the request's current state."""
    return status_of(request) in MOVES[event].sources


def transition(
    request: AccountRequest,
    event: str,
    *,
    actor: audit.Actor,
    to: RequestStatus | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> RequestEvent:
    """Move ``request`` by ``event``; record history and audit in the current transaction.

    Raises Conflict (409) when the current state does not allow the move or someone else
    changed the request first. The caller has already checked role and scope.
    """
    move = MOVES[event]
    current = status_of(request)
    if current not in move.sources:
        raise Conflict(f"La solicitud {request.folio} está en «{current.label}»: no se puede "
                       f"{move.verb} en este momento.")
    if to is None:
        if len(move.targets) != 1:
            raise ValueError(f"event {event!r} needs an explicit target state")
        (to,) = move.targets
    if to not in move.targets:
        raise ValueError(f"event {event!r} cannot lead to {to!r}")
    now = timeutil.now()
    folio = request.folio
    request.status = to.value
    request.updated_at = now
    if to.final:
        request.closed_at = now
    entry = RequestEvent(request_id=request.id, occurred_at=now, event=event,
                         from_status=current.value, to_status=to.value, actor=actor.name,
                         actor_role=actor.role, reason=reason, public=move.public)
    db = session()
    db.add(entry)
    try:
        db.flush()
    except StaleDataError:
        raise Conflict(f"Otra persona modificó la solicitud {folio} al mismo tiempo. "
                       "Vuelva a cargar la página para ver su estado actual.") from None
    audit.record(f"request.{event}", actor=actor, object_type="request", object_id=folio,
                 summary=f"Solicitud {folio}: {current.label} → {to.label}"
                         + (f" (motivo: {reason})" if reason else ""),
                 details={"from": current.value, "to": to.value, **(details or {})})
    if move.notify:
        announce(request, reason=reason)
    return entry


def next_actors(request: AccountRequest) -> list[str]:
    """E-mail addresses of whoever must act on ``request`` in its state (``NEXT_ACTOR``)."""
    found = NEXT_ACTOR.get(status_of(request))
    if found is None:
        return []
    role, scope = found
    if scope == "unit":
        return staff.emails_of(role, unit_clues=request.unit_clues)
    return staff.emails_of(role, jurisdiction_code=request.jurisdiction_code)


def announce(request: AccountRequest, *, reason: str | None = None) -> None:
    """Queue the e-mails of the state ``request`` just reached: its turn to the next actor,
    the outcome to the applicant (in the caller's transaction)."""
    status = status_of(request)
    actors = next_actors(request)
    if actors:
        notifications.queue(actors, "turno", f"Solicitud {request.folio}: {status.label}",
                            object_type="request", object_id=request.folio, request=request,
                            status=status, path=f"/solicitudes/{request.id}")
    notice = APPLICANT_NOTICES.get(status)
    if notice is not None:
        template, subject = notice
        notifications.queue([request.contact_email], template,
                            subject.format(folio=request.folio), object_type="request",
                            object_id=request.folio, request=request, status=status,
                            reason=reason)


def note(
    request: AccountRequest,
    event: str,
    *,
    actor: audit.Actor,
    summary: str,
    reason: str | None = None,
    public: bool = False,
    details: dict[str, Any] | None = None,
) -> RequestEvent:
    """Record a step that does not change the state (a custody hop, a re-read slip…).

    Writes the history row (``reason`` is the text people read next to it; ``public`` shows
    it on the tracking page) and the audit event ``request.<event>`` in the caller's
    transaction. The state stays as it is, so the move table keeps describing the procedure.
    """
    current = status_of(request)
    entry = RequestEvent(request_id=request.id, occurred_at=timeutil.now(), event=event,
                         from_status=current.value, to_status=current.value, actor=actor.name,
                         actor_role=actor.role, reason=reason, public=public)
    session().add(entry)
    session().flush()
    audit.record(f"request.{event}", actor=actor, object_type="request",
                 object_id=request.folio, summary=f"Solicitud {request.folio}: {summary}",
                 details={"status": current.value, **(details or {})})
    return entry


def history(request: AccountRequest, *, public_only: bool = False) -> list[RequestEvent]:
    """The request's moves, oldest first."""
    query = select(RequestEvent).where(RequestEvent.request_id == request.id)
    if public_only:
        query = query.where(RequestEvent.public.is_(True))
    return list(session().scalars(query.order_by(RequestEvent.id)))
