"""E-signatures of a request: who signed, in which role and step, when, from where, and the
SHA-256 of the request's canonical content as signed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class Signature(Base):
    """One signature of one step of a request's chain (rules.SIGNATURE_RULES).

    A signature is never deleted: returning a request voids it (``voided_at``), and the
    corrected request is signed again. At most one live signature per request and step,
    enforced by the database too.
    """

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("account_requests.id",
                                                       ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40),
                                      comment="jefe_unidad | responsable_jurisdiccional")
    signer_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    signer_username: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_position: Mapped[str] = mapped_column(String(120))
    signer_role: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of the canonical JSON of the request as signed")
    content: Mapped[str] = mapped_column(Text, comment="That canonical JSON (re-verifiable)")
    voided_at: Mapped[datetime | None] = mapped_column(
        comment="Set when the request was returned for correction after this signature")

    __table_args__ = (
        Index("uq_signatures_live_step", "request_id", "step", unique=True,
              sqlite_where=text("voided_at IS NULL"),
              postgresql_where=text("voided_at IS NULL")),
    )
