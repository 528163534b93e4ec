"""Readiness checks and the figures /metrics exposes; every query is aggregated and indexed.

Readiness shows a probe only each check's status ("ok", "error", "disabled"): why a check
failed (a host name, a refused bind) is logged for the operator, never answered to whoever
asks. The network checks (DC bind, SMTP) are cached a few seconds per process, so a storm of
probes costs the DC one bind every ``ready_cache_seconds``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from provisioning import db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.config import Settings
from provisioning.directory import connection as directory_connection
from provisioning.directory.errors import DirectoryError
from provisioning.jobs.models import DONE, FAILED, QUEUED, RUNNING, WAITING, Job, WorkerHeartbeat

log = logging.getLogger(__name__)

OK, ERROR, DISABLED = "ok", "error", "disabled"
# Job states that are work still owed (done and cancelled jobs are history).
PENDING_STATES = (QUEUED, RUNNING, WAITING, FAILED)
# Latency: the last jobs finished, at most this many, and none older than LATENCY_WINDOW.
LATENCY_SAMPLE = 1000
LATENCY_WINDOW = timedelta(hours=1)
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


@dataclass
class _Cached:
    until: float
    status: str


_cache_lock = threading.Lock()


def readiness(settings: Settings, cache: dict[str, _Cached]) -> dict[str, str]:
    """{check: status} for the database, DC, SMTP, worker heartbeat and job backlog.

    ``cache`` keeps the DC and SMTP results of one application (its ``extensions``).
    """
    checks: dict[str, str] = {}
    try:
        db.session().execute(text("SELECT 1"))
        checks["database"] = OK
        checks["worker"] = _heartbeat_status(settings)
        checks["backlog"] = _backlog_status(settings)
        db.rollback()
    except SQLAlchemyError as exc:
        log.warning("readiness: database unavailable (%s)", type(exc).__name__)
        db.discard_session()
        checks.update(database=ERROR, worker=ERROR, backlog=ERROR)
    checks["directory"] = _cached(settings, cache, "directory", _directory_status)
    checks["mail"] = _cached(settings, cache, "mail", _mail_status)
    return checks


def _cached(settings: Settings, cache: dict[str, _Cached], name: str,
            check: Callable[[Settings], str]) -> str:
    now = time.monotonic()
    with _cache_lock:
        hit = cache.get(name)
        if hit is not None and hit.until > now:
            return hit.status
    status = check(settings)
    with _cache_lock:
        cache[name] = _Cached(now + settings.observability.ready_cache_seconds, status)
    return status


def _heartbeat_status(settings: Settings) -> str:
    last = db.session().scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if last is None:
        log.warning("readiness: no worker has recorded a heartbeat")
        return ERROR
    age = (timeutil.now() - _aware(last)).total_seconds()
    if age > settings.observability.heartbeat_max_age_seconds:
        log.warning("readiness: the freshest worker heartbeat is %.0f s old", age)
        return ERROR
    return OK


def _backlog_status(settings: Settings) -> str:
    age = oldest_ready_job_age()
    if age is not None and age > settings.observability.backlog_max_age_seconds:
        log.warning("readiness: a ready job has waited %.0f s", age)
        return ERROR
    return OK


def oldest_ready_job_age() -> float | None:
    """Seconds the oldest queued job has been ready to run (ix_jobs_ready), or None."""
    now = timeutil.now()
    oldest = db.session().scalar(select(func.min(Job.run_after)).where(
        Job.status == QUEUED, Job.run_after <= now))
    return None if oldest is None else (now - _aware(oldest)).total_seconds()


def _directory_status(settings: Settings) -> str:
    if not settings.directory.active:
        return DISABLED
    try:
        directory_connection.probe(settings.directory,
                                   settings.observability.check_timeout_seconds)
    except DirectoryError as exc:
        log.warning("readiness: directory check failed: %s", exc)
        return ERROR
    return OK


def _mail_status(settings: Settings) -> str:
    mail = settings.mail
    if not mail.enabled:
        return DISABLED
    timeout = settings.observability.check_timeout_seconds
    try:
        with socket.create_connection((mail.host, mail.port), timeout=timeout) as sock:
            if mail.security != "tls":  # implicit TLS greets only after the handshake
                sock.settimeout(timeout)
                greeting = sock.recv(512)
                sock.sendall(b"QUIT\r\n")
                if not greeting.startswith(b"220"):
                    log.warning("readiness: the SMTP server did not greet with 220")
                    return ERROR
    except OSError as exc:
        log.warning("readiness: SMTP server unreachable (%s)", type(exc).__name__)
        return ERROR
    return OK


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- metrics ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # gauge | histogram
    help: str
    samples: tuple[Sample, ...]


def metrics() -> list[Family]:
    """Every metric family, read in one short transaction (a handful of aggregate queries)."""
    now = timeutil.now()
    s = db.session()
    jobs = s.execute(select(Job.kind, Job.status, func.count()).where(
        Job.status.in_(PENDING_STATES)).group_by(Job.kind, Job.status)).all()
    errors = s.execute(select(Job.kind, func.count()).where(
        Job.status.in_(PENDING_STATES), Job.last_error.is_not(None)).group_by(Job.kind)).all()
    recent = s.execute(select(Job.kind, Job.created_at, Job.finished_at).where(
        Job.status == DONE).order_by(Job.id.desc()).limit(LATENCY_SAMPLE)).all()
    requests = s.execute(select(AccountRequest.status, func.count(),
                                func.min(AccountRequest.updated_at)).where(
        AccountRequest.closed_at.is_(None)).group_by(AccountRequest.status)).all()
    beats = s.execute(select(WorkerHeartbeat.worker_id, WorkerHeartbeat.beat_at)).all()
    backlog = oldest_ready_job_age()
    db.rollback()

    families = [
        Family("alta_jobs", "gauge", "Jobs owed, by kind and state.", tuple(
            Sample("alta_jobs", (("kind", k), ("state", st)), n) for k, st, n in jobs)),
        Family("alta_job_errors", "gauge",
               "Jobs owed whose last attempt failed (provisioning errors), by kind.", tuple(
                   Sample("alta_job_errors", (("kind", k),), n) for k, n in errors)),
        Family("alta_job_oldest_ready_seconds", "gauge",
               "Seconds the oldest queued job has been ready to run.",
               (Sample("alta_job_oldest_ready_seconds", (), backlog or 0.0),)),
        _latency(recent, now),
        Family("alta_requests_open", "gauge", "Open account requests, by state.", tuple(
            Sample("alta_requests_open", (("state", st),), n) for st, n, _ in requests)),
        Family("alta_request_oldest_seconds", "gauge",
               "Seconds since the least recently changed open request moved, by state.",
               tuple(Sample("alta_request_oldest_seconds", (("state", st),),
                            (now - _aware(oldest)).total_seconds())
                     for st, _, oldest in requests)),
        Family("alta_worker_heartbeat_age_seconds", "gauge",
               "Seconds since each worker's last heartbeat.", tuple(
                   Sample("alta_worker_heartbeat_age_seconds", (("worker", w),),
                          (now - _aware(at)).total_seconds()) for w, at in beats)),
    ]
    return families


def _latency(recent: list, now: datetime) -> Family:
    """Histogram of queued→finished seconds of the recent done jobs, by kind."""
    by_kind: dict[str, list[float]] = {}
    for kind, created, finished in recent:
        if finished is None or now - _aware(finished) > LATENCY_WINDOW:
            continue
        by_kind.setdefault(kind, []).append((_aware(finished) - _aware(created)).total_seconds())
    name = "alta_job_latency_seconds"
    samples: list[Sample] = []
    for kind, values in sorted(by_kind.items()):
        for bound in LATENCY_BUCKETS:
            samples.append(Sample(f"{name}_bucket", (("kind", kind), ("le", _number(bound))),
                                  sum(v <= bound for v in values)))
        samples.append(Sample(f"{name}_bucket", (("kind", kind), ("le", "+Inf")), len(values)))
        samples.append(Sample(f"{name}_sum", (("kind", kind),), sum(values)))
        samples.append(Sample(f"{name}_count", (("kind", kind),), len(values)))
    return Family(name, "histogram",
                  "Seconds from queued to finished of the jobs done in the last hour.",
                  tuple(samples))


def exposition(families: list[Family]) -> str:
    """The Prometheus text format (version 0.0.4)."""
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for sample in family.samples:
            labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels)
            lines.append(f"{sample.name}{{{labels}}} {_number(sample.value)}" if labels
                         else f"{sample.name} {_number(sample.value)}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
