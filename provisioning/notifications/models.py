"""The e-mail outbox: every message is stored before anyone tries to send it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

PENDING, SENT = "pending", "sent"


class OutboxMessage(Base):
    """One e-mail. It stays ``pending`` until an SMTP server accepts it. A body with a code
    in it (a new tracking code) is kept sealed and wiped once sent; no other secret ever."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), comment="Template name, e.g. turno")
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_sealed: Mapped[bool] = mapped_column(
        default=False, comment="The body carries a code: sealed with [security].data_key "
                               "and wiped once sent")
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_mail_outbox_status", "status", "id"),)
