"""A baja: who asked for it, why, from when, its signatures and what the DC was told."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

# Statuses of a baja.
SOLICITADA = "solicitada"  # waiting for its signatures (rules.BAJA_CHAIN)
PROGRAMADA = "programada"  # signed: the job disables the account on the effective date
EJECUTADA = "ejecutada"  # the account is disabled, out of Alta's groups, in the bajas OU
CANCELADA = "cancelada"  # withdrawn before it ran
OPEN = (SOLICITADA, PROGRAMADA)
STATUS_LABELS = {SOLICITADA: "Por firmar", PROGRAMADA: "Programada",
                 EJECUTADA: "Ejecutada", CANCELADA: "Cancelada"}


class Baja(Base):
    """The end of a person's access: their directory account disabled, never deleted here.

    At most one open baja per person (the database refuses a second: the same baja sent
    twice). The unit, jurisdiction and account are those of the day it was started.
    """

    __tablename__ = "bajas"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(30), unique=True, comment="BAJA-<año>-<n>")
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    object_guid: Mapped[str] = mapped_column(String(36), index=True,
                                             comment="The account the baja disables")
    sam_account_name: Mapped[str] = mapped_column(
        String(20), comment="As recorded when started; blanked by retention")
    unit_clues: Mapped[str] = mapped_column(String(11), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(8), index=True)
    reason_code: Mapped[str] = mapped_column(String(30), comment="rules.REASONS")
    reason_detail: Mapped[str | None] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date, comment="Local date it takes effect")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False,
                                         comment="Executed at once by IT (TOTP, reason)")
    status: Mapped[str] = mapped_column(String(20), comment="solicitada | programada | "
                                                            "ejecutada | cancelada")
    started_by: Mapped[str] = mapped_column(String(40))
    started_role: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    scheduled_at: Mapped[datetime | None] = mapped_column(comment="Signed: job queued")
    executed_at: Mapped[datetime | None]
    removed_groups: Mapped[str | None] = mapped_column(
        Text, comment="JSON list of the group DNs the account left")
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(40))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_bajas_open_person", "person_id", unique=True,
              sqlite_where=text("status IN ('solicitada', 'programada')"),
              postgresql_where=text("status IN ('solicitada', 'programada')")),
    )

    @property
    def status_label(self) -> str:
        """The status in Spanish."""
        return STATUS_LABELS.get(self.status, self.status)


class BajaSignature(Base):
    """One signature of a baja (TOTP step-up), with the SHA-256 of what was signed."""

    __tablename__ = "baja_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    baja_id: Mapped[int] = mapped_column(ForeignKey("bajas.id", ondelete="CASCADE"),
                                         index=True)
    step: Mapped[str] = mapped_column(String(40), comment="rules.Step.code")
    signer_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    signer_username: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_position: Mapped[str] = mapped_column(String(120))
    signer_role: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, comment="Canonical JSON signed; blanked by "
                                                       "retention (the hash stays)")

    __table_args__ = (
        Index("uq_baja_signatures_step", "baja_id", "step", unique=True),
    )


CAMBIO_STATUS_LABELS = {SOLICITADA: "Por firmar", PROGRAMADA: "Programado",
                        EJECUTADA: "Ejecutado", CANCELADA: "Cancelado"}


class Cambio(Base):
    """A cambio de adscripción: the person moves to another unit (maybe another
    jurisdiction). The receiving unit head signs; the job moves the account on the DC
    (same objectGUID) and recomputes its groups; then the person belongs to the new unit.
    At most one open cambio per person."""

    __tablename__ = "cambios"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(30), unique=True, comment="CAMBIO-<año>-<n>")
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    object_guid: Mapped[str] = mapped_column(String(36), index=True)
    from_unit_clues: Mapped[str] = mapped_column(String(11), index=True)
    from_jurisdiction_code: Mapped[str] = mapped_column(String(8), index=True)
    to_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    to_unit_clues: Mapped[str] = mapped_column(String(11), index=True)
    to_jurisdiction_code: Mapped[str] = mapped_column(String(8), index=True)
    reason_detail: Mapped[str | None] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), comment="solicitada | programada | "
                                                            "ejecutada | cancelada")
    started_by: Mapped[str] = mapped_column(String(40))
    started_role: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    signer_username: Mapped[str | None] = mapped_column(String(40))
    signer_name: Mapped[str | None] = mapped_column(String(120))
    signer_position: Mapped[str | None] = mapped_column(String(120))
    signed_at: Mapped[datetime | None]
    signer_ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text, comment="Canonical JSON signed")
    executed_at: Mapped[datetime | None]
    groups_added: Mapped[str | None] = mapped_column(Text, comment="JSON list of DNs")
    groups_removed: Mapped[str | None] = mapped_column(Text, comment="JSON list of DNs")
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(40))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_cambios_open_person", "person_id", unique=True,
              sqlite_where=text("status IN ('solicitada', 'programada')"),
              postgresql_where=text("status IN ('solicitada', 'programada')")),
    )

    @property
    def status_label(self) -> str:
        """The status in Spanish."""
        return CAMBIO_STATUS_LABELS.get(self.status, self.status)


class Extension(Base):
    """A prórroga: the unit head signs (TOTP) a later last day for temporary staff; a job
    moves the account's accountExpires to it."""

    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(30), unique=True, comment="PRORROGA-<año>-<n>")
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    object_guid: Mapped[str] = mapped_column(String(36), index=True)
    unit_clues: Mapped[str] = mapped_column(String(11), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(8), index=True)
    old_end_date: Mapped[date] = mapped_column(Date)
    new_end_date: Mapped[date] = mapped_column(Date)
    reason_detail: Mapped[str | None] = mapped_column(Text)
    signer_username: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(120))
    signer_position: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime]
    signer_ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text, comment="Canonical JSON signed")
    executed_at: Mapped[datetime | None] = mapped_column(
        comment="The DC's accountExpires was moved to the new end")


class EndNotice(Base):
    """A notice sent before a temporary person's last day (15 and 3 business days): one per
    person, end date and stage, so the daily sweep never sends one twice."""

    __tablename__ = "end_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    end_date: Mapped[date] = mapped_column(Date)
    stage: Mapped[int] = mapped_column(comment="Business days before the end: 15 or 3")
    sent_at: Mapped[datetime]

    __table_args__ = (
        Index("uq_end_notices_person_end_stage", "person_id", "end_date", "stage",
              unique=True),
    )
