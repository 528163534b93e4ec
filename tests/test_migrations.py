"""The schema comes only from the migrations: they match the models, and go down and up."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import provisioning.models  # noqa: F401
from provisioning import db
from provisioning.db import Base


def _column_names(engine, table: str) -> set[str]:
    import sqlalchemy as sa

    with engine.connect() as connection:
        return {c["name"] for c in sa.inspect(connection).get_columns(table)}


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


def test_links_made_before_adoption_become_adopted_accounts(databases) -> None:
    # 0860: an imported account linked to a person before it becomes one of the person's
    # directory accounts (origin imported, no request); one Alta made is not duplicated.
    import sqlalchemy as sa

    url = databases.copy()
    db.downgrade(url, "0850")
    engine = db.make_engine(url)
    now = "2026-12-01 10:00:00"
    with engine.begin() as connection:
        unit_id, clues, jurisdiction = connection.execute(sa.text(
            "SELECT id, clues, jurisdiction_code FROM units ORDER BY id LIMIT 1")).one()
        person = connection.execute(sa.text(
            "INSERT INTO people (curp, nombres, primer_apellido, unit_id, unit_clues, "
            "jurisdiction_code, staff_type_code, created_at, updated_at) VALUES ("
            "'ROSA800101MMSNRS09', 'ROSA', 'NAVA', :unit, :clues, :jur, 'medico', :now, :now)"
            " RETURNING id"), {"unit": unit_id, "clues": clues, "jur": jurisdiction,
                               "now": now}).scalar()
        run = connection.execute(sa.text(
            "INSERT INTO directory_import_runs (base_dn, status, started_at, started_by, seen,"
            " added, updated, renamed, deleted, linked, proposed) VALUES ('DC=ssm,DC=test', "
            "'complete', :now, 'prueba', 2, 2, 0, 0, 0, 1, 0) RETURNING id"),
            {"now": now}).scalar()
        for guid, sam, status, method in (("g-1", "rnava", "linked", "curp"),
                                          ("g-2", "impresora", "service", "manual")):
            connection.execute(sa.text(
                "INSERT INTO directory_imported_accounts (object_guid, sam_account_name, dn, "
                "dn_key, ou, enabled, groups_json, first_seen_run_id, last_seen_run_id, "
                "last_seen_at, link_status, person_id, link_method, link_score, linked_at, "
                "linked_by) VALUES (:guid, :sam, 'CN=x,DC=ssm,DC=test', 'cn=x,dc=ssm,dc=test',"
                " 'DC=ssm,DC=test', true, '[]', :run, :run, :now, :status, :person, :method, "
                "100, :now, 'prueba')"),
                {"guid": guid, "sam": sam, "run": run, "now": now, "status": status,
                 "person": person if status == "linked" else None, "method": method})
    db.upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT person_id, object_guid, sam_account_name, origin, request_id "
            "FROM directory_accounts")).all()
    assert [tuple(r) for r in rows] == [(person, "g-1", "rnava", "imported", None)]
    db.downgrade(url, "0850")
    with engine.connect() as connection:
        assert connection.execute(sa.text(
            "SELECT count(*) FROM directory_accounts")).scalar() == 0
    engine.dispose()


def test_the_head_learns_the_newest_checkpoint_time(databases) -> None:
    # 0890: whether a periodic checkpoint is due is read from the head; a database upgraded
    # with checkpoints starts from its newest one, and going down keeps the head's guards.
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    url = databases.copy()
    db.downgrade(url, "0880")
    engine = db.make_engine(url)
    with engine.begin() as connection:
        newest = connection.execute(sa.text(
            "SELECT created_at FROM audit_checkpoints ORDER BY number DESC LIMIT 1")).scalar()
    assert newest is not None  # the template signs one when it loads the catalogs
    db.upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text(
            "SELECT checkpoint_at FROM audit_head")).scalar() == newest
    db.downgrade(url, "0880")
    assert "checkpoint_at" not in _column_names(engine, "audit_head")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_head SET seq = seq - 1"))
    except DBAPIError as refused:
        assert "seq never goes back" in str(refused)
    else:
        raise AssertionError("the head's guard trigger is gone")
    engine.dispose()


def test_people_are_searchable_after_the_upgrade(databases) -> None:
    # 0900: people who were there before the search column are found by it after.
    import sqlalchemy as sa

    url = databases.copy()
    db.downgrade(url, "0890")
    engine = db.make_engine(url)
    with engine.begin() as connection:
        unit_id, clues, jurisdiction = connection.execute(sa.text(
            "SELECT id, clues, jurisdiction_code FROM units ORDER BY id LIMIT 1")).one()
        connection.execute(sa.text(
            "INSERT INTO people (curp, nombres, primer_apellido, segundo_apellido, unit_id, "
            "unit_clues, jurisdiction_code, staff_type_code, created_at, updated_at) VALUES ("
            "'NUPA800101MMSXRS09', 'ÁNGELA', 'NÚÑEZ', NULL, :unit, :clues, :jur, 'medico', "
            "'2026-12-01 10:00:00', '2026-12-01 10:00:00')"),
            {"unit": unit_id, "clues": clues, "jur": jurisdiction})
    db.upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT search_text FROM people")).scalar() == (
            "nupa800101mmsxrs09 angela nunez")
    db.downgrade(url, "0890")
    assert "search_text" not in _column_names(engine, "people")
    engine.dispose()
