"""The daily reminder: one e-mail per person listing what waits for them (requests, oficios,
bajas and cambios to sign) longer than ``[mail].reminder_after_business_days`` business
days (weekends and holidays don't count)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from provisioning import timeutil, wording, workdays
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.config import current as settings
from provisioning.db import session
from provisioning.handoff import custody
from provisioning.jobs import services as jobs
from provisioning.lifecycle import cambios
from provisioning.lifecycle import services as bajas
from provisioning.notifications import services as notifications
from provisioning.notifications.models import OutboxMessage
from provisioning.oficios.models import ENVIO, SENT, Oficio
from provisioning.staff import services as staff
from provisioning.staff.models import Role

WAITING_STATES = (RequestStatus.ENVIADA, RequestStatus.FIRMADA_JEFE,
                  RequestStatus.LISTA_PARA_OFICIO, RequestStatus.EN_ENTREGA)


@dataclass(frozen=True)
class Waiting:
    """Something waiting for someone: what, at which stage, how old, where."""

    reference: str
    stage: str
    age: int
    path: str
    recipients: tuple[str, ...]


def overdue(threshold: int | None = None) -> list[Waiting]:
    """Requests, oficios, bajas and cambios waiting more than ``threshold`` business days,
    oldest first."""
    threshold = settings().mail.reminder_after_business_days if threshold is None else threshold
    items: list[Waiting] = []
    requests = session().scalars(
        select(AccountRequest).where(AccountRequest.status.in_([s.value for s in
                                                                WAITING_STATES]))
        .order_by(AccountRequest.updated_at))
    for request in requests:
        age = workdays.age(request.updated_at)
        if age > threshold:
            items.append(Waiting(request.folio, RequestStatus(request.status).label, age,
                                 f"/solicitudes/{request.id}",
                                 tuple(_next_actors(request))))
    it_people = tuple(staff.it_emails())
    for oficio in session().scalars(select(Oficio).where(Oficio.kind == ENVIO,
                                                         Oficio.status == SENT)
                                    .order_by(Oficio.signed_at)):
        age = workdays.age(oficio.signed_at)
        if age > threshold:
            items.append(Waiting(f"Oficio {oficio.number}", "En espera del acuse de recibo",
                                 age, f"/oficios/{oficio.id}", it_people))
    items += _lifecycle_overdue(threshold)
    return sorted(items, key=lambda w: -w.age)


def _lifecycle_overdue(threshold: int) -> list[Waiting]:
    """Bajas waiting for the unit head's signature and cambios waiting for the receiving
    unit head's, older than ``threshold`` business days."""
    items = []
    for baja in bajas.waiting_signature():
        age = workdays.age(baja.started_at)
        if age > threshold:
            items.append(Waiting(f"Baja {baja.folio}", "Por firmar (jefe de la unidad)", age,
                                 f"/bajas/{baja.id}", tuple(staff.emails_of(
                                     Role.JEFE_UNIDAD, unit_clues=baja.unit_clues))))
    for cambio in cambios.waiting_signature():
        age = workdays.age(cambio.started_at)
        if age > threshold:
            items.append(Waiting(f"Cambio {cambio.folio}",
                                 "Por firmar (jefe de la unidad que recibe)", age,
                                 f"/cambios/{cambio.id}", tuple(staff.emails_of(
                                     Role.JEFE_UNIDAD, unit_clues=cambio.to_unit_clues))))
    return items


def _next_actors(request: AccountRequest) -> list[str]:
    """Who must act next: the request workflow's next actor, or the custody chain's holder."""
    if request.status == RequestStatus.EN_ENTREGA.value:
        return custody.next_holders(request)
    return workflow.next_actors(request)


def send() -> int:
    """Queue one reminder per person with overdue items (not on weekends or holidays), at
    most one per person and local day: the worker's daily task and a systemd timer
    (deploy/systemd/alta-reminders.timer) may both run it.

    Returns how many messages were queued.
    """
    today = timeutil.local_today()
    if not workdays.is_business_day(today):
        return 0
    threshold = settings().mail.reminder_after_business_days
    per_person: dict[str, list[Waiting]] = defaultdict(list)
    for item in overdue(threshold):
        for recipient in item.recipients:
            per_person[recipient].append(item)
    already = set(session().scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "recordatorio", OutboxMessage.object_type == "reminder",
        OutboxMessage.object_id == today.isoformat())))
    queued = 0
    for recipient, items in sorted(per_person.items()):
        if recipient in already:
            continue
        queued += len(notifications.queue(
            [recipient], "recordatorio",
            f"Recordatorio: {wording.count(len(items), 'asunto')} en espera en Alta",
            object_type="reminder", object_id=today.isoformat(),
            items=items, threshold=threshold))
    return queued


def register() -> None:
    """Register the daily reminders (called by the app factory)."""
    jobs.register_periodic("mail.reminders", _daily, every=timedelta(days=1),
                           label="recordatorio diario por correo")


def _daily(job: Any, payload: dict[str, Any]) -> None:
    send()
