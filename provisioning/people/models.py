"""The person: one row per CURP, owning their cases (requests today; bajas, cambios and
reviews with the lifecycle) and their directory accounts (``people.accounts``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class Person(Base):
    """Who a CURP is for Alta now: names, current unit and staff type (from their newest
    request, later from a cambio de adscripción), and until when temporary staff stay."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    curp: Mapped[str | None] = mapped_column(
        String(18), unique=True, comment="NULL once anonymized by retention (the row stays)")
    nombres: Mapped[str] = mapped_column(String(50))
    primer_apellido: Mapped[str] = mapped_column(String(50))
    segundo_apellido: Mapped[str | None] = mapped_column(String(50))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), comment="Current unit")
    unit_clues: Mapped[str] = mapped_column(String(11), comment="Current unit (scoping)")
    jurisdiction_code: Mapped[str] = mapped_column(String(8), comment="Current jurisdiction")
    staff_type_code: Mapped[str] = mapped_column(String(40))
    end_date: Mapped[date | None] = mapped_column(
        Date, comment="Temporary staff: the last day of their access (local date)")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_people_unit_clues", "unit_clues"),
        Index("ix_people_jurisdiction_code", "jurisdiction_code"),
        # The people list's order: its pages read 50 rows instead of sorting everyone.
        Index("ix_people_by_name", "primer_apellido", "nombres", "id",
              sqlite_where=text("curp IS NOT NULL"), postgresql_where=text("curp IS NOT NULL")),
        # Temporary staff ending soon (dashboard, reminders): the few with an end date.
        Index("ix_people_end_date", "end_date", sqlite_where=text("end_date IS NOT NULL"),
              postgresql_where=text("end_date IS NOT NULL")),
    )

    @property
    def full_name(self) -> str:
        """Nombre(s) and surnames."""
        return " ".join(p for p in (self.nombres, self.primer_apellido,
                                    self.segundo_apellido) if p)
