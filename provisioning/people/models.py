"""The person: one row per CURP, owning their cases (requests today; bajas, cambios and
reviews with the lifecycle) and their directory accounts (``people.accounts``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base
from provisioning.naming import search_key


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
    search_text: Mapped[str] = mapped_column(
        String(200), default="", server_default="",
        comment="CURP and names folded for search (naming.search_key); kept by the ORM")
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
        # People search (any part of a name or CURP): trigrams on PostgreSQL (migration
        # 0900; a plain index where pg_trgm cannot be created, and on SQLite).
        Index("ix_people_search", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    @property
    def full_name(self) -> str:
        """Nombre(s) and surnames."""
        return " ".join(p for p in (self.nombres, self.primer_apellido,
                                    self.segundo_apellido) if p)


def search_text_of(curp: str | None, *names: str | None) -> str:
    """What ``people.search_text`` holds for this CURP and these names."""
    return search_key(" ".join(part for part in (curp, *names) if part))


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _keep_search_text(_mapper: Any, _connection: Any, person: Person) -> None:
    person.search_text = search_text_of(person.curp, person.nombres, person.primer_apellido,
                                        person.segundo_apellido)
