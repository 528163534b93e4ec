"""Database: engine, one session per application context, commit with after-commit hooks.

Services flush, never commit; the view or the CLI command commits once. Side effects that
must not run inside an open transaction (e-mail, LDAP) are queued as jobs, or registered with
``after_commit``.

SQLite (the embedded default) runs every transaction as ``BEGIN IMMEDIATE``: writers are
serialized, so counters (folios, oficio numbers) and the audit chain stay consistent without
row locks. PostgreSQL (production) uses row locks where it matters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from provisioning.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone, so store UTC naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use provisioning.timeutil.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def normalize_url(url: str) -> str:
    """Use the psycopg (v3) driver for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine with Alta's per-backend settings."""
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )
        _make_sqlite_serial(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _make_sqlite_serial(engine: Engine) -> None:
    """Take the write lock at BEGIN so concurrent writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine and session factory of one application."""

    def __init__(self, settings: Settings) -> None:
        self.engine = make_engine(settings.database.url, echo=settings.database.echo)
        self.sessionmaker: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name


def init_app(app: Flask, settings: Settings) -> None:
    """Attach the database to ``app`` and close the session at the end of each context."""
    app.extensions["alta.db"] = Database(settings)
    app.teardown_appcontext(_close_session)


def database() -> Database:
    """The current application's Database."""
    return current_app.extensions["alta.db"]


def session() -> Session:
    """The session of the current application context (created on first use)."""
    if "alta_session" not in g:
        g.alta_session = database().sessionmaker()
    return g.alta_session


def commit() -> None:
    """Commit the current session, then run the callbacks registered with after_commit."""
    current = session()
    current.commit()
    callbacks = current.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


def rollback() -> None:
    """Roll back the current session and forget what was queued for its commit.

    ``session.info`` holds only transaction-scoped state (after-commit callbacks, queued
    audit events), so all of it goes, even when no SQL had been sent yet.
    """
    current = session()
    current.rollback()
    current.info.clear()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed (never if it rolls back)."""
    session().info.setdefault("after_commit", []).append(callback)


_MAX_ID = 2**63 - 1


def get(model: type[Any], ident: Any) -> Any:
    """Row of ``model`` with primary key ``ident``, or None (also for ids no column can hold)."""
    if isinstance(ident, int) and not 0 < ident <= _MAX_ID:
        return None
    return session().get(model, ident)


def discard_session() -> None:
    """Drop the current session after its connection failed; the next use opens a new one."""
    current = g.pop("alta_session", None)
    if current is not None:
        try:
            current.close()
        except SQLAlchemyError:  # the connection is already gone; nothing left to release
            current.invalidate()


def _close_session(_exc: BaseException | None) -> None:
    current = g.pop("alta_session", None)
    if current is not None:
        current.close()


def alembic_config(url: str) -> Any:
    """An Alembic Config for the project's migrations against ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` up to ``revision`` (the only way the schema is created)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema at ``url`` down to ``revision``."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


# What the application's own role may do (PostgreSQL): read and write the data, never own
# the tables, so it can neither drop nor disable the triggers that keep the audit log
# append-only (TRUNCATE, which skips row triggers, is not granted either). Audit events are
# never updated; checkpoints and the head are never deleted; retention's DELETE of old
# events and the re-sign's UPDATE of checkpoints stay under those triggers.
APP_ROLE_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} FROM {role}",
    "REVOKE UPDATE ON audit_events FROM {role}",
    "REVOKE DELETE ON audit_checkpoints FROM {role}",
    "REVOKE INSERT, DELETE ON audit_head FROM {role}",
    "REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
)


def grant_app_role(connection: Any, role: str) -> list[str]:
    """Give ``role`` the application's privileges on every table (run as the tables'
    owner after each ``alta db upgrade``); returns the statements run.

    Raises LookupError when the role does not exist, ValueError off PostgreSQL.
    """
    if connection.dialect.name != "postgresql":
        raise ValueError("only PostgreSQL has roles")
    from sqlalchemy import text

    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                {"r": role}).scalar()
    if not exists:
        raise LookupError(role)
    quote = connection.dialect.identifier_preparer.quote_identifier
    schema = connection.execute(text("SELECT current_schema()")).scalar()
    statements = [s.format(schema=quote(schema), role=quote(role)) for s in APP_ROLE_GRANTS]
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements

