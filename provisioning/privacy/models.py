"""ARCO requests made by applicants (rectification, cancellation)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class ArcoKind(enum.StrEnum):
    """Which right the person exercises through Alta."""

    RECTIFICACION = "rectificacion"
    CANCELACION = "cancelacion"

    @property
    def label(self) -> str:
        """Spanish name."""
        return {"rectificacion": "Rectificación", "cancelacion": "Cancelación"}[self.value]


class ArcoStatus(enum.StrEnum):
    """Where an ARCO request stands."""

    PENDIENTE = "pendiente"      # a staff task (rectification)
    PROGRAMADA = "programada"    # cancellation: applies when the retention period ends
    ATENDIDA = "atendida"
    IMPROCEDENTE = "improcedente"

    @property
    def label(self) -> str:
        """Spanish name."""
        return {"pendiente": "Pendiente", "programada": "Programada",
                "atendida": "Atendida", "improcedente": "Improcedente"}[self.value]


class ArcoRequest(Base):
    """A rectification or cancellation request about one solicitud."""

    __tablename__ = "arco_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(30))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime]
    description: Mapped[str] = mapped_column(
        Text, comment="What the person asks (personal data: cleared at disposal)")
    applies_from: Mapped[date | None] = mapped_column(
        Date, comment="Cancellation: first day it can apply (end of retention)")
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    response: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_arco_requests_folio", "folio"),
                      Index("ix_arco_requests_status", "status"))
