"""An access review campaign, its units, the accounts each unit head answers for, and the
reminders and escalations already sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

# Campaign statuses.
PROGRAMADA = "programada"  # a recurrence: opened (snapshot taken) on its start date
ABIERTA = "abierta"  # unit heads answer
CERRADA = "cerrada"  # IT closed and signed it; the report is final
CAMPAIGN_LABELS = {PROGRAMADA: "Programada", ABIERTA: "Abierta", CERRADA: "Cerrada"}

# Item decisions.
PENDIENTE = "pendiente"
CONFIRMADA = "confirmada"
REVOCADA = "revocada"
DECISION_LABELS = {PENDIENTE: "Sin respuesta", CONFIRMADA: "Confirmada",
                   REVOCADA: "Revocada (baja)"}

# ReviewNotice.stage of the escalation (reminders use the days before the deadline).
ESCALATION = -1


class Campaign(Base):
    """One access review (ISO 27002 «review of user access rights»): IT opens it for all
    units or some, with a deadline; a recurrence schedules the next one when it closes."""

    __tablename__ = "review_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    folio: Mapped[str] = mapped_column(String(30), unique=True, comment="REVISION-<año>-<n>")
    status: Mapped[str] = mapped_column(String(20), comment="programada | abierta | cerrada")
    all_units: Mapped[bool] = mapped_column(Boolean, comment="Every unit of the catalog")
    unit_list: Mapped[str | None] = mapped_column(
        Text, comment="JSON list of the CLUES chosen (when not all units)")
    starts_on: Mapped[date] = mapped_column(Date, comment="Local date it opens")
    deadline: Mapped[date] = mapped_column(Date, comment="Last local day to answer")
    recurrence_months: Mapped[int | None] = mapped_column(
        comment="Months between campaigns; NULL: no next one")
    reminder_days: Mapped[str] = mapped_column(
        String(40), comment="Comma-separated days before the deadline to remind, e.g. 7,2")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    opened_at: Mapped[datetime | None] = mapped_column(comment="Snapshot taken")
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_campaigns.id"), comment="The campaign this one recurs from")
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(40))
    signer_name: Mapped[str | None] = mapped_column(String(120))
    signer_position: Mapped[str | None] = mapped_column(String(120))
    signer_ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(
        Text, comment="Canonical JSON of the results signed at closing")

    @property
    def status_label(self) -> str:
        """The status in Spanish."""
        return CAMPAIGN_LABELS.get(self.status, self.status)


class ReviewUnit(Base):
    """One unit of a campaign: whose head answers, and when every account was answered."""

    __tablename__ = "review_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("review_campaigns.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unit_clues: Mapped[str] = mapped_column(String(11), index=True)
    jurisdiction_code: Mapped[str] = mapped_column(String(8), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(comment="Last account answered")

    __table_args__ = (
        Index("uq_review_units_campaign_unit", "campaign_id", "unit_clues", unique=True),
    )


class ReviewItem(Base):
    """One account to confirm or revoke, as it was when the campaign opened."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_unit_id: Mapped[int] = mapped_column(
        ForeignKey("review_units.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    object_guid: Mapped[str] = mapped_column(String(36))
    sam_account_name: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(
        String(20), comment="How Alta knows the account (people.accounts origin)")
    decision: Mapped[str] = mapped_column(String(20),
                                          comment="pendiente | confirmada | revocada")
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_name: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decided_ip: Mapped[str | None] = mapped_column(String(45))
    content_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the canonical answer (TOTP step-up)")
    baja_id: Mapped[int | None] = mapped_column(ForeignKey("bajas.id"),
                                                comment="The baja a revocation started")

    __table_args__ = (
        Index("uq_review_items_unit_guid", "review_unit_id", "object_guid", unique=True),
    )

    @property
    def decision_label(self) -> str:
        """The decision in Spanish."""
        return DECISION_LABELS.get(self.decision, self.decision)


class ReviewNotice(Base):
    """A reminder (``stage`` = days before the deadline) or the escalation (``stage`` = -1)
    sent for one unit: never twice."""

    __tablename__ = "review_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_unit_id: Mapped[int] = mapped_column(
        ForeignKey("review_units.id", ondelete="CASCADE"))
    stage: Mapped[int] = mapped_column(comment="Days before the deadline; -1: escalation")
    sent_at: Mapped[datetime]

    __table_args__ = (
        Index("uq_review_notices_unit_stage", "review_unit_id", "stage", unique=True),
    )
