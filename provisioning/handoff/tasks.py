"""The periodic wipe of activation sheets past their time (``handoff.sheets``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from provisioning.handoff import services
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job


def register() -> None:
    """Register this module's periodic task (called by the app factory)."""
    jobs.register_periodic("handoff.sheets", wipe_sheets, every=timedelta(minutes=5),
                           label="borrado de las hojas de activación vencidas")


def wipe_sheets(job: Job, payload: dict[str, Any]) -> None:
    """No sealed activation code outlives its sheet's time by more than five minutes."""
    services.wipe_old_sheets()
