"""Audit tables: the append-only event chain and its head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One event; ``hash`` is the SHA-256 of its canonical form, which includes ``prev_hash``."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False,
        comment="Position in the chain: 1, 2, 3... without gaps",
    )
    occurred_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120), comment="User name, 'solicitante' or 'sistema'")
    actor_role: Mapped[str] = mapped_column(String(40))
    ip: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[str] = mapped_column(Text, comment="Canonical JSON; never a secret")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor", "actor"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_action", "action"),
    )


class AuditHead(Base):
    """A single row (id 1): the last event of the chain. Locking it serializes appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    purged_through: Mapped[int] = mapped_column(
        BigInteger, default=0,
        comment="Events up to this seq may be deleted (retention); triggers refuse the rest",
    )
    checkpoint_at: Mapped[datetime | None] = mapped_column(
        comment="created_at of the newest checkpoint: whether one is due is read here, with "
                "the head every append locks anyway, instead of a query per commit",
    )


class AuditCheckpoint(Base):
    """The chain head at a moment, signed with the checkpoint key (HMAC-SHA256).

    Without the key nobody can forge a checkpoint, so a chain recomputed from scratch, or
    cut below the newest checkpoint, no longer passes through the signed (seq, hash).
    Checkpoints are numbered 1, 2, 3... and each signature covers the previous one, so
    removing one from the middle breaks the next.
    """

    __tablename__ = "audit_checkpoints"

    number: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False,
        comment="1, 2, 3... without gaps",
    )
    seq: Mapped[int] = mapped_column(BigInteger, comment="Last event covered (0: empty chain)")
    hash: Mapped[str] = mapped_column(String(64), comment="Hash of event seq")
    created_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(20), comment="periodic, export, purge, manual")
    key_id: Mapped[str] = mapped_column(String(16), comment="Fingerprint of the signing key")
    prev_mac: Mapped[str] = mapped_column(String(64), comment="mac of checkpoint number - 1")
    mac: Mapped[str] = mapped_column(String(64), comment="HMAC-SHA256 over the fields above")
