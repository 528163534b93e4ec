"""Oficios and the requests they carry (their annex)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioning.db import Base

ENVIO, RESPUESTA = "envio", "respuesta"  # the liaison's oficio / IT's reply oficio
SENT, RECEIVED, CANCELLED = "enviado", "recibido", "cancelado"
STATUS_LABELS = {SENT: "Enviado: en espera del acuse de recibo",
                 RECEIVED: "Recibido por el Departamento de Informática",
                 CANCELLED: "Cancelado por quien lo emitió"}
KIND_LABELS = {ENVIO: "Oficio de envío de solicitudes", RESPUESTA: "Oficio de respuesta"}
# IT's reply goes the other way: the liaison acknowledges it.
REPLY_STATUS_LABELS = {SENT: "Enviado al enlace jurisdiccional: en espera de su acuse",
                       RECEIVED: "Recibido por el enlace jurisdiccional",
                       CANCELLED: STATUS_LABELS[CANCELLED]}


class Oficio(Base):
    """A signed oficio. Its number is consecutive per issuing area and year and never reused
    (a cancelled oficio keeps its number in the register)."""

    __tablename__ = "oficios"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), comment="envio | respuesta")
    number: Mapped[str] = mapped_column(String(60), unique=True, comment="e.g. SSM/JS-I/0042/2026")
    area: Mapped[str] = mapped_column(String(20), comment="Issuing area of the numbering: JS-I, DI")
    year: Mapped[int]
    seq: Mapped[int]
    jurisdiction_code: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(comment="Optimistic lock: bumps on every change")
    issued_on: Mapped[date] = mapped_column(Date, comment="Local date printed on the oficio")
    place: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    issuing_area_name: Mapped[str] = mapped_column(String(200))
    addressee_name: Mapped[str] = mapped_column(String(200))
    addressee_position: Mapped[str] = mapped_column(String(200))
    addressee_area: Mapped[str] = mapped_column(String(200))
    ccp: Mapped[str] = mapped_column(Text, default="", comment="C.c.p. lines, one per line")
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("oficios.id"))
    signer_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    signer_username: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_position: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime]
    signer_ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str] = mapped_column(
        String(64), comment="SHA-256 of the canonical JSON of the oficio as signed")
    content: Mapped[str] = mapped_column(Text, comment="That canonical JSON")
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    received_by_name: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime | None]
    received_ip: Mapped[str | None] = mapped_column(String(45))
    receipt_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="Acuse: the content SHA-256 the receiver acknowledged")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    items: Mapped[list[OficioItem]] = relationship(
        back_populates="oficio", order_by="OficioItem.position", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        UniqueConstraint("area", "year", "seq", name="uq_oficios_area_year_seq"),
        Index("ix_oficios_status", "kind", "status"),
        Index("ix_oficios_jurisdiction", "jurisdiction_code"),
    )

    @property
    def status_label(self) -> str:
        """The state in Spanish, as seen from the side that acknowledges this kind."""
        labels = REPLY_STATUS_LABELS if self.kind == RESPUESTA else STATUS_LABELS
        return labels.get(self.status, self.status)

    @property
    def ccp_lines(self) -> list[str]:
        """The C.c.p. lines."""
        return [line for line in self.ccp.splitlines() if line.strip()]


class OficioItem(Base):
    """One request in an oficio's annex. ``live`` is cleared when the oficio is cancelled;
    a request is in at most one live oficio of each kind (unique partial index)."""

    __tablename__ = "oficio_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    oficio_id: Mapped[int] = mapped_column(ForeignKey("oficios.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(12), comment="Copy of the oficio's kind (index)")
    request_id: Mapped[int] = mapped_column(ForeignKey("account_requests.id"))
    folio: Mapped[str] = mapped_column(String(30))
    position: Mapped[int]
    live: Mapped[bool]

    oficio: Mapped[Oficio] = relationship(back_populates="items")

    __table_args__ = (
        Index("uq_oficio_items_live_request", "kind", "request_id", unique=True,
              sqlite_where=text("live"), postgresql_where=text("live")),
        Index("ix_oficio_items_request", "request_id"),
    )
