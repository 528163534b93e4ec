"""The directory import as a background job (``directory.import``), run by ``alta worker``:
the import commits after each chunk, so the page shows its progress while it runs."""

from __future__ import annotations

from typing import Any

from provisioning import audit, db
from provisioning.directory import connection
from provisioning.directory.errors import DirectoryError
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.reconciliation import services

KIND = "directory.import"
KEY = "directory.import"  # one live import at a time


def register() -> None:
    """Register the import job (called by the app factory)."""
    jobs.register(KIND, run_import, label="Importación del directorio existente",
                  max_attempts=1)


def enqueue(*, actor: audit.Actor) -> Job:
    """Queue an import (or return the one already queued or running) and audit the request
    (in the caller's transaction)."""
    job = jobs.enqueue(KIND, {"actor": actor.name, "role": actor.role}, key=KEY,
                       object_type="directory_import", object_id="directorio")
    audit.record("directory.import_requested", actor=actor, object_type="directory_import",
                 object_id=str(job.id), summary="Importación del directorio solicitada",
                 details={"job": job.id})
    return job


def run_import(job: Job, payload: dict[str, Any]) -> None:
    """Import every account under the configured base, then link by CURP and propose names."""
    actor = audit.Actor(str(payload.get("actor") or "sistema"), str(payload.get("role") or ""))
    try:
        run = services.import_directory(connection.current(), actor=actor,
                                        checkpoint=lambda run: db.commit())
    except DirectoryError as exc:
        db.commit()  # the failed run and its audit event stay
        raise jobs.GiveUp(f"La importación se interrumpió: {exc.message}") from None
    services.finish_linking(run, actor=actor)
    db.commit()
