"""The IT step's tables: the batches IT queued and the existing accounts waiting for IT to
confirm a link (the account itself is the person's: ``people.accounts``)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

# What IT decided about an existing account (superseded: the account changed meanwhile).
PENDING, CONFIRMED, REJECTED, SUPERSEDED = "pending", "confirmed", "rejected", "superseded"


class ProvisioningBatch(Base):
    """A set of requests IT sent to the directory with one action (its progress page)."""

    __tablename__ = "directory_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    request_ids_json: Mapped[str] = mapped_column(Text, comment="JSON list of request ids")

    @property
    def request_ids(self) -> list[int]:
        """The requests of the batch."""
        return [int(i) for i in json.loads(self.request_ids_json)]


class LinkReview(Base):
    """An existing account with the person's CURP that provisioning did not link on its own.

    It was disabled, had adminCount=1 or lived outside Alta's OUs; the job waits until an
    IT user confirms the link (with a fresh TOTP code) or rejects it. What the DC showed
    when the job stopped is kept, so IT decides on what was seen. At most one is pending
    per request.
    """

    __tablename__ = "directory_link_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("account_requests.id", ondelete="CASCADE"), index=True)
    object_guid: Mapped[str] = mapped_column(String(36), comment="The account's identity")
    sam_account_name: Mapped[str] = mapped_column(String(256))
    dn: Mapped[str] = mapped_column(String(1000), comment="As returned; never compared")
    user_account_control: Mapped[int]
    admin_count: Mapped[int]
    reasons: Mapped[str] = mapped_column(
        String(100), comment="Sorted, comma-separated: admin, disabled, outside_ou")
    found_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(
        String(12), comment="pending | confirmed | rejected | superseded")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]
    decided_ip: Mapped[str | None] = mapped_column(String(45))
    decision_reason: Mapped[str | None] = mapped_column(String(500), comment="Why rejected")

    __table_args__ = (
        Index("uq_directory_link_reviews_pending", "request_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    @property
    def concerns(self) -> frozenset[str]:
        """The reasons as a set."""
        return frozenset(r for r in self.reasons.split(",") if r)
