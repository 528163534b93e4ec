"""Staff tables: accounts, their scoped roles and one-time recovery codes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioning.db import Base


class Role(enum.StrEnum):
    """What a staff member may do; a person may hold several."""

    JEFE_UNIDAD = "jefe_unidad"
    RESPONSABLE_JURISDICCIONAL = "responsable_jurisdiccional"
    ENLACE = "enlace"
    INFORMATICA = "informatica"
    JEFE_INFORMATICA = "jefe_informatica"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """Spanish name of the role."""
        return ROLE_LABELS[self]

    @property
    def scope(self) -> str | None:
        """'unit', 'jurisdiction' or None (service-wide)."""
        return ROLE_SCOPES.get(self)


ROLE_LABELS = {
    Role.JEFE_UNIDAD: "Jefe(a) de unidad",
    Role.RESPONSABLE_JURISDICCIONAL: "Responsable jurisdiccional",
    Role.ENLACE: "Enlace jurisdiccional",
    Role.INFORMATICA: "Departamento de Informática",
    Role.JEFE_INFORMATICA: "Jefe(a) del Departamento de Informática",
    Role.AUDITOR: "Auditor(a)",
    Role.ADMIN: "Administrador(a)",
}
ROLE_SCOPES = {
    Role.JEFE_UNIDAD: "unit",
    Role.RESPONSABLE_JURISDICCIONAL: "jurisdiction",
    Role.ENLACE: "jurisdiction",
}


def _enum_values(cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in cls]


class StaffUser(Base):
    """A person who works in Alta (never an applicant)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    position: Mapped[str] = mapped_column(String(120), default="", comment="Cargo, for oficios")
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(
        default=True, comment="Set when an administrator chose the password"
    )
    totp_secret_sealed: Mapped[str | None] = mapped_column(
        Text, comment="TOTP seed, encrypted (crypto.Sealer); NULL until enrolled"
    )
    totp_pending_sealed: Mapped[str | None] = mapped_column(
        Text, comment="Seed offered during enrolment, encrypted; cleared when confirmed"
    )
    totp_enrolled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(
        BigInteger, comment="Last accepted 30-second step: an older or equal code is a replay"
    )
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(
        default=1, comment="Bumped to end every open session (password reset, deactivation)"
    )
    created_at: Mapped[datetime]

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", order_by="StaffRole.id"
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )

    @property
    def totp_enrolled(self) -> bool:
        """True once the person confirmed a TOTP code."""
        return self.totp_secret_sealed is not None


class StaffRole(Base):
    """One role of a staff member, with its scope (a unit's CLUES or a jurisdiction)."""

    __tablename__ = "staff_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=40, values_callable=_enum_values,
             validate_strings=True)
    )
    unit_clues: Mapped[str | None] = mapped_column(String(11))
    jurisdiction_code: Mapped[str | None] = mapped_column(String(8))

    staff: Mapped[StaffUser] = relationship(back_populates="roles")

    __table_args__ = (
        Index("ix_staff_roles_unique", "staff_id", "role", "unit_clues", "jurisdiction_code",
              unique=True),
    )


class RecoveryCode(Base):
    """A one-time code to sign in without the authenticator (argon2 hash only)."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(200))
    used_at: Mapped[datetime | None]

    staff: Mapped[StaffUser] = relationship(back_populates="recovery_codes")
