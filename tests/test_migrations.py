"""The schema comes only from the migrations: they match the models, and go down and up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import provisioning.models  # noqa: F401
from provisioning import db
from provisioning.db import Base


def test_models_match_migrations(databases) -> None:
    engine = db.make_engine(databases.copy())
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(databases) -> None:
    url = databases.copy()
    db.downgrade(url, "base")
    engine = db.make_engine(url)
    with engine.connect() as connection:
        tables = set(connection.dialect.get_table_names(connection)) - {"alembic_version"}
    engine.dispose()
    assert tables == set()
    db.upgrade(url)
    engine = db.make_engine(url)
    with engine.connect() as connection:
        tables = set(connection.dialect.get_table_names(connection))
    engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_api_clients_from_before_scopes_and_expiry_keep_reading(databases) -> None:
    # A client registered before 0650/0651 keeps exactly what it could do (status:read) and
    # gets a year from the upgrade, not from its creation (it must not stop that day).
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    url = databases.copy()
    db.downgrade(url, "0605")
    engine = db.make_engine(url)
    created = "2020-01-01 00:00:00"
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO api_clients (name, token_prefix, token_sha256, created_at, created_by)"
            " VALUES ('SIEMPRE', 'ABCDEFGHJK', :sha, :created, 'admin')"),
            {"sha": "0" * 64, "created": created})
    db.upgrade(url)
    with engine.connect() as connection:
        scopes, expires = connection.execute(sa.text(
            "SELECT scopes, token_expires_at FROM api_clients")).one()
    assert scopes == "status:read"
    if isinstance(expires, str):  # SQLite: naive UTC text
        expires = datetime.fromisoformat(expires)
    expires = expires.replace(tzinfo=UTC) if expires.tzinfo is None else expires
    assert abs(expires - (datetime.now(UTC) + timedelta(days=365))) < timedelta(minutes=5)
    db.downgrade(url, "0605")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT name FROM api_clients")).scalar() == "SIEMPRE"
    engine.dispose()
