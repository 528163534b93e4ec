"""Session hooks that write queued audit events at commit time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from provisioning.audit.services import discard_pending, flush_pending


def _on_rollback(session: Session, previous_transaction: Any) -> None:
    # A rolled-back savepoint keeps the outer transaction's events.
    if not previous_transaction.nested:
        discard_pending(session)


def install() -> None:
    """Register the hooks once per process (idempotent)."""
    if not event.contains(Session, "before_commit", flush_pending):
        event.listen(Session, "before_commit", flush_pending)
        event.listen(Session, "after_soft_rollback", _on_rollback)
