"""Recording and verifying the audit chain.

``record`` queues an event on the current session; when that session commits, the events are
numbered, chained to the head (SHA-256 over the canonical form, which includes the previous
hash) and written in the same transaction as the change they describe. Locking the head row
at commit time keeps the chain linear when many transactions commit at once, and holds the
lock only for the commit itself.
"""

from __future__ import annotations

import hmac
import json
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from sqlalchemy import column, delete, func, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from provisioning import timeutil
from provisioning.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead
from provisioning.config import Settings
from provisioning.db import session as db_session
from provisioning.errors import Conflict

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
    return canonical_text(
        event["seq"], _iso(event["occurred_at"]), event["actor"], event["actor_role"],
        event["ip"], event["action"], event["object_type"], event["object_id"],
        event["summary"], _details_json(event["details"]), event["prev_hash"],
    ).encode()


_quote = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def canonical_text(seq: int, occurred_at: str, actor: str, actor_role: str, ip: str | None,
                    action: str, object_type: str, object_id: str, summary: str,
                    details_json: str, prev_hash: str) -> str:
    """``json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``,
    spelled out: the verifier runs it a million times, so no dict and no re-parsing.

    ``details_json`` must already be canonical JSON (as ``_details_json`` writes it).
    """
    return (
        '{"action":' + _quote(action) + ',"actor":' + _quote(actor)
        + ',"actor_role":' + _quote(actor_role) + ',"details":' + details_json
        + ',"ip":' + ("null" if ip is None else _quote(ip))
        + ',"object_id":' + _quote(object_id) + ',"object_type":' + _quote(object_type)
        + ',"occurred_at":' + _quote(occurred_at) + ',"prev_hash":' + _quote(prev_hash)
        + ',"seq":' + str(seq) + ',"summary":' + _quote(summary) + "}"
    )


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _details_json(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def flush_pending(session: Session) -> None:
    """Chain and add the queued events (called just before the session commits).

    Also writes a checkpoint when one was requested on this session (export, purge) or
    when the newest one is older than ``[audit].checkpoint_interval_minutes``. Events are
    handed to the syslog forwarder, if configured, to be sent after the commit.
    """
    events = session.info.pop(_PENDING, None)
    requested = session.info.pop(_CHECKPOINT, None)
    if not events and not requested:
        return
    head = lock_head(session)
    seq, prev = head.seq, head.hash
    written = []
    for event in events or ():
        seq += 1
        # Microsecond precision is what both backends store.
        occurred_at = event["occurred_at"].astimezone(UTC)
        details = _details_json(event["details"])
        digest = sha256(canonical_text(
            seq, _iso(occurred_at), event["actor"], event["actor_role"], event["ip"],
            event["action"], event["object_type"], event["object_id"], event["summary"],
            details, prev).encode()).hexdigest()
        row = AuditEvent(
            seq=seq, occurred_at=occurred_at, actor=event["actor"],
            actor_role=event["actor_role"], ip=event["ip"], action=event["action"],
            object_type=event["object_type"], object_id=event["object_id"],
            summary=event["summary"], details=details, prev_hash=prev, hash=digest)
        session.add(row)
        written.append(row)
        prev = digest
    head.seq, head.hash = seq, prev
    forwarder = _forwarder()
    if forwarder is not None and written:
        lines = [forwarder.format(row) for row in written]
        session.info.setdefault("after_commit", []).append(lambda: forwarder.send(lines))
    signer = _signer()
    if signer is None:
        return
    if requested or _checkpoint_due(head, signer):
        session.flush()
        add_checkpoint(session, signer, seq=seq, hash=prev, reason=requested or "periodic")


def discard_pending(session: Session) -> None:
    """Forget queued events and checkpoint requests (the transaction rolled back)."""
    session.info.pop(_PENDING, None)
    session.info.pop(_CHECKPOINT, None)


def lock_head(session: Session) -> AuditHead:
    """The chain head, locked until the transaction ends (SQLite: already serialized)."""
    query = select(AuditHead).where(AuditHead.id == 1)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    return session.execute(query).scalar_one()


# ---------------------------------------------------------------------------------------------
# Checkpoints

_CHECKPOINT = "alta.audit.checkpoint"
_MADE = "alta.audit.checkpoint_made"
CHECKPOINT_REASONS = {"periodic": "periódico", "export": "exportación", "purge": "depuración",
                      "manual": "manual"}


class CheckpointSigner:
    """Signs and checks checkpoints with the HMAC key from ``[audit]``.

    Only the current key signs, and ``verify`` accepts only checkpoints signed with it.
    The previous keys (``[audit].previous_checkpoint_keys``) are read by ``resign_checkpoints``
    alone, to check the checkpoints it signs again.
    """

    def __init__(self, settings: Settings) -> None:
        audit = settings.audit
        self.derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"alta-audit",
                            info=b"checkpoint").derive(settings.app.secret_key.encode())
        self._key = audit.checkpoint_key.encode() if audit.checkpoint_key else self.derived
        self.key_id = key_id(self._key)
        self.previous = {key_id(k.encode()): k.encode() for k in audit.previous_checkpoint_keys}
        self.interval = timedelta(minutes=audit.checkpoint_interval_minutes)
        self.max_age = (timedelta(hours=audit.checkpoint_max_age_hours)
                        if audit.checkpoint_max_age_hours else None)

    def accepts(self, key_id: str, *, previous: bool = False) -> bool:
        """Whether checkpoints signed with ``key_id`` are checked (``previous``: old keys too)."""
        return key_id == self.key_id or (previous and key_id in self.previous)

    def with_derived_previous(self) -> CheckpointSigner:
        """This signer, also knowing the key derived from [app].secret_key as a previous one
        (checkpoints signed before a dedicated checkpoint_key was set)."""
        copy = object.__new__(CheckpointSigner)
        copy.__dict__.update(self.__dict__)
        copy.previous = {**self.previous, key_id(self.derived): self.derived}
        return copy

    def mac(self, *, number: int, seq: int, hash: str, created_at: datetime, reason: str,
            key_id: str, prev_mac: str) -> str:
        """HMAC-SHA256 over every field of a checkpoint but the mac itself, with the key
        ``key_id`` names (the current one, or a previous one for re-signing)."""
        key = self.previous.get(key_id, self._key) if key_id != self.key_id else self._key
        message = "|".join(("alta-checkpoint-v1", str(number), str(seq), hash,
                            _iso(created_at), reason, key_id, prev_mac))
        return hmac.new(key, message.encode(), sha256).hexdigest()


def key_id(key: bytes) -> str:
    """The public fingerprint of a checkpoint key (stored with each checkpoint)."""
    return hmac.new(key, b"alta-checkpoint-key-id", sha256).hexdigest()[:16]


def _signer() -> CheckpointSigner | None:
    if not has_app_context():
        return None
    return current_app.extensions.get("alta.checkpoints")


def _forwarder() -> Any:
    if not has_app_context():
        return None
    return current_app.extensions.get("alta.syslog")


def request_checkpoint(reason: str, session: Session | None = None) -> None:
    """Have the current transaction end with a checkpoint of the head (export, purge)."""
    assert reason in CHECKPOINT_REASONS
    (session or db_session()).info[_CHECKPOINT] = reason


def latest_checkpoint(session: Session | None = None) -> AuditCheckpoint | None:
    """The newest checkpoint, or None."""
    return (session or db_session()).scalar(
        select(AuditCheckpoint).order_by(AuditCheckpoint.number.desc()).limit(1))


def _checkpoint_due(head: AuditHead, signer: CheckpointSigner) -> bool:
    if head.checkpoint_at is None:  # no checkpoint yet
        return True
    # A clock set back (or a restored backup) must not hold checkpoints off.
    age = timeutil.now() - head.checkpoint_at
    return age >= signer.interval or age < timedelta(0)


def add_checkpoint(session: Session, signer: CheckpointSigner, *, seq: int, hash: str,
                   reason: str) -> AuditCheckpoint:
    """Sign (seq, hash) as checkpoint number last + 1; the caller holds the head lock."""
    last = latest_checkpoint(session)
    number = last.number + 1 if last else 1
    prev_mac = last.mac if last else GENESIS_HASH
    created_at = timeutil.now().astimezone(UTC)
    fields = {"number": number, "seq": seq, "hash": hash, "created_at": created_at,
              "reason": reason, "key_id": signer.key_id, "prev_mac": prev_mac}
    checkpoint = AuditCheckpoint(**fields, mac=signer.mac(**fields))
    session.add(checkpoint)
    # The locked head is in the session already: no query.
    session.get(AuditHead, 1).checkpoint_at = created_at
    session.flush()
    session.info[_MADE] = checkpoint
    _forward_checkpoints(session, [checkpoint])
    return checkpoint


def _forward_checkpoints(session: Session, checkpoints: list[AuditCheckpoint]) -> None:
    """Send these checkpoints to syslog, if configured, once the transaction commits (as
    events are: a rolled-back checkpoint never leaves)."""
    forwarder = _forwarder()
    if forwarder is not None and checkpoints:
        lines = [forwarder.format_checkpoint(row) for row in checkpoints]
        session.info.setdefault("after_commit", []).append(lambda: forwarder.send(lines))


def checkpoint_made(session: Session | None = None) -> AuditCheckpoint | None:
    """The last checkpoint this session wrote (still readable after the commit)."""
    return (session or db_session()).info.get(_MADE)


def checkpoint_now(reason: str = "manual") -> AuditCheckpoint | None:
    """Sign the current head unless the newest checkpoint already covers it.

    For ``alta audit checkpoint`` (run by a timer, so quiet periods are covered too). The
    caller commits.
    """
    session = db_session()
    signer = _signer()
    assert signer is not None, "needs the application"
    head = lock_head(session)
    last = latest_checkpoint(session)
    if last is not None and last.seq == head.seq:
        return None
    return add_checkpoint(session, signer, seq=head.seq, hash=head.hash, reason=reason)


def purge_through(through: int) -> AuditCheckpoint:
    """Delete the events up to ``through`` (retention) and keep the chain verifiable.

    Refuses when the chain does not verify (the evidence must stay). Signs a checkpoint at
    ``through`` — verification starts from it — then moves ``purged_through`` (the only way
    the database lets events be deleted) and deletes. The caller audits and commits.
    """
    session = db_session()
    signer = _signer()
    assert signer is not None, "needs the application"
    head = lock_head(session)
    if not head.purged_through < through <= head.seq:
        raise Conflict("Los eventos a depurar ya no coinciden con la bitácora; vuelva a "
                       "calcular la depuración.")
    result = verify(session.connection(), check_age=False)
    if not result.ok:
        raise Conflict("La bitácora no pasa la verificación (evento "
                       f"{result.first_bad_seq or '-'}, punto de control "
                       f"{result.first_bad_checkpoint or '-'}): no se depuran eventos hasta "
                       "aclararlo.")
    last = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == through))
    checkpoint = add_checkpoint(session, signer, seq=through, hash=last, reason="purge")
    head.purged_through = through
    session.flush()
    session.execute(delete(AuditEvent).where(AuditEvent.seq <= through),
                    execution_options={"synchronize_session": False})
    session.expire_all()
    return checkpoint


def resign_checkpoints(*, actor: Actor, from_derived: bool = False) -> int:
    """Sign every checkpoint again with the current ``[audit].checkpoint_key``.

    For a change of key: the checkpoints (and the whole chain through them) must first
    verify, each with the key it was signed with (the current one or one of
    ``previous_checkpoint_keys``; ``from_derived``: also the key derived from
    ``[app].secret_key``, for an instance that had no dedicated key). Then each one gets the
    new key's fingerprint, the new mac of the one before and its own new mac; what they
    certify (number, seq, hash, date, reason) does not change, and the database refuses any
    other change. Audits ``audit.checkpoints_resigned``; returns how many were re-signed.
    The caller commits.
    """
    session = db_session()
    signer = _signer()
    assert signer is not None, "needs the application"
    if from_derived:
        signer = signer.with_derived_previous()
    lock_head(session)
    result = verify(session.connection(), check_age=False, signer=signer, previous_keys=True)
    if not result.ok:
        where = (f"punto de control {result.first_bad_checkpoint}"
                 if result.first_bad_checkpoint is not None
                 else f"evento {result.first_bad_seq}")
        raise Conflict(f"La bitácora no pasa la verificación con las llaves anteriores ({where}: "
                       f"{result.reason}); no se firmó nada de nuevo.")
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number)).all()
    prev_mac = GENESIS_HASH
    old_keys: set[str] = set()
    resigned = []
    for row in rows:
        if row.key_id != signer.key_id or row.prev_mac != prev_mac:
            resigned.append(row)
            old_keys.add(row.key_id)
            row.key_id, row.prev_mac = signer.key_id, prev_mac
            row.mac = signer.mac(number=row.number, seq=row.seq, hash=row.hash,
                                 created_at=row.created_at, reason=row.reason,
                                 key_id=row.key_id, prev_mac=prev_mac)
        prev_mac = row.mac
    session.flush()
    changed = len(resigned)
    _forward_checkpoints(session, resigned)
    old_keys.discard(signer.key_id)
    record("audit.checkpoints_resigned", actor=actor, object_type="audit",
           object_id="bitacora",
           summary=f"Puntos de control firmados de nuevo con la llave vigente ({changed})",
           details={"resigned": changed, "checkpoints": len(rows), "key_id": signer.key_id,
                    "previous_key_ids": sorted(old_keys)})
    return changed


# ---------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain and its checkpoints."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    first_bad_checkpoint: int | None = None
    checkpoints: int = 0


def iso_sql(dialect: str) -> str:
    """SQL giving occurred_at as the canonical text (UTC, microseconds, 'Z')."""
    if dialect == "sqlite":
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC, see db.UTCDateTime).
        return "replace(occurred_at, ' ', 'T') || 'Z'"
    return ("to_char(occurred_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")


def canonical_sql(dialect: str) -> str:
    """SQL that builds an event's canonical text in the database (what ``canonical_text``
    builds in Python), so the verifier fetches one text per event instead of twelve fields.

    The quoting in SQL is a correct, unambiguous string quoting (SQLite: JSON; PostgreSQL:
    backslash and double quote escaped, which is JSON for text without control characters
    and much cheaper there than to_json). So a text that hashes to the stored hash proves
    that the fields are the ones that were hashed; a text that does not is checked again
    in Python (``_exact_check``) before the event is called modified.
    """
    if dialect == "sqlite":
        def q(column: str) -> str:
            return f"json_quote({column})"  # json_quote(NULL) is 'null', as wanted for ip
        seq = "seq"
    else:
        def q(column: str) -> str:
            return (f"""coalesce('"' || replace(replace({column}, '\\', '\\\\'), '"', """
                    f"""'\\"') || '"', 'null')""")
        seq = "seq::text"
    return ("""'{"action":' || """ + q("action") + """ || ',"actor":' || """ + q("actor")
            + """ || ',"actor_role":' || """ + q("actor_role")
            + """ || ',"details":' || details || ',"ip":' || """ + q("ip")
            + """ || ',"object_id":' || """ + q("object_id")
            + """ || ',"object_type":' || """ + q("object_type")
            + """ || ',"occurred_at":' || """ + q(iso_sql(dialect))
            + """ || ',"prev_hash":' || """ + q("prev_hash")
            + """ || ',"seq":' || """ + seq + """ || ',"summary":' || """ + q("summary")
            + " || '}'")


_PREFETCH_DONE = object()


def _event_rows(dbapi_connection: Any, dialect: str, *, after: int, upto: int | None,
                batch: int = 20000) -> Iterator[tuple[Any, ...]]:
    """(seq, canonical text, prev_hash, hash) in chain order, in keyset batches.

    A thread runs the next query while the caller hashes the current batch: the database
    drivers release the GIL while the database works, so both proceed at once.
    """
    mark = "?" if dialect == "sqlite" else "%s"
    bound = f" AND seq <= {mark}" if upto is not None else ""
    query = (f"SELECT seq, {canonical_sql(dialect)}, prev_hash, hash FROM audit_events "  # noqa: S608
             f"WHERE seq > {mark}{bound} ORDER BY seq LIMIT {mark}")
    batches: queue.Queue[Any] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                batches.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        cursor = dbapi_connection.cursor()
        try:
            last = after
            while True:
                cursor.execute(query, (last, upto, batch) if upto is not None
                               else (last, batch))
                rows = cursor.fetchall()
                if not rows or not hand_over(rows):
                    break
                last = rows[-1][0]
            hand_over(_PREFETCH_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            hand_over(exc)
        finally:
            cursor.close()

    producer = threading.Thread(target=produce, name="alta-verify-fetch", daemon=True)
    producer.start()
    try:
        while (rows := batches.get()) is not _PREFETCH_DONE:
            if isinstance(rows, BaseException):
                raise rows
            yield from rows
    finally:
        stop.set()
        producer.join()


def _exact_check(dbapi_connection: Any, dialect: str, seq: int) -> bool:
    """Recompute one event's hash from its fields with ``canonical_text``."""
    mark = "?" if dialect == "sqlite" else "%s"
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"SELECT {iso_sql(dialect)}, actor, actor_role, ip, action, "  # noqa: S608
                       "object_type, object_id, summary, details, prev_hash, hash "
                       f"FROM audit_events WHERE seq = {mark}", (seq,))
        row = cursor.fetchone()
    finally:
        cursor.close()
    if row is None or any(value is None for i, value in enumerate(row) if i != 3):
        return False
    *fields, stored = row
    return sha256(canonical_text(seq, *fields).encode()).hexdigest() == stored


@dataclass
class _Segment:
    """What walking one stretch of the chain (the events after ``after``) found."""

    after: int
    first_prev: str | None = None
    last_seq: int = 0
    last_hash: str | None = None
    checked: int = 0
    bad_seq: int | None = None
    reason: str = ""


def _walk(dbapi_connection: Any, dialect: str, *, after: int, upto: int | None,
          marks: dict[int, str]) -> _Segment:
    """Check the events after ``after`` in order: contiguous, linked, hashed, through marks.

    The first event's link is not checked here but reported as ``first_prev``: the caller
    joins each segment to the one before it (segments may be walked in parallel).
    """
    found = _Segment(after=after, last_seq=after)
    expected_seq = after + 1
    prev = None
    digest = sha256
    for seq, text, prev_hash, stored in _event_rows(dbapi_connection, dialect, after=after,
                                                    upto=upto):
        if seq != expected_seq:
            found.bad_seq = expected_seq
            found.reason = f"falta el evento {expected_seq} (siguiente presente: {seq})"
            return found
        if prev is None:
            found.first_prev = prev = prev_hash
        if prev_hash != prev:
            found.bad_seq = seq
            found.reason = ("el hash del evento anterior no coincide (evento alterado, borrado "
                            "o reordenado)")
            return found
        if (text is None or digest(text.encode()).hexdigest() != stored) and not _exact_check(
                dbapi_connection, dialect, seq):
            found.bad_seq = seq
            found.reason = "el contenido del evento fue modificado"
            return found
        if seq in marks and marks[seq] != stored:
            found.bad_seq = seq
            found.reason = ("la cadena no pasa por el punto de control firmado de este evento "
                            "(cadena recalculada o reescrita)")
            return found
        prev = stored
        expected_seq = seq + 1
        found.checked += 1
    found.last_seq, found.last_hash = expected_seq - 1, prev
    return found


def _walk_range(url: str, after: int, upto: int | None, marks: dict[int, str]) -> _Segment:
    """Walk one range over a connection of its own (runs in a worker process)."""
    from provisioning.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return _walk(connection.connection.dbapi_connection, engine.dialect.name,
                         after=after, upto=upto, marks=marks)
    finally:
        engine.dispose()


PARALLEL_MIN_EVENTS = 200_000


def verify(connection: Connection, *, url: str | None = None, workers: int = 1,
           parallel_min: int = PARALLEL_MIN_EVENTS, check_age: bool = True,
           signer: CheckpointSigner | None = None, previous_keys: bool = False) -> VerifyResult:
    """Walk the chain and its checkpoints; report the first event or checkpoint that fails.

    Checks: every event's hash and link to the previous one; the head; every checkpoint's
    signature, numbering and link to the previous checkpoint; that the chain passes through
    each checkpoint's (seq, hash); that the chain does not end before a checkpoint
    (truncation); that the purge mark is the newest signed *purge* checkpoint and every
    purge left its retention tombstone; and that no event older
    than ``[audit].checkpoint_max_age_hours`` is left without a checkpoint.

    With ``url`` and ``workers`` > 1, a long chain is cut into ranges checked by that many
    processes at once (each range is checked exactly as one walk would, and the ranges'
    ends are joined here); ``connection`` then only needs to see committed data.
    ``check_age=False`` skips the last check (a purge, which signs a checkpoint itself).
    ``previous_keys`` also accepts checkpoints signed with a previous key (re-signing only).
    """
    signer = signer or _signer()
    head = connection.execute(
        select(AuditHead.seq, AuditHead.hash, AuditHead.purged_through).where(AuditHead.id == 1)
    ).one()
    marks, purges, problem = _check_checkpoints(connection, signer, previous_keys)
    if problem is not None:
        return problem

    def fail(seq: int | None, reason: str, checked: int) -> VerifyResult:
        return VerifyResult(False, checked, seq, reason, checkpoints=len(marks))

    covered = max(marks, default=0)
    start = head.purged_through
    problem = _check_purges(connection, start, purges, len(marks))
    if problem is not None:
        return problem
    prev = marks[start] if start else GENESIS_HASH
    total = head.seq - start
    if url is not None and workers > 1 and total >= max(parallel_min, workers):
        segments = _walk_parallel(url, start, head.seq, marks, workers)
    else:
        segments = [_walk(connection.connection.dbapi_connection, connection.dialect.name,
                          after=start, upto=head.seq, marks=marks)]
    checked = 0
    for segment in segments:
        # Join each segment to the end of the one before (or to the start of the chain).
        if segment.first_prev is not None and segment.first_prev != prev:
            return fail(segment.after + 1, "el hash del evento anterior no coincide (evento "
                        "alterado, borrado o reordenado)", checked)
        if segment.bad_seq is not None:
            return fail(segment.bad_seq, segment.reason, checked + segment.checked)
        checked += segment.checked
        if segment.last_hash is not None:
            prev = segment.last_hash
    last_seq = start + checked
    if covered > last_seq:
        return fail(last_seq + 1, f"la bitácora termina en el evento {last_seq} pero un punto "
                                  f"de control firmado certifica hasta el evento {covered} "
                                  "(eventos finales eliminados)", checked)
    if last_seq != head.seq or prev != head.hash:
        return fail(min(last_seq + 1, head.seq), "la cabeza de la cadena no coincide con el "
                    "último evento (eventos finales eliminados o cabeza alterada)", checked)
    # One statement, so one snapshot: events past the head that no commit accounts for.
    orphan = connection.execute(
        select(func.min(AuditEvent.seq)).where(
            AuditEvent.seq > select(AuditHead.seq).where(AuditHead.id == 1).scalar_subquery())
    ).scalar()
    if orphan is not None:
        return fail(orphan, "hay eventos después de la cabeza de la cadena (insertados fuera "
                            "de Alta)", checked)
    if check_age and signer is not None and signer.max_age is not None:
        stale = connection.execute(
            select(func.min(AuditEvent.seq)).where(
                AuditEvent.seq > covered,
                AuditEvent.occurred_at < timeutil.now() - signer.max_age)
        ).scalar()
        if stale is not None:
            hours = signer.max_age.total_seconds() / 3600
            return fail(stale, f"hay eventos de más de {hours:.0f} horas sin punto de control "
                               "(no corre el punto de control periódico, o se borraron puntos "
                               "de control)", checked)
    return VerifyResult(True, checked, checkpoints=len(marks))


def _walk_parallel(url: str, start: int, end: int, marks: dict[int, str],
                   workers: int) -> list[_Segment]:
    """Walk (start, end] as ``workers`` ranges in as many processes; segments in order."""
    import multiprocessing

    step = -(-(end - start) // workers)
    bounds = [(after, min(after + step, end)) for after in range(start, end, step)]
    jobs = [(url, after, upto, {k: v for k, v in marks.items() if after < k <= upto})
            for after, upto in bounds]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        return pool.starmap(_walk_range, jobs)


# The tombstones retention leaves beside each purge (retention/models.py: Disposal). Named
# here as a bare table so the audit package imports no other domain.
_DISPOSALS = table("record_disposals", column("record_class"), column("record_key"))
PURGE_RECORD_CLASS = "audit_events"


def _check_purges(connection: Connection, mark: int, purges: list[tuple[int, int]],
                  checkpoints: int) -> VerifyResult | None:
    """The purge mark is the newest signed purge, and every purge left its tombstone.

    ``purges`` are the (number, seq) of the signed purge checkpoints, oldest first. Only a
    purge moves the mark, so a mark anywhere else (a periodic checkpoint, say) means events
    were deleted by someone without the key.
    """
    signed = purges[-1][1] if purges else 0
    if mark != signed:
        where = f"el evento {signed}" if signed else "ninguna depuración"
        return VerifyResult(False, 0, mark + 1 if mark > signed else signed + 1,
                            f"los eventos hasta el {mark} se depuraron pero la última "
                            f"depuración firmada llega a {where} (marca de depuración "
                            "movida sin la llave)", checkpoints=checkpoints)
    keys = set(connection.execute(select(_DISPOSALS.c.record_key).where(
        _DISPOSALS.c.record_class == PURGE_RECORD_CLASS)).scalars())
    first = 1
    for number, seq in purges:
        if f"{first}-{seq}" not in keys:
            return VerifyResult(False, 0, None,
                                f"la depuración de los eventos {first} a {seq} no dejó su "
                                "lápida en record_disposals (depuración fuera de la "
                                "conservación de registros, o lápida borrada)",
                                first_bad_checkpoint=number, checkpoints=checkpoints)
        first = seq + 1
    return None


def _check_checkpoints(
        connection: Connection, signer: CheckpointSigner | None, previous_keys: bool = False,
) -> tuple[dict[int, str], list[tuple[int, int]], VerifyResult | None]:
    """Check every checkpoint; return {seq: hash} of the signed marks and the (number, seq)
    of the purge checkpoints, or the first failure."""
    marks: dict[int, str] = {}
    purges: list[tuple[int, int]] = []
    table = AuditCheckpoint.__table__
    rows = connection.execute(select(table).order_by(table.c.number)).all()
    if rows and signer is None:
        raise RuntimeError("verifying checkpoints needs the application (its key)")
    prev_mac = GENESIS_HASH
    for expected, row in enumerate(rows, start=1):
        def fail(reason: str, row: Any = row) -> tuple[dict[int, str], list[tuple[int, int]],
                                                       VerifyResult]:
            return marks, purges, VerifyResult(False, 0, None, reason,
                                               first_bad_checkpoint=row.number,
                                               checkpoints=len(marks))

        if row.number != expected:
            return marks, purges, VerifyResult(False, 0, None,
                                               f"falta el punto de control {expected}",
                                               first_bad_checkpoint=expected,
                                               checkpoints=len(marks))
        if not signer.accepts(row.key_id, previous=previous_keys):  # type: ignore[union-attr]
            return fail("el punto de control está firmado con otra llave (revise "
                        "[audit].checkpoint_key) o fue falsificado")
        fields = {"number": row.number, "seq": row.seq, "hash": row.hash,
                  "created_at": row.created_at, "reason": row.reason, "key_id": row.key_id,
                  "prev_mac": row.prev_mac}
        if not hmac.compare_digest(signer.mac(**fields), row.mac):  # type: ignore[union-attr]
            return fail("la firma del punto de control no es válida (punto de control "
                        "alterado o falsificado)")
        if row.prev_mac != prev_mac:
            return fail("el punto de control no enlaza con el anterior (punto de control "
                        "eliminado o reordenado)")
        if marks.get(row.seq, row.hash) != row.hash:
            return fail("dos puntos de control certifican hashes distintos para el mismo "
                        "evento")
        if row.seq:
            marks[row.seq] = row.hash
        if row.reason == "purge":
            purges.append((row.number, row.seq))
        prev_mac = row.mac
    return marks, purges, None
