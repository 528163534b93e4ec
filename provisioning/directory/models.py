"""Directory tables: the AD account of each request, and the batches IT queued."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

CREATED, LINKED = "created", "linked"


class DirectoryAccount(Base):
    """The Active Directory account of a request, as the DC reported it."""

    __tablename__ = "directory_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("account_requests.id", ondelete="CASCADE"), unique=True,
        comment="One account per request; a second recording is refused")
    # Indexed: people type it on the public activation and pre-registration pages.
    sam_account_name: Mapped[str] = mapped_column(String(20), index=True)
    user_principal_name: Mapped[str] = mapped_column(String(300))
    object_guid: Mapped[str] = mapped_column(
        String(36), index=True, comment="The account's identity; the DN may change")
    dn: Mapped[str] = mapped_column(String(1000), comment="As returned; never compared")
    origin: Mapped[str] = mapped_column(
        String(10), comment="created: made by Alta; linked: the CURP already had an account")
    created_at: Mapped[datetime]

    @property
    def created(self) -> bool:
        """True when Alta made the account (False: it existed and was linked)."""
        return self.origin == CREATED


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
