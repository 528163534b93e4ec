"""Failed work is visible: IT's page of unfinished jobs (failed, retrying, stuck, waiting)
names what each was about and why, in Spanish; *Reintentar* and *Descartar* act on it and
are audited; the tablero's count and the request's page link to it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from provisioning import db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.jobs import services as jobs
from provisioning.jobs.models import CANCELLED, QUEUED, RUNNING, Job
from provisioning.jobs.services import GiveUp
from tests.support.handoff_flow import Scene, values

REASON = "El grupo «SIEMPRE-Acceso» de la configuración no existe en el directorio."


@jobs.handler("test.trouble", max_attempts=3)
def _fails(job: Job, payload: dict) -> None:
    raise GiveUp(REASON)


def _actions() -> list[str]:
    return values(lambda: list(db.session().scalars(
        select(AuditEvent.action).where(AuditEvent.object_type.in_(("job", "jobs")))
        .order_by(AuditEvent.seq))))


def test_every_job_kind_of_the_app_says_what_it_does(app) -> None:
    kinds = [k for k in jobs.registered_kinds() if not k.startswith(("test.", "matrix."))]
    assert "directory.provision" in kinds and "lifecycle.baja" in kinds
    unlabelled = [k for k in kinds if jobs.kind_label(k) == k]
    assert unlabelled == []


def test_it_sees_retries_and_discards_failed_work(app, clock) -> None:
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
    job_id = jobs.enqueue("test.trouble", {}, object_type="request",
                          object_id=str(applicant.request_id)).id
    db.commit()
    jobs.run_pending()
    assert values(lambda: db.session().get(Job, job_id).status) == "failed"
    # One whose worker died: still "running", its lease over.
    stuck_id = jobs.enqueue("test.trouble", {}, object_type="baja",
                            object_id="BAJA-2026-00009").id
    db.session().execute(update(Job).where(Job.id == stuck_id).values(
        status=RUNNING, locked_by="muerto", locked_until=timeutil.now() - timedelta(minutes=1)))
    db.commit()

    it = scene.people["it.dept"][0]
    page = it.get("/informatica/tareas")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert applicant.folio in text and "ELENA BRAVO RÍOS" in text
    assert "Error: El grupo «SIEMPRE-Acceso»" in text
    assert "BAJA-2026-00009" in text and "dejó de responder" in text
    assert "job.list_viewed" in _actions()
    board = it.get("/tablero").get_data(as_text=True)
    assert 'href="/informatica/tareas"' in board
    detail = it.get(f"/solicitudes/{applicant.request_id}").get_data(as_text=True)
    assert "Tareas en segundo plano" in detail and REASON in detail

    # The stuck one has no buttons (its lease will hand it to another worker).
    assert it.post(f"/informatica/tareas/{stuck_id}/reintentar", {},
                   page="/informatica/tareas").status_code == 409
    retried = it.post(f"/informatica/tareas/{job_id}/reintentar", {},
                      page="/informatica/tareas")
    assert retried.status_code == 302
    row = values(lambda: db.session().get(Job, job_id))
    assert (row.status, row.attempts) == (QUEUED, 0)
    jobs.run_pending()
    discarded = it.post(f"/informatica/tareas/{job_id}/descartar", {},
                        page="/informatica/tareas")
    assert discarded.status_code == 302
    assert values(lambda: db.session().get(Job, job_id).status) == CANCELLED
    assert [a for a in _actions() if a in ("job.retried", "job.cancelled")] == [
        "job.retried", "job.cancelled"]
    assert applicant.folio not in it.get("/informatica/tareas").get_data(as_text=True)
    assert it.post(f"/informatica/tareas/{job_id}/borrar", {},
                   page="/informatica/tareas").status_code == 404
    # Staff outside IT do not get the page.
    assert scene.people["jefe.centro"][0].get("/informatica/tareas").status_code == 403
