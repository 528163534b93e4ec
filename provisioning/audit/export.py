"""Searching the audit log and exporting it (JSON Lines, CSV), streamed in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, literal_column, or_, select
from sqlalchemy.engine import Connection

from provisioning import audit, timeutil
from provisioning.audit.models import AuditCheckpoint, AuditEvent
from provisioning.audit.services import (
    Actor,
    canonical_text,
    checkpoint_made,
    iso_sql,
    request_checkpoint,
)
from provisioning.db import session
from provisioning.spreadsheet import cell, csv_text

FORMATS = {"jsonl": "application/x-ndjson", "csv": "text/csv"}
PAGE_SIZE = 50
HISTORY_LIMIT = 5000
EXPORT_BATCH = 5000

CSV_COLUMNS = ("secuencia", "fecha_hora_utc", "fecha_hora_local", "usuario", "rol", "ip",
               "accion", "tipo_objeto", "objeto", "resumen", "detalles", "hash_anterior", "hash")


@dataclass(frozen=True)
class EventFilter:
    """What the auditor searches for; empty fields match everything."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    # A CURP is searched by its keyed hash (crypto.Pseudonymizer): the log never holds it.
    curp_hmac: str = ""

    def clauses(self) -> list[ColumnElement[bool]]:
        """SQL conditions for this filter."""
        found: list[ColumnElement[bool]] = []
        if self.curp_hmac:
            found.append(_about_curp(self.curp_hmac))
        if self.actor:
            found.append(AuditEvent.actor.in_(_variants(self.actor)))
        if self.action:
            # A prefix: "request." finds every request action.
            found.append(AuditEvent.action.startswith(self.action, autoescape=True))
        if self.object_type:
            found.append(AuditEvent.object_type == self.object_type)
        if self.object_id:
            found.append(AuditEvent.object_id.in_(_variants(self.object_id)))
        if self.since is not None:
            found.append(AuditEvent.occurred_at >= _local_midnight(self.since))
        if self.until is not None:
            found.append(AuditEvent.occurred_at < _local_midnight(self.until + timedelta(days=1)))
        return found

    def describe(self) -> dict[str, str]:
        """The filter as audit details (dates as ISO text, empty fields left out)."""
        return {k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in asdict(self).items() if v}


def _about_curp(curp_hmac: str) -> ColumnElement[bool]:
    """Events that carry the CURP's keyed hash (its submission, its account, API reads of
    it), and every event of the requests whose events carry it (their whole history)."""
    carries = or_(AuditEvent.details.contains(f'"curp_hmac":"{curp_hmac}"', autoescape=True),
                  and_(AuditEvent.object_type == "curp", AuditEvent.object_id == curp_hmac))
    folios = (select(AuditEvent.object_id)
              .where(AuditEvent.object_type == "request", carries).scalar_subquery())
    return or_(carries, and_(AuditEvent.object_type == "request",
                             AuditEvent.object_id.in_(folios)))


def _variants(text: str) -> list[str]:
    # Folios are upper case and user names lower case: accept either way of typing them.
    return sorted({text, text.upper(), text.lower()})


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timeutil.local_tz())


@dataclass(frozen=True)
class Page:
    """One page of search results, newest first."""

    events: list[AuditEvent]
    next_before: int | None


def search(query: EventFilter, *, before: int | None = None,
           limit: int = PAGE_SIZE) -> Page:
    """Events matching ``query`` with seq < ``before``, newest first (keyset pagination)."""
    statement = select(AuditEvent).where(*query.clauses())
    if before is not None:
        statement = statement.where(AuditEvent.seq < before)
    rows = list(session().scalars(statement.order_by(AuditEvent.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].seq if more and rows else None)


def history(object_type: str, object_id: str) -> list[AuditEvent]:
    """Every event about one object, oldest first (a request's full history)."""
    return list(session().scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.seq).limit(HISTORY_LIMIT)))


def record_history_view(object_type: str, object_id: str, *, actor: Actor) -> None:
    """Audit that staff read an object's history (it shows the applicant's IP addresses)."""
    audit.record("audit.history_viewed", actor=actor, object_type=object_type,
                 object_id=object_id,
                 summary=f"Consulta del historial de {object_type} {object_id} en la bitácora")


def record_search(query: EventFilter, *, before: int | None, invalid: list[str],
                  results: int, actor: Actor) -> None:
    """Audit an auditor's search: its criteria (the valid ones), the page and the count.

    Reading the log is a read of personal data (IP addresses, who did what), and what an
    auditor looked for is evidence too.
    """
    details: dict[str, Any] = {"filter": query.describe(), "results": results}
    if before is not None:
        details["before"] = before
    if invalid:
        details["invalid"] = sorted(invalid)
    audit.record("audit.searched", actor=actor, object_type="audit", object_id="bitacora",
                 summary="Búsqueda en la bitácora", details=details)


def begin_export(query: EventFilter, fmt: str, *, actor: Actor) -> None:
    """Audit the export and have the commit sign a checkpoint of the head.

    The caller commits, then streams ``export_chunks`` up to ``exported_upto()``: the export
    ends at a signed checkpoint, so the copy can be checked against it later.
    """
    assert fmt in FORMATS
    audit.record("audit.exported", actor=actor, object_type="audit", object_id="bitacora",
                 summary=f"Exportación de la bitácora en formato {fmt.upper()}",
                 details={"format": fmt, "filter": query.describe()})
    request_checkpoint("export")


def exported_upto() -> AuditCheckpoint:
    """The checkpoint the export's commit signed (after ``begin_export`` and the commit)."""
    made = checkpoint_made()
    assert made is not None, "begin_export was not committed"
    return made


def export_chunks(connection: Connection, fmt: str, query: EventFilter, *,
                  upto: int, batch: int = EXPORT_BATCH) -> Iterator[str]:
    """The matching events with seq <= ``upto`` in chain order, a few thousand per chunk.

    JSON Lines: one event per line with every field of its canonical form plus its hash,
    so anyone can recompute the hash. CSV: Spanish column names, local time added, and
    cells that a spreadsheet would run as a formula prefixed with an apostrophe.
    """
    occurred = literal_column(iso_sql(connection.dialect.name)).label("occurred_iso")
    columns = (AuditEvent.seq, occurred, AuditEvent.occurred_at, AuditEvent.actor,
               AuditEvent.actor_role, AuditEvent.ip, AuditEvent.action,
               AuditEvent.object_type, AuditEvent.object_id, AuditEvent.summary,
               AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash)
    clauses = query.clauses()
    if fmt == "csv":
        yield _csv_text([CSV_COLUMNS])
    last = 0
    while True:
        rows = connection.execute(
            select(*columns).where(*clauses, AuditEvent.seq > last, AuditEvent.seq <= upto)
            .order_by(AuditEvent.seq).limit(batch)).all()
        if not rows:
            return
        if fmt == "jsonl":
            yield "".join(_json_line(row) for row in rows)
        else:
            yield _csv_text(_csv_row(row) for row in rows)
        last = rows[-1].seq


def _json_line(row: Any) -> str:
    body = canonical_text(row.seq, row.occurred_iso, row.actor, row.actor_role, row.ip,
                          row.action, row.object_type, row.object_id, row.summary,
                          row.details, row.prev_hash)
    return '{"hash":"' + row.hash + '",' + body[1:] + "\n"


def _csv_row(row: Any) -> list[Any]:
    return [row.seq, row.occurred_iso,
            timeutil.format_datetime(row.occurred_at, seconds=True),
            cell(row.actor), cell(row.actor_role), row.ip or "", cell(row.action),
            cell(row.object_type), cell(row.object_id), cell(row.summary), cell(row.details),
            row.prev_hash, row.hash]


def _csv_text(rows: Any) -> str:
    return csv_text(rows)
