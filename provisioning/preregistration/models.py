"""The person's identification data as they completed it (NOM-024 Tabla 1)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class PreRegistration(Base):
    """Tabla 1 fields, cédula profesional and institutional phone of one request's person.

    Only what SIEMPRE's staff record needs (data minimization): nothing else is asked.
    """

    __tablename__ = "preregistrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("account_requests.id", ondelete="CASCADE"), unique=True)
    curp: Mapped[str] = mapped_column(String(18), comment="CURP (Tabla 1), as on the request")
    nombres: Mapped[str] = mapped_column(String(50), comment="NOMBRE")
    primer_apellido: Mapped[str] = mapped_column(String(50), comment="PRIMER_APELLIDO")
    segundo_apellido: Mapped[str | None] = mapped_column(String(50), comment="SEGUNDO_APELLIDO")
    fecha_nacimiento: Mapped[date] = mapped_column(Date, comment="FECNAC")
    sexo: Mapped[str] = mapped_column(String(1), comment="SEXO: H | M (as on the CURP)")
    entidad_nacimiento: Mapped[str] = mapped_column(String(2), comment="EDONAC; NE = abroad")
    nacionalidad: Mapped[str] = mapped_column(String(3), comment="NACORIGEN (RENAPO key)")
    staff_type_code: Mapped[str] = mapped_column(String(40), comment="Tipo de personal")
    cedula_profesional: Mapped[str | None] = mapped_column(String(10))
    telefono_institucional: Mapped[str] = mapped_column(String(10))
    completed_at: Mapped[datetime]
