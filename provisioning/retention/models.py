"""Legal holds and the tombstones left by disposals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class LegalHold(Base):
    """A record kept past its retention period (investigation, claim) until lifted."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_class: Mapped[str] = mapped_column(String(30), comment="e.g. solicitud")
    record_key: Mapped[str] = mapped_column(String(80), comment="e.g. the folio")
    reason: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(40))
    set_at: Mapped[datetime]
    lifted_by: Mapped[str | None] = mapped_column(String(40))
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("uq_legal_holds_active", "record_class", "record_key", unique=True,
              sqlite_where=text("lifted_at IS NULL"),
              postgresql_where=text("lifted_at IS NULL")),
    )


class Disposal(Base):
    """Tombstone of a record deleted or anonymized when its retention ended."""

    __tablename__ = "record_disposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_class: Mapped[str] = mapped_column(String(30))
    record_key: Mapped[str] = mapped_column(String(80), comment="Folio, or a range of events")
    disposition: Mapped[str] = mapped_column(String(20), comment="anonimizado or eliminado")
    retention_started_at: Mapped[datetime] = mapped_column(
        comment="Closure of the request, date of the event...")
    due_at: Mapped[datetime] = mapped_column(comment="End of the retention period")
    disposed_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(120))
    details: Mapped[str] = mapped_column(Text, comment="JSON: what was kept (dates, status)")

    __table_args__ = (
        Index("uq_record_disposals_record", "record_class", "record_key", unique=True),
    )
