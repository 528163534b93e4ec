"""What waits for the signed-in person, counted for their panel (/panel): one line per kind
of work their roles take part in, with where to do it. The staff package serves the panel;
the app factory hands it this function (``app.extensions["alta.panel"]``), since the
counts come from the workflows above it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from provisioning.approvals import services as approvals
from provisioning.db import session
from provisioning.handoff import custody
from provisioning.it import replies, troubles
from provisioning.lifecycle import cambios
from provisioning.lifecycle import services as bajas
from provisioning.oficios import services as oficios
from provisioning.oficios.models import ENVIO, RECEIVED, RESPUESTA, SENT, Oficio
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
    """Received oficios whose accounts are all made and that have no reply yet."""
    count = 0
    for oficio in session().scalars(select(Oficio).where(Oficio.kind == ENVIO,
                                                         Oficio.status == RECEIVED)):
        if not oficios.replies_to(oficio) and replies.ready_for_reply(oficio):
            count += 1
    return count


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
        work.append(Work("Solicitudes listas para oficio", len(oficios.ready_requests(principal)),
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
    if principal.has(*IT_ROLES):
        work.append(Work("Tareas sin terminar", troubles.count(), url_for("it.troubles_page")))
    return work
