"""Issued documents, keyed by the short code printed on them and encoded in their QR."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

SOLICITUD, OFICIO = "solicitud", "oficio"  # the others: services.register


class IssuedDocument(Base):
    """One version of a printed record. A new version is issued when what it certifies
    changes (e.g. another signature); the same content always gives the same document."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True,
                                      comment="Short verification code (QR and /verificar)")
    kind: Mapped[str] = mapped_column(String(20), comment="solicitud | oficio")
    object_pk: Mapped[int] = mapped_column(comment="account_requests.id or oficios.id")
    reference: Mapped[str] = mapped_column(
        String(80), comment="Non-personal label shown publicly: folio or oficio number")
    content_sha256: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of ``content``: what the document certifies")
    content: Mapped[str] = mapped_column(Text, comment="Canonical JSON certified")
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, comment="The PDF exactly as issued")
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        Index("uq_documents_version", "kind", "object_pk", "content_sha256", unique=True),
    )
