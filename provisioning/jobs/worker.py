"""`alta worker`: claim and run jobs until stopped (SIGTERM/SIGINT finish the current job)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import timedelta
from types import FrameType

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from provisioning import db
from provisioning.jobs import services

log = logging.getLogger(__name__)

PERIODIC_CHECK_SECONDS = 5.0
HEARTBEAT_SECONDS = 10.0  # /healthz/ready allows [observability].heartbeat_max_age_seconds
# Leases last minutes: looking for the jobs of dead workers once a second is soon enough,
# and spares every job a query (a tenth of the worker's time on a batch of short jobs).
RELEASE_CHECK_SECONDS = 1.0


class Worker:
    """One worker process; several may run at once (each claims different jobs)."""

    def __init__(self, *, poll_seconds: float = 1.0, worker_id: str | None = None,
                 lease: timedelta = timedelta(minutes=5)) -> None:
        self.poll_seconds = poll_seconds
        # How long a claimed job is ours; if this worker dies, another takes it after that.
        self.lease = lease
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = False

    def stop(self, _signum: int | None = None, _frame: FrameType | None = None) -> None:
        """Finish the current job, then leave."""
        self.stopping = True

    def run(self, *, once: bool = False) -> int:
        """Process jobs; with ``once``, stop when the queue has nothing ready. Returns count."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        done = 0
        log.info("worker %s started; kinds: %s", self.worker_id,
                 ", ".join(services.registered_kinds()))
        outage = 0.0
        interrupted: int | None = None  # a job of ours cut short by a database outage
        next_periodic = next_beat = next_release = 0.0
        while not self.stopping:
            job_id: int | None = None
            try:
                if interrupted is not None:
                    # Ours, and unfinished: give it back now instead of waiting for the lease.
                    services.release(interrupted, self.worker_id)
                    interrupted = None
                # Periodic slots are hours or days long: looking every few seconds is enough,
                # and spares each job a transaction (on SQLite, a turn of the write lock).
                if time.monotonic() >= next_periodic:
                    services.enqueue_due_periodic()
                    db.commit()
                    next_periodic = time.monotonic() + PERIODIC_CHECK_SECONDS
                if time.monotonic() >= next_beat:
                    services.beat(self.worker_id)
                    db.commit()
                    next_beat = time.monotonic() + HEARTBEAT_SECONDS
                release = time.monotonic() >= next_release
                job = services.claim(self.worker_id, lease=self.lease, release_expired=release)
                if release:
                    next_release = time.monotonic() + RELEASE_CHECK_SECONDS
                if job is None:
                    if once:
                        break
                    time.sleep(self.poll_seconds)
                    continue
                # Read now: after a failed transaction the ORM object can no longer load it.
                job_id, kind = job.id, job.kind
                outcome = services.execute(job, self.worker_id)
            except SQLAlchemyError as exc:
                # The database went away (restart, failover, network): keep the worker alive
                # and try again. A job caught midway is given back to the queue first thing.
                if job_id is not None:
                    interrupted = job_id
                outage = min(30.0, max(self.poll_seconds, outage * 2 or 0.5))
                log.warning("database unavailable (%s); retrying in %.1f s",
                            type(exc.orig).__name__ if isinstance(exc, DBAPIError) and exc.orig
                            else type(exc).__name__, outage)
                db.discard_session()
                time.sleep(outage)
                continue
            outage = 0.0
            log.info("job %s %s: %s", job_id, kind, outcome)
            done += 1
        if not once:
            self._leave()
        return done

    def _leave(self) -> None:
        try:
            services.forget_worker(self.worker_id)
            db.commit()
        except SQLAlchemyError:  # the database is away: the row goes stale, which is the truth
            db.discard_session()
