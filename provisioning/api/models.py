"""API clients: systems allowed to ask about a person by CURP, each with its own token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base


class ApiClient(Base):
    """A calling system. Only a SHA-256 of its bearer token (and of the one it replaced,
    during the grace period of a rotation) is kept."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(12), unique=True,
                                              comment="Public part of the token, to find the row")
    token_sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the whole token")
    token_expires_at: Mapped[datetime] = mapped_column(
        comment="The token stops working at this moment")
    previous_token_prefix: Mapped[str | None] = mapped_column(
        String(12), unique=True, comment="Public part of the token the last rotation replaced")
    previous_token_sha256: Mapped[str | None] = mapped_column(
        String(64), comment="SHA-256 of the token the last rotation replaced")
    previous_token_until: Mapped[datetime | None] = mapped_column(
        comment="End of the replaced token's grace period")
    scopes: Mapped[str] = mapped_column(
        String(200), comment="Operations it may call, space-separated (e.g. status:read)")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes as a set."""
        return frozenset(self.scopes.split())
