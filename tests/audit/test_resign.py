"""Changing [audit].checkpoint_key: ``alta audit resign`` checks with the old key, signs
with the new one, and refuses when anything does not verify."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from provisioning import create_app, db
from provisioning.audit.models import AuditCheckpoint, AuditEvent
from provisioning.audit.services import verify
from tests.support.app import _settings
from tests.support.audit import add_events

OLD, NEW = "o" * 40, "n" * 40


@pytest.fixture
def apps(make_app, tmp_path):
    """An app signing with OLD, and one on the same database with NEW (OLD as previous)."""
    old = make_app()
    url = old.extensions["alta.settings"].database.url
    built = []

    def build(**audit):
        new = create_app(_settings(url, tmp_path, audit=audit))
        new.config["TESTING"] = True
        built.append(new)
        return new

    yield old, build
    for app in built:
        app.extensions["alta.db"].engine.dispose()


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["audit", *args])


def macs() -> list[tuple[int, str, str]]:
    return [(c.number, c.key_id, c.mac) for c in db.session().scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.number))]


def test_resign_moves_every_checkpoint_to_the_new_key(apps) -> None:
    old, build = apps
    with old.app_context():  # the template's checkpoints use the key derived from secret_key
        add_events(3)
        assert cli(old, "checkpoint").exit_code == 0
    dedicated = build(checkpoint_key=OLD)
    with dedicated.app_context():
        assert cli(dedicated, "verify").exit_code == 1  # signed with another key
        # The derived key is not a previous key unless asked for.
        refused = cli(dedicated, "resign")
        assert refused.exit_code == 1 and "no se firmó nada" in refused.output
        result = cli(dedicated, "resign", "--from-derived-key")
        assert result.exit_code == 0, result.output
        assert cli(dedicated, "verify").exit_code == 0
    rotated = build(checkpoint_key=NEW, previous_checkpoint_keys=[OLD])
    with rotated.app_context():
        before = macs()
        assert cli(rotated, "verify").exit_code == 1
        result = cli(rotated, "resign")
        assert result.exit_code == 0, result.output
        after = macs()
        assert len(after) >= len(before) and all(
            a[1] != b[1] and a[2] != b[2] for a, b in zip(after, before, strict=False))
        assert cli(rotated, "verify").exit_code == 0, cli(rotated, "verify").output
        event = db.session().scalar(select(AuditEvent).where(
            AuditEvent.action == "audit.checkpoints_resigned").order_by(AuditEvent.seq.desc()))
        details = json.loads(event.details)
        assert event.actor_role == "cli" and details["resigned"] == len(before)
        assert details["previous_key_ids"] == [before[0][1]]
        assert OLD not in event.details and NEW not in event.details
        db.rollback()
    with build(checkpoint_key=OLD).app_context():
        assert not verify(db.session().connection()).ok  # the old key no longer verifies


def test_resign_refuses_a_forged_checkpoint_and_changes_nothing(apps) -> None:
    old, build = apps
    with old.app_context():
        add_events(3)
        cli(old, "checkpoint")
        # Someone without the key garbles the newest mac (the trigger allows mac changes
        # for re-signing; a mac written without the key never verifies).
        db.session().execute(text("UPDATE audit_checkpoints SET mac = :m WHERE number = "
                                  "(SELECT max(number) FROM audit_checkpoints)"), {"m": "f" * 64})
        db.commit()
    rotated = build(checkpoint_key=NEW)
    with rotated.app_context():
        before = macs()
        result = cli(rotated, "resign", "--from-derived-key")
        assert result.exit_code == 1 and "firma" in result.output
        assert macs() == before


def test_what_a_checkpoint_certifies_still_cannot_change(app) -> None:
    add_events(1)
    for column in ("seq = seq + 1", "hash = 'x'", "reason = 'purge'", "number = number + 100"):
        with pytest.raises(DBAPIError, match="append-only"), db.session().begin_nested():
            db.session().execute(text(f"UPDATE audit_checkpoints SET {column}"))  # noqa: S608
