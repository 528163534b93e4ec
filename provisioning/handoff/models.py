"""Hand-off tables: the hops of the chain of custody and the activation codes delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from provisioning.db import Base

# Hops of the chain of custody, in order (DOMAIN.md §1 steps 4-5, observación 6).
IT_TO_LIAISON = "informatica_enlace"
LIAISON_TO_HOLDER = "enlace_entrega"
HOPS = {IT_TO_LIAISON: 1, LIAISON_TO_HOLDER: 2}


class CustodyTransfer(Base):
    """One hop of the chain of custody: accounts handed by one holder to the next.

    The giver releases them (for the first hop, by signing IT's reply oficio) and the receiver
    confirms the receipt; both confirm with a fresh TOTP code. Until the receipt the accounts
    are in transit; after it, the receiver holds them.
    """

    __tablename__ = "custody_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(30), comment="informatica_enlace | enlace_entrega")
    oficio_id: Mapped[int | None] = mapped_column(
        ForeignKey("oficios.id"), comment="IT's reply oficio (first hop only)")
    from_role: Mapped[str] = mapped_column(String(40))
    released_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    released_by_name: Mapped[str] = mapped_column(String(120))
    released_at: Mapped[datetime]
    released_ip: Mapped[str | None] = mapped_column(String(45))
    to_role: Mapped[str] = mapped_column(String(40), comment="Role that receives the accounts")
    to_unit_clues: Mapped[str | None] = mapped_column(String(11), comment="Receiver's unit")
    to_jurisdiction_code: Mapped[str | None] = mapped_column(
        String(8), comment="Receiver's jurisdiction")
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    received_by_name: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime | None]
    received_ip: Mapped[str | None] = mapped_column(String(45))
    version: Mapped[int] = mapped_column(comment="Optimistic lock: one receipt only")

    items: Mapped[list[CustodyItem]] = relationship(
        back_populates="transfer", order_by="CustodyItem.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        Index("ix_custody_transfers_receiver", "to_role", "to_jurisdiction_code",
              "to_unit_clues"),
    )

    @property
    def received(self) -> bool:
        """True once the receiver confirmed the receipt."""
        return self.received_at is not None


class CustodyItem(Base):
    """One account in a hop. A request passes each hop at most once (unique hop number)."""

    __tablename__ = "custody_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(
        ForeignKey("custody_transfers.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("account_requests.id", ondelete="CASCADE"))
    folio: Mapped[str] = mapped_column(String(30))
    hop: Mapped[int] = mapped_column(comment="1: IT → liaison; 2: liaison → final holder")

    transfer: Mapped[CustodyTransfer] = relationship(back_populates="items")

    __table_args__ = (
        UniqueConstraint("request_id", "hop", name="uq_custody_items_request_hop"),
    )


class ActivationCode(Base):
    """An activation code delivered in person, and the receipt of that delivery.

    Only the argon2id hash of the code is kept. A re-issue revokes the live code first; at
    most one code per request is live (neither used nor revoked) at any time. Wrong codes
    typed with the holder's CURP make it wait (``blocked_until``), never stop for good.
    """

    __tablename__ = "activation_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("account_requests.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200), comment="argon2id; never the code")
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(
        comment="Wrong codes typed with the holder's user name and CURP")
    blocked_until: Mapped[datetime | None] = mapped_column(
        comment="Backoff: no try is taken before this")
    used_at: Mapped[datetime | None] = mapped_column(comment="Activation done with it")
    revoked_at: Mapped[datetime | None] = mapped_column(comment="Replaced by a re-issue")
    delivered_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    delivered_by_name: Mapped[str] = mapped_column(String(120))
    delivered_by_role: Mapped[str] = mapped_column(String(40))
    delivered_ip: Mapped[str | None] = mapped_column(String(45))
    id_document: Mapped[str] = mapped_column(
        String(40), comment="Kind of official ID shown (ine, pasaporte…); never its number")
    reissue_reason: Mapped[str | None] = mapped_column(String(500))
    sheet_sealed: Mapped[str | None] = mapped_column(
        Text, comment="The code sealed with [security].data_key, only for the holder's "
                      "printable sheet; wiped when used, replaced, closed or past sheet_until")
    sheet_until: Mapped[datetime | None] = mapped_column(
        comment="The holder may reopen the sheet until then ([handoff].sheet_minutes)")

    __table_args__ = (
        Index("uq_activation_codes_live", "request_id", unique=True,
              sqlite_where=text("used_at IS NULL AND revoked_at IS NULL"),
              postgresql_where=text("used_at IS NULL AND revoked_at IS NULL")),
    )
