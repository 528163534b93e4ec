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
