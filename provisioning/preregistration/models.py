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


class SignInThrottle(Base):
    """Failed pre-registration sign-ins of one typed user name, and how long it must wait.

    Kept for every name typed, whether an account has it or not, so that waiting tells an
    attacker nothing. The attempt is counted before the bind: nothing reaches the DC while
    the name waits. A day without attempts forgets the failures.
    """

    __tablename__ = "preregistration_sign_in_throttles"

    name_key: Mapped[str] = mapped_column(
        String(64), primary_key=True,
        comment="SHA-256 (hex) of the user name as typed, in lower case (known or not)")
    failures: Mapped[int] = mapped_column(comment="Attempts since the last sign-in")
    blocked_until: Mapped[datetime | None] = mapped_column(
        comment="No attempt reaches the domain controller before this moment")
    updated_at: Mapped[datetime] = mapped_column(index=True)
