"""PostgreSQL: the app runs as a role that does not own the tables (``alta db
grant-app-role``), so it cannot drop or disable the audit triggers, and the triggers stop
it from deleting events or moving the purge mark."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from provisioning import audit, db
from provisioning.audit.models import AuditEvent, AuditHead
from tests.support.app import PG_URL
from tests.support.audit import ACTOR, add_events


def _app_role() -> str:
    """A role that owns nothing here: a new one when the test user may create roles (rolled
    back with the test), else a predefined role the test user may SET ROLE to."""
    session = db.session()
    can_create = session.execute(text(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")).scalar()
    if can_create:
        name = f"alta_app_{uuid.uuid4().hex[:8]}"
        session.execute(text(f'CREATE ROLE "{name}" NOLOGIN'))
        return name
    name = session.execute(text(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE 'pg\\_%' AND rolname <> "
        "'pg_database_owner' AND pg_has_role(current_user, oid, 'MEMBER') ORDER BY rolname "
        "LIMIT 1")).scalar()
    if name is None:
        pytest.fail("the test user can neither create roles nor SET ROLE to a role that owns "
                    "nothing: give it CREATEROLE to run this test")
    return name


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="PostgreSQL pass only (SQLite has no roles)")
def test_the_app_role_cannot_drop_triggers_delete_events_or_move_the_mark(app) -> None:
    add_events(3)
    role = _app_role()
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", role])
    assert result.exit_code == 0, result.output
    db.session().execute(text(f'SET LOCAL ROLE "{role}"'))
    assert db.session().execute(text("SELECT current_user")).scalar() == role
    # The app's own work goes on: events are chained and written.
    audit.record("prueba.rol", actor=ACTOR, object_type="prueba", object_id="rol",
                 summary="como el rol de la aplicación")
    db.commit()
    assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "prueba.rol"))
    seq = db.session().scalar(select(AuditHead.seq).where(AuditHead.id == 1))
    for statement, refusal in (
            ("DROP TRIGGER audit_events_guard ON audit_events", "must be owner"),
            ("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard", "must be owner"),
            ("DROP TRIGGER audit_head_guard ON audit_head", "must be owner"),
            ("DROP FUNCTION audit_head_guard() CASCADE", "must be owner"),
            ("TRUNCATE audit_events", "permission denied"),
            ("DELETE FROM audit_events WHERE seq = :s", "append-only"),
            ("UPDATE audit_events SET summary = 'x' WHERE seq = :s", "permission denied"),
            ("UPDATE audit_head SET purged_through = :s", "purge checkpoint"),
            ("DELETE FROM audit_checkpoints", "permission denied"),
            ("DELETE FROM audit_head", "permission denied")):
        with pytest.raises(DBAPIError, match=refusal), db.session().begin_nested():
            db.session().execute(text(statement), {"s": seq})
    db.session().execute(text("RESET ROLE"))


def test_grant_app_role_needs_postgresql(app) -> None:
    if db.database().dialect == "postgresql":
        result = app.test_cli_runner().invoke(args=["db", "grant-app-role", "no_such_role"])
        assert result.exit_code == 1 and "No existe el rol" in result.output
        return
    result = app.test_cli_runner().invoke(args=["db", "grant-app-role", "alta_app"])
    assert result.exit_code == 1 and "PostgreSQL" in result.output
