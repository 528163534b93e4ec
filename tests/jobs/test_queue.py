"""The job queue: idempotent enqueue, retries with backoff, leases, periodic tasks, workers."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from provisioning import audit, db
from provisioning.audit.models import AuditEvent
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.jobs.worker import Worker

CALLS: list[tuple[str, dict]] = []


@jobs.handler("test.ok")
def _ok(job: Job, payload: dict) -> None:
    CALLS.append(("ok", payload))


@jobs.handler("test.flaky", max_attempts=3, base_delay=timedelta(seconds=10))
def _flaky(job: Job, payload: dict) -> None:
    CALLS.append(("flaky", payload))
    raise jobs.RetryLater("El controlador de dominio no responde.")


@jobs.handler("test.bad")
def _bad(job: Job, payload: dict) -> None:
    raise jobs.GiveUp("Datos inválidos.")


@jobs.handler("test.crash", max_attempts=2)
def _crash(job: Job, payload: dict) -> None:
    raise RuntimeError("boom with secret-free text")


@jobs.handler("test.ask")
def _ask(job: Job, payload: dict) -> None:
    CALLS.append(("ask", payload))
    audit.record("test.asked", actor=audit.Actor.system(), object_type="job",
                 object_id=job.id, summary="Se pidió una decisión")
    raise jobs.NeedsDecision("Informática debe confirmar la cuenta existente.")


def _tick(job: Job, payload: dict) -> None:
    CALLS.append(("tick", payload))


jobs.register_periodic("test.tick", _tick, every=timedelta(hours=1))


def setup_function() -> None:
    CALLS.clear()


def reload(job: Job) -> Job:
    db.session().expire_all()
    return db.session().get(Job, job.id)


def test_enqueue_with_key_is_idempotent(app, clock) -> None:
    first = jobs.enqueue("test.ok", {"n": 1}, key="k1", object_type="request", object_id="F1")
    again = jobs.enqueue("test.ok", {"n": 2}, key="k1")
    db.commit()
    assert first.id == again.id
    assert jobs.run_pending() == 1
    assert CALLS == [("ok", {"n": 1})]
    assert reload(first).status == "done"
    # Done stays done: enqueuing the key again does not run it twice.
    jobs.enqueue("test.ok", {"n": 3}, key="k1")
    db.commit()
    assert jobs.run_pending() == 0


def test_retry_with_exponential_backoff_then_failure(app, clock) -> None:
    job = jobs.enqueue("test.flaky", object_type="request", object_id="F2")
    db.commit()
    assert jobs.run_pending() == 1
    job = reload(job)
    assert job.status == "queued" and job.attempts == 1
    assert jobs.status_text(job) == "Reintentando (1): El controlador de dominio no responde."
    first_delay = job.run_after - clock.now
    assert timedelta(seconds=8) <= first_delay <= timedelta(seconds=12)
    assert jobs.run_pending() == 0  # not due yet
    clock.advance(seconds=13)
    jobs.run_pending()
    second_delay = reload(job).run_after - clock.now
    assert timedelta(seconds=16) <= second_delay <= timedelta(seconds=24)
    clock.advance(seconds=25)
    jobs.run_pending()
    job = reload(job)
    assert job.status == "failed" and job.attempts == 3
    assert jobs.status_text(job).startswith("Error: El controlador")
    assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "job.failed"))
    assert [c[0] for c in CALLS] == ["flaky"] * 3


def test_give_up_fails_at_once_and_crash_is_retried(app, clock) -> None:
    bad = jobs.enqueue("test.bad")
    crash = jobs.enqueue("test.crash")
    db.commit()
    jobs.run_pending()
    assert reload(bad).status == "failed" and reload(bad).last_error == "Datos inválidos."
    crashed = reload(crash)
    assert crashed.status == "queued" and "RuntimeError" in crashed.last_error


def test_dead_worker_lease_expires_and_job_runs_again(app, clock) -> None:
    job = jobs.enqueue("test.ok", {"n": 7})
    db.commit()
    claimed = jobs.claim("worker-that-dies", lease=timedelta(minutes=5))
    assert claimed.id == job.id
    assert jobs.claim("other") is None  # still leased
    clock.advance(minutes=6)
    assert jobs.run_pending("other") == 1
    assert reload(job).status == "done" and CALLS == [("ok", {"n": 7})]
    # The dead worker coming back cannot overwrite the outcome.
    assert jobs._finish(job.id, "worker-that-dies", retry="tarde") == "done"


def test_it_retry_and_cancel_are_audited(app, clock) -> None:
    actor = audit.Actor("it", "informatica", "10.0.0.5")
    job = jobs.enqueue("test.bad")
    db.commit()
    jobs.run_pending()
    jobs.retry(reload(job), actor=actor)
    db.commit()
    assert reload(job).status == "queued" and reload(job).attempts == 0
    jobs.cancel(reload(job), actor=actor)
    db.commit()
    assert reload(job).status == "cancelled"
    assert jobs.run_pending() == 0
    actions = list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "job")))
    assert actions[-2:] == ["job.retried", "job.cancelled"]


def test_a_job_that_needs_a_decision_waits_with_what_it_recorded(app, clock) -> None:
    job = jobs.enqueue("test.ask", object_type="request", object_id="F9")
    db.commit()
    assert jobs.run_pending() == 1
    job = reload(job)
    assert job.status == "waiting" and job.locked_by is None
    assert jobs.status_text(job) == ("Espera una decisión: Informática debe confirmar la "
                                     "cuenta existente.")
    # What the handler wrote is kept (unlike a retry or a failure, which roll it back).
    assert db.session().scalar(select(AuditEvent.seq).where(
        AuditEvent.action == "test.asked")) is not None
    # Neither retried nor failed on its own: it waits for a person.
    clock.advance(hours=5)
    assert jobs.run_pending() == 0
    jobs.retry(job, actor=audit.Actor("lucia", "informatica"))
    db.commit()
    assert jobs.run_pending() == 1 and [c for c, _ in CALLS] == ["ask", "ask"]
    jobs.cancel(reload(job), actor=audit.Actor("lucia", "informatica"))
    db.commit()
    assert reload(job).status == "cancelled"


def test_periodic_tasks_run_once_per_slot(app, clock) -> None:
    # Other domains register periodic tasks too (e.g. the daily mail reminder).
    assert jobs.enqueue_due_periodic() >= 1
    assert jobs.enqueue_due_periodic() == 0
    assert db.session().scalar(select(Job).where(Job.kind == "periodic:test.tick"))
    db.commit()
    jobs.run_pending()
    clock.advance(hours=1)
    jobs.enqueue_due_periodic()
    db.commit()
    jobs.run_pending()
    assert [c[0] for c in CALLS] == ["tick", "tick"]


def test_two_workers_never_run_the_same_job(make_app) -> None:
    app = make_app()
    with app.app_context():
        for n in range(40):
            jobs.enqueue("test.ok", {"n": n})
        db.commit()

    def work(name: str) -> None:
        with app.app_context():
            Worker(worker_id=name, poll_seconds=0.01).run(once=True)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(p["n"] for kind, p in CALLS if kind == "ok") == list(range(40))
    with app.app_context():
        statuses = set(db.session().scalars(select(Job.status).where(Job.kind == "test.ok")))
        assert statuses == {"done"}


def test_the_worker_looks_for_dead_workers_jobs_once_a_second_not_per_job(make_app) -> None:
    """A dead worker's job comes back on the first claim; a run of short jobs does not pay
    the lease query before each one (it was a tenth of the worker's time)."""
    from sqlalchemy import event

    app = make_app()
    with app.app_context():
        dead = jobs.enqueue("test.ok", {"n": -1})
        db.commit()
        assert jobs.claim("worker-that-dies", lease=timedelta(seconds=-1)).id == dead.id
        for n in range(20):
            jobs.enqueue("test.ok", {"n": n})
        db.commit()
        lease_queries = []
        engine = app.extensions["alta.db"].engine

        def seen(_conn, _cursor, statement, *_args) -> None:
            if "locked_until <" in statement:
                lease_queries.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            Worker(worker_id="w", poll_seconds=0.01).run(once=True)  # and the periodic jobs
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert sorted(p["n"] for kind, p in CALLS if kind == "ok") == list(range(-1, 20))
        assert 1 <= len(lease_queries) <= 2  # the first claim, and one more if a second passed
