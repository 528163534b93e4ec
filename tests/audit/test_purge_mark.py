"""The purge mark (``audit_head.purged_through``): only a signed purge moves it.

Events at or below the mark may be deleted. An attacker with database access but without
the checkpoint key who moves the mark to any signed checkpoint and deletes the events below
it must be caught by ``alta audit verify``; the database itself refuses the move outside a
purge.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from provisioning import db, timeutil
from provisioning.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from provisioning.audit.services import purge_through, verify
from provisioning.retention.models import Disposal
from tests.support.audit import add_events, disable_guards, run_verify


def checkpoint_cli(app):
    return app.test_cli_runner().invoke(args=["audit", "checkpoint"])


def head() -> AuditHead:
    return db.session().get(AuditHead, 1, populate_existing=True)


def tombstone(first: int, through: int) -> None:
    """What ``alta retention run`` writes beside a purge."""
    now = timeutil.now()
    db.session().add(Disposal(record_class="audit_events", record_key=f"{first}-{through}",
                              disposition="eliminado", retention_started_at=now, due_at=now,
                              disposed_at=now, actor="prueba", details=json.dumps({})))
    db.session().flush()


def test_the_database_refuses_to_move_the_mark_outside_a_purge(app) -> None:
    add_events(4)
    checkpoint_cli(app)
    signed = db.session().scalar(select(AuditCheckpoint.seq).order_by(
        AuditCheckpoint.number.desc()).limit(1))
    for statement in ("UPDATE audit_head SET purged_through = :s",
                      "UPDATE audit_head SET purged_through = :s + 1",
                      "UPDATE audit_head SET seq = seq - 1",
                      "DELETE FROM audit_head"):
        with pytest.raises(DBAPIError, match="audit_head"), db.session().begin_nested():
            db.session().execute(text(statement), {"s": signed})
    assert head().purged_through == 0


@pytest.mark.tampers_audit
def test_events_deleted_below_a_moved_mark_are_detected(app) -> None:
    """The attack of the issue: mark moved to a periodic checkpoint, history deleted."""
    add_events(6)
    checkpoint_cli(app)
    signed = db.session().scalar(select(AuditCheckpoint.seq).order_by(
        AuditCheckpoint.number.desc()).limit(1))
    disable_guards()  # as the tables' owner could: triggers dropped
    db.session().execute(text("UPDATE audit_head SET purged_through = :s WHERE id = 1"),
                         {"s": signed})
    db.session().execute(text("DELETE FROM audit_events WHERE seq <= :s"), {"s": signed})
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_seq == signed + 1, result
    assert "depuración" in result.reason
    cli = run_verify(app)
    assert cli.exit_code == 1 and f"evento {signed + 1}" in cli.output


def test_a_purge_verifies_with_its_checkpoint_and_tombstone(app) -> None:
    add_events(6)
    through = head().seq - 2
    first = head().purged_through + 1
    checkpoint = purge_through(through)
    tombstone(first, through)
    db.commit()
    assert checkpoint.reason == "purge" and head().purged_through == through
    assert db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq)) == through + 1
    assert verify(db.session().connection()).ok
    assert run_verify(app).exit_code == 0


@pytest.mark.tampers_audit
def test_a_purge_without_its_tombstone_is_detected(app) -> None:
    add_events(4)
    through = head().seq - 1
    checkpoint = purge_through(through)
    db.commit()
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_checkpoint == checkpoint.number, result
    assert "lápida" in result.reason


@pytest.mark.tampers_audit
def test_a_mark_moved_back_below_the_last_purge_is_detected(app) -> None:
    add_events(4)
    first = head().purged_through + 1
    through = head().seq - 1
    purge_through(through)
    tombstone(first, through)
    db.commit()
    disable_guards()
    db.session().execute(text("UPDATE audit_head SET purged_through = 0 WHERE id = 1"))
    result = verify(db.session().connection())
    assert not result.ok and "depuración" in result.reason
