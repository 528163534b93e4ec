"""Audit-log helpers: add events, verify the chain, drop the guards as a database owner could."""

from __future__ import annotations

from sqlalchemy import text

from provisioning import audit, db

ACTOR = audit.Actor("prueba", "auditor", "10.0.0.1")


def add_events(n: int) -> None:
    for i in range(n):
        audit.record("test.event", actor=ACTOR, object_type="prueba", object_id=i,
                     summary=f"evento {i} con acentos: ñ á", details={"i": i, "lista": [1, "a"]})
    db.commit()


def run_verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def disable_guards() -> None:
    """What an attacker with database access would do first."""
    if db.database().dialect == "sqlite":
        db.session().execute(text("DROP TRIGGER audit_events_no_update"))
        db.session().execute(text("DROP TRIGGER audit_events_no_delete"))
        db.session().execute(text("DROP TRIGGER IF EXISTS audit_head_guard_update"))
        db.session().execute(text("DROP TRIGGER IF EXISTS audit_head_guard_delete"))
    else:
        db.session().execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard"))
        db.session().execute(text("DROP TRIGGER IF EXISTS audit_head_guard ON audit_head"))
