"""What waits for the signed-in person, counted for their panel (/panel): one line per kind
of work their roles take part in, with where to do it. The staff package serves the panel;
the app factory hands it this function (``app.extensions["alta.panel"]``), since the
counts come from the workflows above it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import services as approvals
from provisioning.db import session
from provisioning.handoff import custody
from provisioning.it import troubles
from provisioning.lifecycle import cambios
from provisioning.lifecycle import services as bajas
from provisioning.oficios import services as oficios
from provisioning.oficios.models import ENVIO, RECEIVED, RESPUESTA, SENT, Oficio, OficioItem
from provisioning.reviews import services as reviews
from provisioning.staff import services as staff
from provisioning.staff.models import Role

IT_ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
HOLDERS = (Role.ENLACE, Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL)


@dataclass(frozen=True)
class Work:
    """One line of the panel: what, how many, where."""

    label: str
    count: int
    url: str


def _replies_to_sign() -> int:
    """Received oficios with an account made (``cuenta_creada``) and no reply yet: one
    query, since the panel is read often and oficios only accumulate."""
    reply = aliased(Oficio)
    return session().scalar(
        select(func.count(func.distinct(Oficio.id)))
        .join(OficioItem, OficioItem.oficio_id == Oficio.id)
        .join(AccountRequest, AccountRequest.id == OficioItem.request_id)
        .where(Oficio.kind == ENVIO, Oficio.status == RECEIVED, OficioItem.live.is_(True),
               AccountRequest.status == RequestStatus.CUENTA_CREADA.value,
               ~exists().where(reply.in_reply_to_id == Oficio.id, reply.kind == RESPUESTA))
    ) or 0


def _replies_to_acknowledge(principal: staff.Principal) -> int:
    return session().scalar(select(func.count()).select_from(Oficio).where(
        Oficio.kind == RESPUESTA, Oficio.status == SENT,
        Oficio.jurisdiction_code.in_(principal.jurisdictions(Role.ENLACE)))) or 0


def items(principal: staff.Principal) -> list[Work]:
    """The person's pending work, in the order of the procedure."""
    work: list[Work] = []
    if principal.has(Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL):
        work.append(Work("Solicitudes por firmar", approvals.inbox(principal).total,
                         url_for("approvals.inbox")))
    if principal.has(Role.ENLACE):
        work.append(Work("Solicitudes listas para oficio", oficios.ready_count(principal),
                         url_for("oficios.index")))
    if principal.has(*IT_ROLES):
        work.append(Work("Oficios por acusar de recibido", len(oficios.it_inbox()),
                         url_for("it.oficios_inbox")))
    if principal.has(Role.JEFE_INFORMATICA):
        work.append(Work("Oficios de respuesta por firmar", _replies_to_sign(),
                         url_for("it.oficios_inbox")))
    if principal.has(Role.ENLACE):
        work.append(Work("Oficios de respuesta por acusar", _replies_to_acknowledge(principal),
                         url_for("handoff.inbox")))
        work.append(Work("Cuentas por entregar a quien corresponde",
                         len(custody.held_by_liaison(principal)), url_for("handoff.inbox")))
    if principal.has(*HOLDERS):
        work.append(Work("Entregas por recibir", len(custody.pending_receipts(principal)),
                         url_for("handoff.inbox")))
        work.append(Work("Cuentas por entregar en persona", len(custody.to_deliver(principal)),
                         url_for("handoff.inbox")))
    if principal.has(Role.JEFE_UNIDAD):
        work.append(Work("Bajas por firmar", len(bajas.to_sign(principal)),
                         url_for("lifecycle.bajas")))
        work.append(Work("Cambios de adscripción por firmar",
                         cambios.counts_for(principal).get("Cambios que esperan su firma", 0),
                         url_for("lifecycle.cambios_list")))
        work.append(Work("Cuentas por revisar (revisión de acceso)",
                         reviews.pending_for(principal), url_for("reviews.index")))
    if principal.has(*IT_ROLES):
        work.append(Work("Tareas sin terminar", troubles.count(), url_for("it.troubles_page")))
    return work
