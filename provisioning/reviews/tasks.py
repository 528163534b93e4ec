"""The access reviews' periodic sweep: scheduled campaigns opened, reminders before the
deadline, escalation after it (``reviews.services.sweep``), every six hours like the
temporary staff's sweep; ``alta reviews sweep`` runs it at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.reviews import services


def register() -> None:
    """Register the sweep (called by the app factory)."""
    jobs.register_periodic("reviews.sweep", sweep, every=timedelta(hours=6),
                           label="revisiones de acceso: apertura, recordatorios y escalamiento")


def sweep(job: Job, payload: dict[str, Any]) -> None:
    """Run the sweep (idempotent)."""
    services.sweep()
