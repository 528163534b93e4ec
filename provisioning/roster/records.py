"""The rosters' records for retention (``records.classes``): a roster is a copy of RH's
padrón, kept 1 year from its upload (``[retention].padron_years``) to compare with the next
ones and to explain the bajas and cambios it started; then it is deleted with its lines
(their CURP and names). The audit events of the upload and of each reading stay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from provisioning.db import session
from provisioning.roster.models import RosterLine, RosterUpload

NAME = "padron"  # the record class name (Disposal.record_class)
LABEL = "Padrón de personal"


def uploaded_before(moment: datetime) -> list[tuple[str, datetime]]:
    """Rosters uploaded at or before ``moment``: (key, uploaded at); the key is the id."""
    return [(str(i), at) for i, at in session().execute(
        select(RosterUpload.id, RosterUpload.uploaded_at)
        .where(RosterUpload.uploaded_at <= moment).order_by(RosterUpload.id))]


def exists(key: str, disposed: Any) -> bool:
    """Whether roster ``key`` is stored and not disposed of (``disposed``: a select of the
    disposed keys)."""
    if not key.isdigit() or key in set(session().scalars(disposed)):
        return False
    return session().get(RosterUpload, int(key)) is not None


def delete_rosters(keys: list[str]) -> None:
    """Delete these rosters and their lines."""
    ids = [int(k) for k in keys]
    session().execute(delete(RosterLine).where(RosterLine.upload_id.in_(ids))
                      .execution_options(synchronize_session=False))
    session().execute(delete(RosterUpload).where(RosterUpload.id.in_(ids))
                      .execution_options(synchronize_session=False))
