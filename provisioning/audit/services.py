"""Recording and verifying the audit chain.

``record`` queues an event on the current session; when that session commits, the events are
numbered, chained to the head (SHA-256 over the canonical form, which includes the previous
hash) and written in the same transaction as the change they describe. Locking the head row
at commit time keeps the chain linear when many transactions commit at once, and holds the
lock only for the commit itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from provisioning import timeutil
from provisioning.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from provisioning.db import session as db_session

_PENDING = "alta.audit.pending"

# Detail keys that could carry a secret; recording one is a programming error.
_SECRET_KEY = re.compile(r"pass|contrase|secret|token|totp|otp|recovery|tracking_code|"
                         r"activation_code|^code$|_code$|pin$", re.IGNORECASE)
_ALLOWED_CODE_KEYS = {"clues", "clues_code", "unit_code", "jurisdiction_code", "error_code",
                      "status_code", "catalog_code", "dc_code", "ldap_code"}


@dataclass(frozen=True)
class Actor:
    """Who did something, in which role, from where."""

    name: str
    role: str
    ip: str | None = None

    @classmethod
    def system(cls, name: str = "sistema", role: str = "sistema") -> Actor:
        """The service itself (worker, scheduled tasks, CLI without a user)."""
        return cls(name=name, role=role, ip=None)


def record(
    action: str,
    *,
    actor: Actor,
    object_type: str,
    object_id: str | int,
    summary: str,
    details: dict[str, Any] | None = None,
    session: Session | None = None,
) -> None:
    """Queue an audit event; it is chained and written when the session commits."""
    details = dict(details or {})
    for key in details:
        if _SECRET_KEY.search(key) and key not in _ALLOWED_CODE_KEYS:
            raise ValueError(f"audit details must not carry secrets (key {key!r})")
    current = session or db_session()
    current.info.setdefault(_PENDING, []).append(
        {
            "occurred_at": timeutil.now(),
            "actor": actor.name[:120],
            "actor_role": actor.role[:40],
            "ip": actor.ip,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id)[:80],
            "summary": summary[:500],
            "details": details,
        }
    )


def pending(session: Session | None = None) -> list[dict[str, Any]]:
    """Events queued on ``session`` and not yet committed (for tests and diagnostics)."""
    return list((session or db_session()).info.get(_PENDING, []))


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes that are hashed: sorted-key compact JSON of every field but the hash."""
    body = {
        "seq": event["seq"],
        "occurred_at": _iso(event["occurred_at"]),
        "actor": event["actor"],
        "actor_role": event["actor_role"],
        "ip": event["ip"],
        "action": event["action"],
        "object_type": event["object_type"],
        "object_id": event["object_id"],
        "summary": event["summary"],
        "details": event["details"],
        "prev_hash": event["prev_hash"],
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _details_json(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def flush_pending(session: Session) -> None:
    """Chain and add the queued events (called just before the session commits)."""
    events = session.info.pop(_PENDING, None)
    if not events:
        return
    head_query = select(AuditHead).where(AuditHead.id == 1)
    if session.get_bind().dialect.name != "sqlite":
        head_query = head_query.with_for_update()
    head = session.execute(head_query).scalar_one()
    seq, prev = head.seq, head.hash
    for event in events:
        seq += 1
        row = dict(event, seq=seq, prev_hash=prev)
        # Microsecond precision is what both backends store.
        row["occurred_at"] = row["occurred_at"].astimezone(UTC)
        digest = sha256(canonical(row)).hexdigest()
        session.add(
            AuditEvent(
                seq=seq,
                occurred_at=row["occurred_at"],
                actor=row["actor"],
                actor_role=row["actor_role"],
                ip=row["ip"],
                action=row["action"],
                object_type=row["object_type"],
                object_id=row["object_id"],
                summary=row["summary"],
                details=_details_json(row["details"]),
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    head.seq, head.hash = seq, prev


def discard_pending(session: Session) -> None:
    """Forget queued events (the transaction rolled back)."""
    session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


_COLUMNS = (
    AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.actor_role,
    AuditEvent.ip, AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id,
    AuditEvent.summary, AuditEvent.details, AuditEvent.prev_hash, AuditEvent.hash,
)


def iter_events(connection: Connection, *, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Stream every event in chain order without loading the table in memory."""
    last = -1
    while True:
        rows = connection.execute(
            select(*_COLUMNS).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row._asdict()
        last = rows[-1].seq


def verify(connection: Connection) -> VerifyResult:
    """Walk the whole chain and report the first event that does not check out."""
    head = connection.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.purged_through).where(AuditHead.id == 1)
    ).one()
    expected_seq = head.purged_through + 1
    prev: str | None = GENESIS_HASH if head.purged_through == 0 else None
    checked = 0
    for row in iter_events(connection):
        seq = row["seq"]
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq,
                                f"falta el evento {expected_seq} (siguiente presente: {seq})")
        if prev is not None and row["prev_hash"] != prev:
            return VerifyResult(False, checked, seq,
                                "el hash del evento anterior no coincide (evento alterado, "
                                "borrado o reordenado)")
        event = dict(row, details=json.loads(row["details"]))
        if sha256(canonical(event)).hexdigest() != row["hash"]:
            return VerifyResult(False, checked, seq, "el contenido del evento fue modificado")
        prev = row["hash"]
        expected_seq = seq + 1
        checked += 1
    if expected_seq - 1 != head.seq or (checked and prev != head.hash):
        return VerifyResult(False, checked, expected_seq if expected_seq <= head.seq else head.seq,
                            "la cabeza de la cadena no coincide con el último evento "
                            "(eventos finales eliminados o cabeza alterada)")
    return VerifyResult(True, checked)
