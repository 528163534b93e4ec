"""A roster upload and its lines, as the file said them (each line names a person)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioning.db import Base


class RosterUpload(Base):
    """One staff roster uploaded by IT: who, when, which file."""

    __tablename__ = "roster_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), comment="Of the file as uploaded")
    line_count: Mapped[int]
    uploaded_by: Mapped[str] = mapped_column(String(40))
    uploaded_at: Mapped[datetime]

    lines: Mapped[list[RosterLine]] = relationship(
        back_populates="upload", cascade="all, delete-orphan", order_by="RosterLine.row_number")


class RosterLine(Base):
    """One person on a roster, as the file said (personal data: reads are audited)."""

    __tablename__ = "roster_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("roster_uploads.id", ondelete="CASCADE"))
    row_number: Mapped[int] = mapped_column(comment="Row of the file (the header is row 1)")
    curp: Mapped[str] = mapped_column(String(18))
    nombres: Mapped[str] = mapped_column(String(50))
    primer_apellido: Mapped[str] = mapped_column(String(50))
    segundo_apellido: Mapped[str | None] = mapped_column(String(50))
    unit_clues: Mapped[str] = mapped_column(String(11))
    staff_type_code: Mapped[str] = mapped_column(String(40))
    end_date: Mapped[date | None] = mapped_column(Date, comment="Fecha de término, if any")

    upload: Mapped[RosterUpload] = relationship(back_populates="lines")

    __table_args__ = (
        Index("uq_roster_lines_upload_curp", "upload_id", "curp", unique=True),
    )

    @property
    def full_name(self) -> str:
        """Nombre(s) and surnames."""
        return " ".join(p for p in (self.nombres, self.primer_apellido,
                                    self.segundo_apellido) if p)
