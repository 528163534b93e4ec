"""Gap-free counters (folios, oficio numbers) kept in the database.

The increment happens in the caller's transaction: if it rolls back, so does the number, so
numbers have no gaps; the row lock (PostgreSQL) or the write lock (SQLite) gives no
duplicates under concurrency.
"""

from __future__ import annotations

from sqlalchemy import String, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from provisioning.db import Base, session


class Counter(Base):
    """One named sequence, e.g. ``folio:MSSSA001270:2026``."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int]


def next_value(name: str) -> int:
    """Increment counter ``name`` (created at 0 on first use) and return its new value."""
    db = session()
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
    return db.execute(
        update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one()


def current_value(name: str) -> int:
    """The last value handed out (0 if none)."""
    return session().scalar(select(Counter.value).where(Counter.name == name)) or 0
