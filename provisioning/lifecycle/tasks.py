"""The jobs that execute a baja (``lifecycle.baja``), a cambio de adscripción
(``lifecycle.cambio``) and a prórroga (``lifecycle.extension``) on the DC, and the sweep of
temporary staff's end dates (every six hours)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from provisioning import db
from provisioning.directory import port
from provisioning.directory.errors import DirectoryError
from provisioning.errors import AltaError
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.jobs.services import GiveUp, RetryLater
from provisioning.lifecycle import cambios, services, temporary

T = TypeVar("T")


def register() -> None:
    """Register this module's job (called by the app factory)."""
    # Like provisioning: a DC down is waited for (5 s doubling to 10 min, ~3 h in all).
    for kind, handler, label in (
            (services.KIND, execute_baja, "Baja en el directorio"),
            (cambios.KIND, execute_cambio, "Cambio de adscripción en el directorio"),
            (temporary.KIND, execute_extension, "Prórroga en el directorio")):
        jobs.register(kind, handler, label=label, max_attempts=25,
                      base_delay=timedelta(seconds=5), max_delay=timedelta(minutes=10))
    jobs.register_periodic("lifecycle.end_dates", sweep_end_dates, every=timedelta(hours=6),
                           label="avisos y bajas del personal temporal")


def _on_the_dc(call: Callable[[], T]) -> T:
    """Run one directory operation of a job: a DC that waiting may bring back (down,
    service account refused) is retried later; anything else (no directory configured,
    a refusal) fails the job with the DC's reason in Spanish."""
    try:
        return call()
    except DirectoryError as exc:
        if exc.retryable:
            raise RetryLater(exc.message) from None
        raise GiveUp(exc.message) from None
    except AltaError as exc:
        raise GiveUp(exc.message) from None


def sweep_end_dates(job: Job, payload: dict[str, Any]) -> None:
    """Notices before temporary staff's last day, and their bajas once it passed."""
    temporary.sweep()


def execute_extension(job: Job, payload: dict[str, Any]) -> None:
    """Move the account's accountExpires to the prórroga's new last day (idempotent)."""
    extension_id = int(payload["extension_id"])
    due = temporary.due(extension_id)
    db.commit()
    if due is None:
        return
    account = _on_the_dc(lambda: port.current().set_expiry(due.guid, due.expires_at))
    temporary.record_extension(extension_id, account)


def execute_baja(job: Job, payload: dict[str, Any]) -> None:
    """Retire the account on the DC, then record it (with the job's "done", one commit).

    First the account's credentials still in custody are stopped (committed before the
    DC is touched). ``retire`` is idempotent, so a crash after the DC's writes and before
    the commit (the worker killed, the database gone) is repaired by the next run: the
    account ends disabled once, and the baja is recorded once.
    """
    due = services.due(int(payload["baja_id"]))
    if due is not None:
        services.stop_credentials(int(payload["baja_id"]))
    db.commit()  # no database lock held while the DC works
    if due is None:
        return  # executed by an earlier run, or cancelled
    retirement = _on_the_dc(lambda: port.current().retire(due.guid,
                                                          expires_at=due.expires_at))
    services.record_execution(int(payload["baja_id"]), retirement)


def execute_cambio(job: Job, payload: dict[str, Any]) -> None:
    """Move the account to the new unit on the DC, then record it (idempotent like the
    baja: ``relocate`` may run again after a crash and changes nothing more)."""
    cambio_id = int(payload["cambio_id"])
    try:
        due = cambios.due(cambio_id)
    except AltaError as exc:
        raise GiveUp(exc.message) from None
    db.commit()
    if due is None:
        return
    relocation = _on_the_dc(lambda: port.current().relocate(due.guid, due.person))
    cambios.record_execution(cambio_id, relocation)
