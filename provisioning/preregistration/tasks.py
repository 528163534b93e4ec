"""The job that grants SIEMPRE access after the pre-registration and closes the request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from provisioning import db
from provisioning.directory import port
from provisioning.directory.errors import DirectoryError
from provisioning.errors import AltaError
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.jobs.services import GiveUp, RetryLater
from provisioning.preregistration import services


def register() -> None:
    """Register this module's job (called by the app factory)."""
    # Like account creation: a DC down for maintenance is waited for, then IT sees the error.
    jobs.register(services.GRANT_KIND, grant_access,
                  label="Acceso a SIEMPRE tras el pre-registro", max_attempts=25,
                  base_delay=timedelta(seconds=5), max_delay=timedelta(minutes=10))


def grant_access(job: Job, payload: dict[str, Any]) -> None:
    """Add the account to the SIEMPRE group (expediente electrónico requests) and move the
    request to ``acceso_activo``. Safe to run again: the group add and the move are both
    idempotent; the read ends before the DC is contacted."""
    request_id = int(payload["request_id"])
    try:
        target = services.grant_target(request_id)
    except AltaError as exc:
        raise GiveUp(exc.message) from None
    db.commit()
    if target is None:
        return
    if target.wants_ece:
        try:
            port.current().grant_siempre_access(target.guid)
        except DirectoryError as exc:
            if exc.retryable:
                raise RetryLater(exc.message) from None
            raise GiveUp(exc.message) from None
    services.record_access(request_id, granted=target.wants_ece)
    # Committed by the job layer together with the job's "done".
