"""The directory as Alta imported it: each run of the import, every user account it saw
(keyed by objectGUID), what changed between runs, and the proposed links to people."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base

# Import runs.
RUNNING, COMPLETE, FAILED = "running", "complete", "failed"
RUN_LABELS = {RUNNING: "En curso", COMPLETE: "Completa", FAILED: "Interrumpida"}

# What an imported account is for Alta.
UNLINKED, PROPOSED, LINKED, SERVICE, SHARED = "unlinked", "proposed", "linked", "service", \
    "shared"
LINK_LABELS = {UNLINKED: "Sin persona", PROPOSED: "Con candidatos", LINKED: "Vinculada",
               SERVICE: "Cuenta de servicio", SHARED: "Cuenta compartida"}
# How a link was made.
BY_CURP, BY_NAME, BY_HAND, BY_ALTA = "curp", "name", "manual", "alta"

# Changes seen by an import run.
RENAMED, DELETED, REAPPEARED = "renamed", "deleted", "reappeared"
CHANGE_LABELS = {RENAMED: "Renombrada o movida", DELETED: "Ya no está en el directorio",
                 REAPPEARED: "Volvió a aparecer"}

# A name candidate.
CANDIDATE, REJECTED = "candidate", "rejected"


class ImportRun(Base):
    """One run of the directory import: where it read, how far it got, what it found."""

    __tablename__ = "directory_import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    base_dn: Mapped[str] = mapped_column(String(1000), comment="Where the search started")
    status: Mapped[str] = mapped_column(String(10), comment="running | complete | failed")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    started_by: Mapped[str] = mapped_column(String(120))
    seen: Mapped[int] = mapped_column(default=0, comment="Accounts read so far")
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0, comment="Seen before, something changed")
    renamed: Mapped[int] = mapped_column(default=0)
    deleted: Mapped[int] = mapped_column(
        default=0, comment="Seen before under this base, not in this complete run")
    linked: Mapped[int] = mapped_column(default=0, comment="Linked by CURP after the run")
    proposed: Mapped[int] = mapped_column(default=0, comment="Given name candidates")
    error: Mapped[str | None] = mapped_column(String(500), comment="Why it stopped (Spanish)")

    @property
    def status_label(self) -> str:
        """The state in Spanish."""
        return RUN_LABELS.get(self.status, self.status)


class ImportedAccount(Base):
    """A user account of the directory, as the newest run that saw it read it."""

    __tablename__ = "directory_imported_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_guid: Mapped[str] = mapped_column(String(36), unique=True,
                                             comment="The account's identity")
    sam_account_name: Mapped[str] = mapped_column(String(256), index=True)
    dn: Mapped[str] = mapped_column(String(1000), comment="As returned; never compared")
    dn_key: Mapped[str] = mapped_column(
        String(1000), comment="The DN parsed, lower-case, no spaces: compared, never shown")
    ou: Mapped[str] = mapped_column(String(1000), comment="The DN's container (filters)")
    enabled: Mapped[bool]
    groups_json: Mapped[str] = mapped_column(Text, comment="JSON list of memberOf DNs")
    when_created: Mapped[datetime | None]
    last_logon_at: Mapped[datetime | None] = mapped_column(comment="lastLogonTimestamp")
    expires_at: Mapped[datetime | None] = mapped_column(comment="accountExpires; NULL: never")
    curp: Mapped[str | None] = mapped_column(String(40), index=True,
                                             comment="The configured CURP attribute")
    given_name: Mapped[str | None] = mapped_column(String(256))
    surname: Mapped[str | None] = mapped_column(String(256))
    display_name: Mapped[str | None] = mapped_column(String(256))
    first_seen_run_id: Mapped[int] = mapped_column(ForeignKey("directory_import_runs.id"))
    last_seen_run_id: Mapped[int] = mapped_column(ForeignKey("directory_import_runs.id"),
                                                  index=True)
    last_seen_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None] = mapped_column(
        comment="A complete run of its base no longer saw it")
    link_status: Mapped[str] = mapped_column(
        String(10), comment="unlinked | proposed | linked | service | shared")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    link_method: Mapped[str | None] = mapped_column(
        String(10), comment="curp | name | manual | alta")
    link_score: Mapped[int | None]
    linked_at: Mapped[datetime | None]
    linked_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (Index("ix_directory_imported_accounts_link_status", "link_status"),)

    @property
    def groups(self) -> list[str]:
        """memberOf DNs."""
        return list(json.loads(self.groups_json or "[]"))

    @property
    def link_label(self) -> str:
        """What the account is for Alta, in Spanish."""
        return LINK_LABELS.get(self.link_status, self.link_status)


class ImportChange(Base):
    """A rename, move, disappearance or return seen by an import run."""

    __tablename__ = "directory_import_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("directory_import_runs.id"), index=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("directory_imported_accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), comment="renamed | deleted | reappeared")
    old_sam_account_name: Mapped[str | None] = mapped_column(String(256))
    new_sam_account_name: Mapped[str | None] = mapped_column(String(256))
    old_dn: Mapped[str | None] = mapped_column(String(1000))
    new_dn: Mapped[str | None] = mapped_column(String(1000))
    occurred_at: Mapped[datetime]

    @property
    def kind_label(self) -> str:
        """The change in Spanish."""
        return CHANGE_LABELS.get(self.kind, self.kind)


class LinkCandidate(Base):
    """A person whose name matches an unlinked account, with how well (0–100)."""

    __tablename__ = "directory_link_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("directory_imported_accounts.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    score: Mapped[int] = mapped_column(comment="100: the same full name once folded")
    reason: Mapped[str] = mapped_column(String(40), comment="Which rule matched")
    status: Mapped[str] = mapped_column(String(10), comment="candidate | rejected")
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("account_id", "person_id"),)
