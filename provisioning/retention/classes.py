"""The record classes Alta keeps, with their retention rules.

To add one (e.g. the oficio, 3 years from issue, ``[retention].oficio_years``), define a
``RecordClass`` next to its model and list it in ``CLASSES`` before ``AUDIT_EVENTS``: the
audit events go last, so every disposal of the run is itself recorded before old events
are purged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update

from provisioning import timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent, AuditHead
from provisioning.audit.services import purge_through
from provisioning.db import session
from provisioning.privacy.models import ArcoRequest
from provisioning.retention.models import Disposal
from provisioning.retention.services import (
    Candidate,
    RecordClass,
    add_years,
    held_audit_objects,
    subtract_years,
)

# ---------------------------------------------------------------------------------------------
# Solicitud FO-DPE-STI-DI-04: 3 years from the request's closure, then anonymized.

# Stored files of a solicitud (signed PDFs...), removed when it is anonymized: each
# function takes the folio. The documents domain adds its remover here.
SOLICITUD_FILE_REMOVERS: tuple[Callable[[str], None], ...] = ()
ANONYMIZED = "purgado"  # what replaces the tracking code's hash: no code matches it


def _solicitud_due(until: datetime, years: int) -> list[Candidate]:
    disposed = select(Disposal.record_key).where(Disposal.record_class == "solicitud")
    rows = session().execute(
        select(AccountRequest.folio, AccountRequest.closed_at, AccountRequest.submitted_at,
               AccountRequest.status, AccountRequest.unit_clues)
        .where(AccountRequest.closed_at <= subtract_years(until, years),
               AccountRequest.folio.not_in(disposed))
        .order_by(AccountRequest.closed_at, AccountRequest.id))
    found = []
    for folio, closed_at, submitted_at, status, unit in rows:
        due_at = add_years(closed_at, years)
        if due_at <= until:
            found.append(Candidate(
                "solicitud", folio, closed_at, due_at, f"Solicitud {folio}",
                {"status": status, "submitted_at": submitted_at.isoformat(),
                 "closed_at": closed_at.isoformat(), "unit_clues": unit}))
    return found


def _solicitud_dispose(candidate: Candidate) -> str:
    """Clear the person's data; keep folio, dates, status and unit (the tombstone)."""
    request = session().scalar(select(AccountRequest).where(
        AccountRequest.folio == candidate.key))
    request.curp = ""
    request.nombres = request.primer_apellido = ""
    request.segundo_apellido = request.extension = None
    request.telefono = request.contact_email = request.departamento = ""
    request.tracking_code_hash = ANONYMIZED
    request.updated_at = timeutil.now()
    # What the person wrote in ARCO requests is personal data too.
    session().execute(update(ArcoRequest).where(ArcoRequest.folio == candidate.key)
                      .values(description="", response=None))
    for remove in SOLICITUD_FILE_REMOVERS:
        remove(candidate.key)
    return "anonimizado"


def _solicitud_exists(folio: str) -> bool:
    return session().scalar(
        select(func.count()).select_from(AccountRequest).where(
            AccountRequest.folio == folio,
            AccountRequest.folio.not_in(select(Disposal.record_key).where(
                Disposal.record_class == "solicitud")))) == 1


SOLICITUD = RecordClass(
    name="solicitud", label="Solicitud FO-DPE-STI-DI-04",
    years=lambda r: r.solicitud_years, due=_solicitud_due, dispose=_solicitud_dispose,
    exists=_solicitud_exists, audit_object_type="request")


# ---------------------------------------------------------------------------------------------
# Audit events: a longer period, then the oldest stretch of the chain is deleted.


def _audit_due(until: datetime, years: int) -> list[Candidate]:
    """The oldest events due by ``until``, up to the first about a record under hold."""
    db = session()
    start = db.scalar(select(AuditHead.purged_through).where(AuditHead.id == 1))
    young = db.scalar(select(func.min(AuditEvent.seq)).where(
        AuditEvent.seq > start, AuditEvent.occurred_at > subtract_years(until, years)))
    through = (young - 1) if young is not None else db.scalar(
        select(AuditHead.seq).where(AuditHead.id == 1))
    held = held_audit_objects()
    if held:
        first_held = db.scalar(select(func.min(AuditEvent.seq)).where(
            AuditEvent.seq > start,
            or_(*(and_(AuditEvent.object_type == t, AuditEvent.object_id == k)
                  for t, k in held))))
        if first_held is not None:
            through = min(through, first_held - 1)
    if through <= start:
        return []
    first_at, last_at = (db.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == s))
                         for s in (start + 1, through))
    key = f"{start + 1}-{through}"
    return [Candidate("audit_events", key, first_at, add_years(last_at, years),
                      f"Eventos {start + 1} a {through} de la bitácora",
                      {"first_seq": str(start + 1), "last_seq": str(through),
                       "first_at": first_at.isoformat(), "last_at": last_at.isoformat()})]


def _audit_dispose(candidate: Candidate) -> str:
    through = int(candidate.key.split("-")[1])
    checkpoint = purge_through(through)
    if candidate.details is not None:
        candidate.details["checkpoint"] = str(checkpoint.number)
    return "eliminado"


AUDIT_EVENTS = RecordClass(
    name="audit_events", label="Eventos de la bitácora",
    years=lambda r: r.audit_events_years, due=_audit_due, dispose=_audit_dispose)


CLASSES: tuple[RecordClass, ...] = (SOLICITUD, AUDIT_EVENTS)
