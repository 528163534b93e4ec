"""The job that creates (or links) a request's Active Directory account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from provisioning import db
from provisioning.directory import port
from provisioning.directory.errors import DirectoryError, LinkNeedsConfirmation
from provisioning.errors import AltaError
from provisioning.it import services
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.jobs.services import GiveUp, NeedsDecision, RetryLater


def register() -> None:
    """Register this module's job (called by the app factory)."""
    # A DC down for maintenance is waited for: 5 s, 10 s, … capped at 10 minutes between
    # attempts, about three hours in all; then the job shows the error and IT can retry it.
    jobs.register(services.KIND, provision_request,
                  label="Creación de la cuenta en el directorio", max_attempts=25,
                  base_delay=timedelta(seconds=5), max_delay=timedelta(minutes=10))


def provision_request(job: Job, payload: dict[str, Any]) -> None:
    """Read the request, ensure its account on the DC, record the outcome.

    The read ends before the DC is contacted (no database lock held during LDAP); the
    outcome is recorded afterwards, in the transaction that marks the job done.
    A crash between the DC's write and the commit is repaired by the next run, which finds
    the account by CURP. An existing account that IT must confirm first is recorded and the
    job waits (NeedsDecision); after IT confirms it, the next run links it.
    """
    request_id = int(payload["request_id"])
    try:
        person = services.person_for(request_id)
        approved = services.approved_link(request_id)
    except AltaError as exc:
        raise GiveUp(exc.message) from None
    db.commit()  # end the read: SQLite holds its write lock for the whole transaction
    if person is None:
        return  # recorded by an earlier run
    try:
        outcome = port.current().provision(person, approved)
    except LinkNeedsConfirmation as held:
        try:
            review = services.hold_link(request_id, held)
        except AltaError as exc:
            raise GiveUp(exc.message) from None
        raise NeedsDecision(services.waiting_message(review)) from None
    except DirectoryError as exc:
        if exc.retryable:
            raise RetryLater(exc.message) from None
        raise GiveUp(exc.message) from None
    try:
        services.record_outcome(request_id, outcome, queued_by=payload.get("queued_by"))
    except AltaError as exc:
        raise GiveUp(exc.message) from None
    # Not committed here: the job layer commits the outcome together with the job's "done",
    # one transaction instead of two, so the two can never disagree either.
