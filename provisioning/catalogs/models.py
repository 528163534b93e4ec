"""Catalog tables. Every row is versioned: it is valid from ``valid_from`` until ``valid_to``.

A new version of a catalog closes the rows that changed or disappeared and adds new rows, so
a request keeps pointing at the unit exactly as it was when it was submitted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class Versioned:
    """Validity columns shared by every catalog row."""

    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, comment="First day it no longer applies")
    version: Mapped[str] = mapped_column(String(40), comment="Catalog version it came from")


class Jurisdiction(Versioned, Base):
    """A jurisdicción sanitaria (I Cuernavaca, II Jojutla, III Cuautla)."""

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), comment="Roman numeral used in oficios: I, II…")
    name: Mapped[str] = mapped_column(String(120))
    dgis_code: Mapped[str | None] = mapped_column(String(8), comment="Key in the DGIS CLUES file")
    seat: Mapped[str | None] = mapped_column(String(120), comment="City used in oficio dates")

    __table_args__ = (Index("ix_jurisdictions_code", "code", "valid_from", unique=True),)


class Unit(Versioned, Base):
    """A health establishment or office, keyed by CLUES."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    clues: Mapped[str] = mapped_column(String(11))
    name: Mapped[str] = mapped_column(String(200))
    unit_type: Mapped[str] = mapped_column(
        String(40), comment="centro_de_salud | hospital | oficinas_centrales"
    )
    jurisdiction_code: Mapped[str] = mapped_column(String(8))
    municipio_code: Mapped[str] = mapped_column(String(5), comment="INEGI key, e.g. 17007")
    municipio_name: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        Index("ix_units_clues", "clues", "valid_from", unique=True),
        Index("ix_units_jurisdiction_code", "jurisdiction_code"),
    )


class OrgUnit(Versioned, Base):
    """A dirección or subdirección of the form's DIRECCIÓN DE ADSCRIPCIÓN / SUBDIRECCIÓN."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), comment="direccion | subdireccion")
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (Index("ix_org_units_code", "kind", "code", "valid_from", unique=True),)


class StaffType(Versioned, Base):
    """Tipo de personal (médico, enfermería, administrativo, …)."""

    __tablename__ = "staff_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))

    __table_args__ = (Index("ix_staff_types_code", "code", "valid_from", unique=True),)


class Nationality(Versioned, Base):
    """Nacionalidad (NACORIGEN of NOM-024 Tabla 1), with RENAPO's three-letter key."""

    __tablename__ = "nationalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), comment="RENAPO key, e.g. MEX")
    name: Mapped[str] = mapped_column(String(120))

    __table_args__ = (Index("ix_nationalities_code", "code", "valid_from", unique=True),)


class CatalogLoad(Base):
    """One load of a catalog file: what it brought and when."""

    __tablename__ = "catalog_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    added: Mapped[int]
    closed: Mapped[int]
    unchanged: Mapped[int]
    loaded_by: Mapped[str] = mapped_column(String(120))
    loaded_at: Mapped[datetime]
