"""Enqueue, claim, run, retry and cancel jobs; periodic tasks.

A job is enqueued in the same transaction as the change that needs it (commit the intent),
run by ``alta worker`` outside any web request (do the side effect), and its handler records
the outcome in a new transaction (commit the outcome). Handlers must be idempotent: a worker
killed between the side effect and the commit runs the job again after its lease expires.

Handlers that do slow I/O (LDAP, SMTP) must end their reading transaction first
(``db.commit()``): on SQLite every transaction holds the database's write lock.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from provisioning import audit, db, timeutil
from provisioning.errors import Conflict, NotFound
from provisioning.jobs.models import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    WAITING,
    Job,
    WorkerHeartbeat,
)

log = logging.getLogger(__name__)

STATUS_LABELS = {
    QUEUED: "En cola",
    RUNNING: "En proceso",
    DONE: "Terminada",
    FAILED: "Error",
    CANCELLED: "Cancelada",
    WAITING: "Espera una decisión",
}


class RetryLater(Exception):  # noqa: N818 - reads as an instruction at the raise site
    """The handler could not finish now (e.g. the DC is down); try again with backoff.

    ``message`` is Spanish and is shown to IT next to the request.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GiveUp(Exception):  # noqa: N818
    """The job can never succeed as it is (e.g. invalid data); stop retrying."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NeedsDecision(Exception):  # noqa: N818
    """The job must not go on until a person decides (e.g. IT confirms linking an existing
    account); it waits, neither retried nor failed, until ``retry`` or ``cancel``.

    Unlike the other outcomes, what the handler wrote (the record of what must be decided)
    is committed together with the job's ``waiting`` state. ``message`` is Spanish, for IT.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Spec:
    """How a kind of job runs and retries."""

    fn: Callable[[Job, dict[str, Any]], None]  # see Handler
    max_attempts: int
    base_delay: timedelta
    max_delay: timedelta
    label: str  # what it does, in Spanish (the IT page of unfinished work)


Handler = Callable[[Job, dict[str, Any]], None]
_HANDLERS: dict[str, Spec] = {}
_PERIODIC: dict[str, timedelta] = {}


def register(kind: str, fn: Handler, *, label: str = "", max_attempts: int = 10,
             base_delay: timedelta = timedelta(seconds=5),
             max_delay: timedelta = timedelta(hours=1)) -> None:
    """Make ``fn(job, payload)`` the handler of ``kind`` (called by the app factory);
    ``label`` says in Spanish what it does."""
    _HANDLERS[kind] = Spec(fn, max_attempts, base_delay, max_delay, label or kind)


def register_periodic(name: str, fn: Handler, *, every: timedelta, label: str = "") -> None:
    """Run ``fn(job, payload)`` once per ``every`` (across all workers)."""
    _PERIODIC[name] = every
    register(f"periodic:{name}", fn, label=f"Tarea periódica: {label or name}",
             max_attempts=3)


def kind_label(kind: str) -> str:
    """What a kind of job does, in Spanish (its code when it has no label)."""
    spec = _HANDLERS.get(kind)
    return spec.label if spec else kind


def handler(kind: str, **retry: Any) -> Callable[[Handler], Handler]:
    """Decorator form of ``register`` (tests define throwaway handlers with it)."""

    def wrap(fn: Handler) -> Handler:
        register(kind, fn, **retry)
        return fn

    return wrap


def registered_kinds() -> list[str]:
    """Every kind a worker of this process can run."""
    return sorted(_HANDLERS)


# ---------------------------------------------------------------------------------------------
# Enqueueing (inside the caller's transaction)


def enqueue(kind: str, payload: dict[str, Any] | None = None, *, key: str | None = None,
            object_type: str | None = None, object_id: str | None = None,
            delay: timedelta | None = None, max_attempts: int | None = None) -> Job:
    """Queue a job in the current transaction; with ``key``, at most one live job per key.

    Enqueuing an existing key returns that job; a failed or cancelled one is queued again.
    """
    session = db.session()
    now = timeutil.now()
    if key is not None:
        existing = session.scalar(select(Job).where(Job.key == key))
        if existing is not None:
            if existing.status in (FAILED, CANCELLED):
                existing.status, existing.attempts = QUEUED, 0
                existing.run_after, existing.updated_at = now, now
                existing.last_error = None
                session.flush()
            return existing
    spec = _HANDLERS.get(kind)
    job = Job(kind=kind, key=key, payload=json.dumps(payload or {}, sort_keys=True),
              status=QUEUED, attempts=0,
              max_attempts=max_attempts or (spec.max_attempts if spec else 10),
              run_after=now + (delay or timedelta(0)), object_type=object_type,
              object_id=object_id, created_at=now, updated_at=now)
    session.add(job)
    session.flush()
    return job


def enqueue_due_periodic() -> int:
    """Queue each periodic task whose current time slot has no job yet; returns how many."""
    now = timeutil.now()
    queued = 0
    for name, every in _PERIODIC.items():
        slot = int(now.timestamp() // every.total_seconds())
        key = f"periodic:{name}:{slot}"
        session = db.session()
        if session.scalar(select(Job.id).where(Job.key == key)) is not None:
            continue
        try:
            with session.begin_nested():
                enqueue(f"periodic:{name}", {"slot": slot}, key=key)
            queued += 1
        except IntegrityError:
            pass  # another worker queued it first
    return queued


# ---------------------------------------------------------------------------------------------
# Claiming and running (the worker; these commit)


def claim(worker_id: str, *, lease: timedelta = timedelta(minutes=5),
          kinds: list[str] | None = None, release_expired: bool = True) -> Job | None:
    """Take the next ready job (SKIP LOCKED on PostgreSQL) and commit the claim; first put
    back the jobs of workers that died (``release_expired``: ``alta worker`` looks once a
    second, not before every job)."""
    session = db.session()
    now = timeutil.now()
    if release_expired:
        _release_expired_leases(now)
    query = (select(Job).where(Job.status == QUEUED, Job.run_after <= now)
             .order_by(Job.run_after, Job.id).limit(1))
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    if db.database().dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job = session.scalar(query)
    if job is None:
        db.commit()
        return None
    job.status, job.locked_by = RUNNING, worker_id
    job.locked_until = now + lease
    job.attempts += 1
    job.updated_at = now
    db.commit()
    return job


def _release_expired_leases(now: Any) -> None:
    """Jobs whose worker died mid-run go back to the queue (or fail if out of attempts)."""
    query = select(Job).where(Job.status == RUNNING, Job.locked_until < now)
    if db.database().dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for job in db.session().scalars(query).all():
        message = "El proceso de trabajo se detuvo durante la tarea; se reintentará."
        _schedule_retry(job, message, now)
        if job.status == QUEUED:
            job.run_after = now  # nothing to wait for: the worker is gone, not the DC


def _backoff(job: Job, spec: Spec | None) -> timedelta:
    base = spec.base_delay if spec else timedelta(seconds=5)
    cap = spec.max_delay if spec else timedelta(hours=1)
    delay = base * (2 ** max(job.attempts - 1, 0))
    # Jitter keeps many failed jobs from retrying in lockstep against a recovering DC.
    return min(cap, delay) * random.uniform(0.8, 1.2)  # noqa: S311 - not security


def _schedule_retry(job: Job, message: str, now: Any, *, give_up: bool = False) -> None:
    """Queue the job again after its backoff, or mark it failed once its attempts are spent
    or the handler gave up (``give_up``: waiting cannot help; its real count of attempts
    stays, so IT reads «1 de 25», not a burnt 25)."""
    spec = _HANDLERS.get(job.kind)
    job.locked_by, job.locked_until = None, None
    job.last_error = message[:1000]
    job.updated_at = now
    if give_up or job.attempts >= job.max_attempts:
        job.status, job.finished_at = FAILED, now
        audit.record("job.failed", actor=audit.Actor.system(), object_type="job",
                     object_id=job.id,
                     summary=f"Tarea {job.kind} sin éxito tras {job.attempts} "
                             f"intento{'s' if job.attempts != 1 else ''}: {message}"[:500],
                     details={"kind": job.kind, "object_type": job.object_type,
                              "object_id": job.object_id})
    else:
        job.status = QUEUED
        job.run_after = now + _backoff(job, spec)


def execute(job: Job, worker_id: str) -> str:
    """Run one claimed job with its handler; record done / retry / failed / waiting. Returns
    the status."""
    spec = _HANDLERS.get(job.kind)
    job_id = job.id
    try:
        if spec is None:
            raise GiveUp(f"Tipo de tarea desconocido: {job.kind}")
        spec.fn(job, json.loads(job.payload))
    except RetryLater as exc:
        db.rollback()
        return _finish(job_id, worker_id, retry=exc.message)
    except GiveUp as exc:
        db.rollback()
        return _finish(job_id, worker_id, fail=exc.message)
    except NeedsDecision as exc:
        return _finish(job_id, worker_id, wait=exc.message)  # keeps the handler's record
    except Exception as exc:  # noqa: BLE001 - logged with traceback; the job is retried
        log.exception("job %s (%s) raised", job_id, job.kind)
        db.rollback()
        return _finish(job_id, worker_id, retry=f"Error inesperado ({type(exc).__name__}); "
                                                "se reintentará.")
    return _finish(job_id, worker_id)


def _finish(job_id: int, worker_id: str, *, retry: str | None = None,
            fail: str | None = None, wait: str | None = None) -> str:
    session = db.session()
    now = timeutil.now()
    job = session.get(Job, job_id, populate_existing=True)
    if job is None or job.status != RUNNING or job.locked_by != worker_id:
        # Our lease expired and someone else took the job: their outcome counts.
        db.commit()
        return job.status if job else "missing"
    if retry is not None:
        _schedule_retry(job, retry, now)
    elif fail is not None:
        _schedule_retry(job, fail, now, give_up=True)
    elif wait is not None:
        job.status, job.last_error = WAITING, wait[:1000]
        job.locked_by, job.locked_until, job.updated_at = None, None, now
    else:
        job.status, job.finished_at, job.last_error = DONE, now, None
        job.locked_by, job.locked_until, job.updated_at = None, None, now
    db.commit()
    return job.status


def release(job_id: int, worker_id: str) -> None:
    """Put back in the queue a job this worker claimed but could not finish (commits)."""
    job = db.session().get(Job, job_id, populate_existing=True)
    if job is not None and job.status == RUNNING and job.locked_by == worker_id:
        now = timeutil.now()
        job.status, job.locked_by, job.locked_until = QUEUED, None, None
        job.run_after, job.updated_at = now, now
    db.commit()


def run_pending(worker_id: str = "inline", *, limit: int | None = None) -> int:
    """Run ready jobs until none is left (or ``limit``); returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        job = claim(worker_id)
        if job is None:
            break
        execute(job, worker_id)
        ran += 1
    return ran


# ---------------------------------------------------------------------------------------------
# IT actions and display


def get(job_id: int) -> Job:
    """A job by id, or NotFound."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound("No existe esa tarea.")
    return job


def retry(job: Job, *, actor: audit.Actor) -> None:
    """Queue a failed, cancelled or waiting job again now. Audits ``job.retried``."""
    if job.status not in (FAILED, CANCELLED, QUEUED, WAITING):
        raise Conflict("Solo se puede reintentar una tarea en error, cancelada o en espera.")
    now = timeutil.now()
    job.status, job.attempts, job.run_after, job.updated_at = QUEUED, 0, now, now
    job.finished_at = None
    db.session().flush()
    audit.record("job.retried", actor=actor, object_type="job", object_id=job.id,
                 summary=f"Tarea {job.kind} puesta de nuevo en cola",
                 details={"kind": job.kind, "object_id": job.object_id})


def cancel(job: Job, *, actor: audit.Actor) -> None:
    """Cancel a job that has not finished. Audits ``job.cancelled``."""
    if job.status not in (QUEUED, FAILED, WAITING):
        raise Conflict("Solo se puede cancelar una tarea en cola, en error o en espera de una "
                       "decisión.")
    now = timeutil.now()
    job.status, job.finished_at, job.updated_at = CANCELLED, now, now
    db.session().flush()
    audit.record("job.cancelled", actor=actor, object_type="job", object_id=job.id,
                 summary=f"Tarea {job.kind} cancelada",
                 details={"kind": job.kind, "object_id": job.object_id})


def latest_for(object_type: str, object_id: str, kind: str | None = None) -> Job | None:
    """The newest job about an object."""
    query = select(Job).where(Job.object_type == object_type, Job.object_id == object_id)
    if kind:
        query = query.where(Job.kind == kind)
    return db.session().scalar(query.order_by(Job.id.desc()).limit(1))


def status_text(job: Job) -> str:
    """'En cola', 'Reintentando (n): motivo', 'Error: motivo'… in Spanish."""
    if job.status == QUEUED and job.attempts > 0:
        return f"Reintentando ({job.attempts}): {job.last_error or ''}".rstrip(": ")
    if job.status == FAILED:
        return f"Error: {job.last_error or 'sin detalle'}"
    if job.status == WAITING:
        return f"{STATUS_LABELS[WAITING]}: {job.last_error or 'sin detalle'}"
    return STATUS_LABELS.get(job.status, job.status)


def of_object(object_type: str, object_id: str) -> list[Job]:
    """Every job about an object, oldest first (its page)."""
    return list(db.session().scalars(select(Job).where(
        Job.object_type == object_type, Job.object_id == object_id).order_by(Job.id)))


def counts(object_type: str, object_ids: list[str]) -> dict[str, int]:
    """How many of the latest jobs of these objects are in each status (progress views)."""
    if not object_ids:
        return {}
    rows = db.session().execute(
        select(Job.object_id, Job.status).where(Job.object_type == object_type,
                                                Job.object_id.in_(object_ids))
        .order_by(Job.id)).all()
    latest = {object_id: status for object_id, status in rows}
    result: dict[str, int] = {}
    for status in latest.values():
        result[status] = result.get(status, 0) + 1
    return result


HEARTBEAT_FORGOTTEN_AFTER = timedelta(days=1)


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` is alive: one UPDATE (an INSERT the first time). Flushes."""
    now = timeutil.now()
    done = db.session().execute(update(WorkerHeartbeat)
                                .where(WorkerHeartbeat.worker_id == worker_id)
                                .values(beat_at=now))
    if not done.rowcount:  # type: ignore[attr-defined]
        # A new worker: forget those killed without leaving (a day without a beat).
        db.session().execute(delete(WorkerHeartbeat).where(
            WorkerHeartbeat.beat_at < now - HEARTBEAT_FORGOTTEN_AFTER))
        db.session().add(WorkerHeartbeat(worker_id=worker_id, started_at=now, beat_at=now))
        db.session().flush()


def forget_worker(worker_id: str) -> None:
    """A worker leaving cleanly takes its heartbeat with it (it is not a stale one)."""
    db.session().execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
