"""Work that did not finish, for IT: failed jobs, jobs retrying, jobs waiting for a decision
and jobs whose worker died (lease expired), with what they were about, what they do and
the reason in Spanish (``jobs.kind_label``, ``jobs.status_text``) and, where it makes
sense, *Reintentar* and *Descartar* (both audited by the job layer). The tablero's «Tareas
en error» count links here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from provisioning import audit, timeutil, wording
from provisioning.account_requests.models import AccountRequest
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict
from provisioning.jobs import services as jobs
from provisioning.jobs.models import FAILED, QUEUED, RUNNING, WAITING, Job

OBJECT_LABELS = {"request": "Solicitud", "baja": "Baja", "cambio": "Cambio",
                 "prorroga": "Prórroga"}
LIMIT = 200


@dataclass(frozen=True)
class Trouble:
    """One unfinished job as the page shows it."""

    job: Job
    label: str
    state: str  # jobs.status_text, or the worker's death
    about: str  # «Solicitud MSSSA…: NOMBRE», «Baja BAJA-…», or ""
    request_id: int | None  # for the link to the request's page
    can_retry: bool
    can_discard: bool


def _stuck(now: object) -> object:
    return or_(Job.status.in_((FAILED, WAITING)),
               and_(Job.status == QUEUED, Job.attempts > 0),
               and_(Job.status == RUNNING, Job.locked_until < now))


def _about(job: Job) -> tuple[str, int | None]:
    if job.object_type == "request" and (job.object_id or "").isdigit():
        request = db_get(AccountRequest, int(job.object_id or 0))
        if request is not None:
            return f"Solicitud {request.folio}: {request.full_name}", request.id
    if job.object_type in OBJECT_LABELS:
        return f"{OBJECT_LABELS[job.object_type]} {job.object_id}", None
    return "", None


def _trouble(job: Job, now: object) -> Trouble:
    about, request_id = _about(job)
    dead = job.status == RUNNING and job.locked_until is not None and job.locked_until < now
    state = ("Su trabajador dejó de responder; otro la retomará al vencer el plazo"
             if dead else jobs.status_text(job))
    # A job waiting for IT's decision (a link to review) is decided on its own page.
    return Trouble(job, jobs.kind_label(job.kind), state, about, request_id,
                   can_retry=job.status in (FAILED, QUEUED) and not dead,
                   can_discard=job.status in (FAILED, QUEUED) and not dead)


def troubles(*, actor: audit.Actor) -> list[Trouble]:
    """The unfinished jobs, newest first (at most LIMIT); audits the read of the people
    they name (``job.list_viewed``)."""
    now = timeutil.now()
    rows = [_trouble(job, now) for job in session().scalars(
        select(Job).where(_stuck(now)).order_by(Job.updated_at.desc(), Job.id.desc())
        .limit(LIMIT))]
    audit.record("job.list_viewed", actor=actor, object_type="jobs", object_id="problemas",
                 summary=f"Consulta de {wording.count(len(rows), 'tarea')} sin terminar",
                 details={"jobs": [t.job.id for t in rows],
                          "requests": sorted({t.request_id for t in rows
                                              if t.request_id is not None})})
    return rows


def count() -> int:
    """How many jobs are unfinished in the way this page lists (the tablero's link)."""
    return session().scalar(select(func.count()).select_from(Job).where(
        _stuck(timeutil.now()))) or 0


def act(job_id: int, action: str, *, actor: audit.Actor) -> Job:
    """Retry or discard one job (Conflict when it is not in a state for it)."""
    job = jobs.get(job_id)
    trouble = _trouble(job, timeutil.now())
    if action == "reintentar" and trouble.can_retry:
        jobs.retry(job, actor=actor)
    elif action == "descartar" and trouble.can_discard:
        jobs.cancel(job, actor=actor)
    else:
        raise Conflict("Esta tarea no admite esa acción en su estado actual.")
    return job
