"""Retention of records: what is due, legal holds, and the disposal run.

A *record class* says how long its records are kept ([retention] in the configuration),
which records are due by a date, and how one is disposed of (deleted or anonymized). The
classes are listed in ``records.classes.CLASSES`` (the app factory hands them to
``register_classes``); the run walks them in order, skips
records under legal hold, disposes of the rest, leaves a tombstone (``Disposal``) and
audits each disposal.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from provisioning import audit, timeutil
from provisioning.config import RetentionSettings
from provisioning.config import current as settings
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict, NotFound, ValidationError
from provisioning.retention.models import Disposal, LegalHold


@dataclass(frozen=True)
class Candidate:
    """A record whose retention ends by some date."""

    record_class: str
    key: str
    started_at: datetime
    due_at: datetime
    description: str
    details: dict[str, str] | None = None


@dataclass(frozen=True)
class RecordClass:
    """A kind of record and its retention rule."""

    name: str
    label: str
    years: Callable[[RetentionSettings], int]
    # due(until, years): records whose retention ends at or before ``until``, not yet disposed.
    due: Callable[[datetime, int], list[Candidate]]
    # dispose(candidates): delete or anonymize these records (a batch of this class, in
    # bulk statements); returns what was done to each: "eliminado" / "anonimizado".
    dispose: Callable[[list[Candidate]], str]
    # exists(key): whether a record can be put under legal hold; None: this class cannot.
    exists: Callable[[str], bool] | None = None
    # Audit events about a record of this class (object_type); their purge waits for holds.
    audit_object_type: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the run did (or would do) with one record."""

    candidate: Candidate
    result: str  # "anonimizado", "eliminado", "retenido" (legal hold), "pendiente" (dry run)


_CLASSES: tuple[RecordClass, ...] = ()


def register_classes(classes: tuple[RecordClass, ...]) -> None:
    """Set the record classes the run disposes of, in order (called by the app factory: they
    reach into every domain, so the engine does not import them)."""
    global _CLASSES
    _CLASSES = classes


def record_classes() -> tuple[RecordClass, ...]:
    """Every record class, in the order the run disposes of them."""
    return _CLASSES


def record_class(name: str) -> RecordClass:
    """The record class called ``name``, or NotFound."""
    for cls in record_classes():
        if cls.name == name:
            return cls
    raise NotFound("No existe esa clase de registro.")


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` plus whole years; 29 February moves to 1 March (never shorter)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, month=3, day=1)


def subtract_years(moment: datetime, years: int) -> datetime:
    """``moment`` minus whole years; 29 February moves to 28 February (never longer)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def years_for(cls: RecordClass) -> int:
    """The configured retention period of ``cls``, in years."""
    return cls.years(settings().retention)


def due_at(cls: RecordClass, started_at: datetime) -> datetime:
    """When a record of ``cls`` whose retention started at ``started_at`` may be disposed of."""
    return add_years(started_at, years_for(cls))


# ---------------------------------------------------------------------------------------------
# Legal holds


def active_holds() -> list[LegalHold]:
    """Holds in force, newest first."""
    return list(session().scalars(select(LegalHold).where(LegalHold.lifted_at.is_(None))
                                  .order_by(LegalHold.set_at.desc(), LegalHold.id.desc())))


def hold_for(record_class: str, key: str) -> LegalHold | None:
    """The hold in force on one record, if any."""
    return session().scalar(select(LegalHold).where(
        LegalHold.record_class == record_class, LegalHold.record_key == key,
        LegalHold.lifted_at.is_(None)))


def held_audit_objects() -> list[tuple[str, str]]:
    """(object_type, object_id) of the audit events about records under hold."""
    types = {cls.name: cls.audit_object_type for cls in record_classes()}
    return [(types[h.record_class], h.record_key) for h in active_holds()
            if types.get(h.record_class)]


def set_hold(record_class: str, key: str, reason: str, *, actor: audit.Actor) -> LegalHold:
    """Put one record under legal hold: no disposal until it is lifted.

    Audits ``retention.hold_set`` on the record.
    """
    cls = record_class_for_hold(record_class)
    key = key.strip().upper()
    if not key or not cls.exists(key):  # type: ignore[misc]
        raise ValidationError("No existe un registro vigente con esa clave.",
                              {"record_key": "Revise el folio."})
    if hold_for(cls.name, key) is not None:
        raise Conflict(f"El registro {key} ya está en conservación por motivo legal.")
    hold = LegalHold(record_class=cls.name, record_key=key, reason=reason, set_by=actor.name,
                     set_at=timeutil.now())
    session().add(hold)
    session().flush()
    audit.record("retention.hold_set", actor=actor,
                 object_type=cls.audit_object_type or cls.name, object_id=key,
                 summary=f"Conservación por motivo legal de {cls.label.lower()} {key}",
                 details={"reason": reason, "hold_id": hold.id})
    return hold


def record_class_for_hold(name: str) -> RecordClass:
    """A record class whose records can be held, or ValidationError."""
    try:
        cls = record_class(name)
    except NotFound:
        cls = None
    if cls is None or cls.exists is None:
        raise ValidationError("Esa clase de registro no admite conservación por motivo legal.",
                              {"record_class": "Elija una clase de la lista."})
    return cls


def lift_hold(hold_id: int, reason: str, *, actor: audit.Actor) -> LegalHold:
    """Lift a hold; the record follows its normal retention again.

    Audits ``retention.hold_lifted`` on the record.
    """
    hold = db_get(LegalHold, hold_id)
    if hold is None:
        raise NotFound("No existe esa conservación por motivo legal.")
    if hold.lifted_at is not None:
        raise Conflict("Esa conservación ya se había levantado.")
    hold.lifted_at, hold.lifted_by, hold.lift_reason = timeutil.now(), actor.name, reason
    cls = record_class(hold.record_class)
    session().flush()
    audit.record("retention.hold_lifted", actor=actor,
                 object_type=cls.audit_object_type or cls.name, object_id=hold.record_key,
                 summary=f"Se levantó la conservación por motivo legal de "
                         f"{cls.label.lower()} {hold.record_key}",
                 details={"reason": reason, "hold_id": hold.id})
    return hold


# ---------------------------------------------------------------------------------------------
# Due records and the run


def due(until: datetime) -> list[tuple[RecordClass, Candidate, LegalHold | None]]:
    """Records of every class whose retention ends by ``until``, with their hold if any."""
    holds = {(h.record_class, h.record_key): h for h in active_holds()}
    found = []
    for cls in record_classes():
        for candidate in cls.due(until, years_for(cls)):
            found.append((cls, candidate, holds.get((cls.name, candidate.key))))
    return found


def run(*, dry_run: bool, actor: audit.Actor,
        batch: int = 1000) -> Iterator[list[Outcome]]:
    """Dispose of every record whose retention has ended, except those under legal hold.

    Yields the outcomes batch by batch (at most ``batch`` records of one class each); the
    caller commits after each, so a run over hundreds of thousands of records keeps memory
    bounded and what is done stays done if the run stops. ``dry_run`` only reports what
    would go and changes nothing (no event either). Each disposal leaves a tombstone and is
    audited as ``retention.disposed``.
    """
    now = timeutil.now()
    pending: list[tuple[RecordClass, Candidate]] = []
    held: list[Outcome] = []
    for cls, candidate, hold in due(now):
        if hold is not None:
            held.append(Outcome(candidate, "retenido"))
        else:
            pending.append((cls, candidate))
    if held:
        yield held
    for cls, group in itertools.groupby(pending, key=lambda item: item[0]):
        candidates = [candidate for _, candidate in group]
        for start in range(0, len(candidates), batch):
            chunk = candidates[start:start + batch]
            if dry_run:
                yield [Outcome(c, "pendiente") for c in chunk]
                continue
            disposition = cls.dispose(chunk)
            for candidate in chunk:
                session().add(Disposal(
                    record_class=cls.name, record_key=candidate.key, disposition=disposition,
                    retention_started_at=candidate.started_at, due_at=candidate.due_at,
                    disposed_at=now, actor=actor.name,
                    details=json.dumps(candidate.details or {}, ensure_ascii=False,
                                       sort_keys=True)))
                audit.record(
                    "retention.disposed", actor=actor,
                    object_type=cls.audit_object_type or cls.name, object_id=candidate.key,
                    summary=f"{candidate.description}: {disposition} al terminar su plazo de "
                            f"conservación ({years_for(cls)} años, vencido el "
                            f"{timeutil.format_date(candidate.due_at)})",
                    details={"record_class": cls.name, "disposition": disposition,
                             "due_at": candidate.due_at.isoformat()})
            session().flush()
            yield [Outcome(c, disposition) for c in chunk]


def recent_disposals(limit: int = 50) -> list[Disposal]:
    """The latest tombstones, newest first."""
    return list(session().scalars(select(Disposal).order_by(Disposal.disposed_at.desc(),
                                                            Disposal.id.desc()).limit(limit)))


def disposal_of(record_class: str, key: str) -> Disposal | None:
    """The tombstone of one record, if it was disposed of."""
    return session().scalar(select(Disposal).where(Disposal.record_class == record_class,
                                                   Disposal.record_key == key))
