"""Job rows: one unit of background work, its state, attempts and last error."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
# Stopped until a person decides (e.g. IT confirms linking a risky existing account).
WAITING = "waiting"


class Job(Base):
    """Background work. ``payload`` is JSON and never holds a secret."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str | None] = mapped_column(
        String(160), unique=True,
        comment="Idempotency key: enqueuing the same key again returns the live job",
    )
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int]
    run_after: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(80))
    locked_until: Mapped[datetime | None] = mapped_column(
        comment="Lease: a running job whose worker died is taken again after this"
    )
    last_error: Mapped[str | None] = mapped_column(String(1000), comment="Spanish, for IT")
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_jobs_ready", "status", "run_after"),
        Index("ix_jobs_object", "object_type", "object_id"),
    )


class WorkerHeartbeat(Base):
    """One running ``alta worker``: its last beat is one UPDATE, never an audit event."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(80), primary_key=True,
                                           comment="hostname:pid")
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
