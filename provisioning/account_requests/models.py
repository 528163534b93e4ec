"""The account request (solicitud FO-DPE-STI-DI-04) as filled by the applicant."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioning.catalogs.models import Unit
from provisioning.db import Base


class AccountRequest(Base):
    """One person's request for a domain account (observación 7: one person per request)."""

    __tablename__ = "account_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(30), unique=True,
                                       comment="CLUES-year-sequence, e.g. MSSSA001270-2026-00042")
    tracking_code_hash: Mapped[str] = mapped_column(String(200), comment="argon2id; never clear")
    status: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(comment="Optimistic lock: bumps on every change")
    submitted_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(
        comment="Set when the request ends (rejected, cancelled, access active); starts retention"
    )
    form_date: Mapped[date] = mapped_column(Date, comment="FECHA on the form (local date)")

    wants_user_account: Mapped[bool] = mapped_column(comment="CUENTA DE USUARIO")
    wants_email_account: Mapped[bool] = mapped_column(comment="CUENTA DE CORREO")
    wants_ece: Mapped[bool] = mapped_column(comment="EXPEDIENTE ELECTRÓNICO: SI")

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id"), index=True, comment="Whose case this is (people.curp)")
    curp: Mapped[str] = mapped_column(String(18), comment="As filed on the form")
    nombres: Mapped[str] = mapped_column(String(50))
    primer_apellido: Mapped[str] = mapped_column(String(50))
    segundo_apellido: Mapped[str | None] = mapped_column(String(50))

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"),
                                         comment="Catalog row valid when submitted")
    unit_clues: Mapped[str] = mapped_column(String(11))
    unit_type: Mapped[str] = mapped_column(String(40))
    jurisdiction_code: Mapped[str] = mapped_column(String(8))
    direccion_code: Mapped[str] = mapped_column(String(20))
    subdireccion_code: Mapped[str] = mapped_column(String(20))
    departamento: Mapped[str] = mapped_column(String(120), comment="N/A outside central offices")
    telefono: Mapped[str] = mapped_column(String(10))
    extension: Mapped[str | None] = mapped_column(String(6))
    contact_email: Mapped[str] = mapped_column(String(254))
    staff_type_code: Mapped[str] = mapped_column(String(40))
    end_date: Mapped[date | None] = mapped_column(
        Date, comment="Temporary staff: the last day of their access (people.rules)")
    privacy_notice_sha256: Mapped[str] = mapped_column(
        String(64), comment="Hash of the aviso de privacidad text the person accepted"
    )

    unit: Mapped[Unit] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        Index("ix_account_requests_curp", "curp"),
        Index("ix_account_requests_unit_clues", "unit_clues", "status"),
        Index("ix_account_requests_jurisdiction", "jurisdiction_code", "status"),
        # Inboxes and dashboards read the few open requests among years of closed ones, and a
        # unit's latest requests: these keep them fast with a million rows.
        Index("ix_account_requests_open_unit", "unit_clues", "status",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_account_requests_open_jurisdiction", "jurisdiction_code", "status",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_account_requests_open_updated", "updated_at",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_account_requests_unit_updated", "unit_clues", "updated_at"),
        # Scoped dashboards: a unit's or a jurisdiction's open requests, oldest first.
        Index("ix_account_requests_open_unit_updated", "unit_clues", "updated_at",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index("ix_account_requests_open_jurisdiction_updated", "jurisdiction_code", "updated_at",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        # Observación 7 under concurrency: at most one open request per CURP.
        Index("uq_account_requests_open_curp", "curp", unique=True,
              sqlite_where=text("closed_at IS NULL"),
              postgresql_where=text("closed_at IS NULL")),
    )

    @property
    def full_name(self) -> str:
        """Nombre(s) and surnames as written on the form."""
        return " ".join(p for p in (self.nombres, self.primer_apellido,
                                    self.segundo_apellido) if p)


class RequestEvent(Base):
    """One move of a request through the procedure (its history; public moves are shown to
    the applicant on the tracking page)."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("account_requests.id",
                                                       ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(120))
    actor_role: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(500), comment="Shown to the applicant")
    public: Mapped[bool] = mapped_column(comment="Shown on the tracking page")
