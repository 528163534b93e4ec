"""Helpers of the lifecycle tests (bajas, cambios): reading what they wrote."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from provisioning import db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.lifecycle.models import Baja
from provisioning.notifications.models import OutboxMessage
from tests.support.handoff_flow import values

PASSWORD = "Cuernavaca-2026-Morelos!"


def person_id(request_id: int) -> int:
    return values(lambda: db.session().get(AccountRequest, request_id).person_id)


def bajas_of(pid: int) -> list[Baja]:
    return values(lambda: list(db.session().scalars(
        select(Baja).where(Baja.person_id == pid).order_by(Baja.id))))


def mails(kind: str) -> list[str]:
    return values(lambda: sorted(db.session().scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == kind))))


def actions(folio: str, object_type: str = "baja") -> list[str]:
    return values(lambda: list(db.session().scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == object_type,
                                        AuditEvent.object_id == folio)
        .order_by(AuditEvent.seq))))


def day(offset: int) -> str:
    return timeutil.format_date(timeutil.local_today() + timedelta(days=offset))


def baja_form(**changes: str) -> dict[str, str]:
    return {"motivo": "renuncia", "detalle": "", "fecha_efectiva": day(0), **changes}


