"""Signed checkpoints: truncation and a chain recomputed without the key are detected."""

from __future__ import annotations

import json
from hashlib import sha256

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from provisioning import audit, db
from provisioning.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead
from provisioning.audit.services import CheckpointSigner, canonical, verify
from provisioning.config import load_settings
from tests.support.audit import ACTOR, add_events, disable_guards, run_verify


def checkpoint_cli(app):
    return app.test_cli_runner().invoke(args=["audit", "checkpoint"])


def checkpoints() -> list[AuditCheckpoint]:
    return list(db.session().scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number)))


def head() -> AuditHead:
    return db.session().get(AuditHead, 1, populate_existing=True)


def event_rows(after: int = 0) -> list[dict]:
    table = AuditEvent.__table__
    return [dict(r) for r in db.session().execute(
        select(table).where(table.c.seq > after).order_by(table.c.seq)).mappings()]


def rewrite_from(seq: int, change=None) -> None:
    """Recompute every hash from ``seq`` on (an attacker without the checkpoint key)."""
    session = db.session()
    prev = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq - 1)) or GENESIS_HASH
    for row in event_rows(seq - 1):
        row = dict(row, details=json.loads(row["details"]), prev_hash=prev)
        if change and row["seq"] == seq:
            change(row)
        digest = sha256(canonical(row)).hexdigest()
        session.execute(text("UPDATE audit_events SET summary = :summary, prev_hash = :p, "
                             "hash = :h WHERE seq = :seq"),
                        {"summary": row["summary"], "p": prev, "h": digest, "seq": row["seq"]})
        prev = digest
    session.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})


def test_commits_sign_checkpoints_and_the_cli_adds_one_when_the_head_moved(app, clock) -> None:
    before = len(checkpoints())
    add_events(3)  # the template's checkpoint is from another clock: one is due
    first = checkpoints()[-1]
    assert (first.number, first.seq, first.hash, first.reason) == (
        before + 1, head().seq, head().hash, "periodic")
    result = checkpoint_cli(app)
    assert result.exit_code == 0 and "ya está cubierta" in result.output
    add_events(2)  # within the interval: no new checkpoint at commit
    assert len(checkpoints()) == before + 1
    result = checkpoint_cli(app)
    assert result.exit_code == 0 and f"Punto de control {before + 2}" in result.output
    second = checkpoints()[-1]
    assert (second.seq, second.prev_mac) == (head().seq, first.mac)
    clock.advance(minutes=61)
    add_events(1)
    assert checkpoints()[-1].number == before + 3 and checkpoints()[-1].seq == head().seq
    result = run_verify(app)
    assert result.exit_code == 0 and f"{before + 3} puntos de control" in result.output


def test_a_clock_set_back_does_not_hold_checkpoints_off(app, clock) -> None:
    add_events(1)  # a checkpoint is due (the template's is from another clock)
    signed = len(checkpoints())
    assert head().checkpoint_at == checkpoints()[-1].created_at
    add_events(1)  # within the interval
    assert len(checkpoints()) == signed
    clock.advance(hours=-2)  # the newest checkpoint now looks to be from the future
    add_events(1)
    assert len(checkpoints()) == signed + 1
    assert head().checkpoint_at == clock.now


def test_checkpoints_are_append_only(app) -> None:
    add_events(1)
    for statement in ("UPDATE audit_checkpoints SET seq = 0", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DBAPIError, match="append-only"), db.session().begin_nested():
            db.session().execute(text(statement))


def test_truncating_the_tail_below_a_checkpoint_is_detected(app) -> None:
    add_events(6)
    checkpoint_cli(app)
    covered = head().seq
    disable_guards()
    cut = covered - 3
    kept = db.session().scalar(select(AuditEvent.hash).where(AuditEvent.seq == cut))
    db.session().execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": cut})
    # The attacker also moves the head, so the chain itself looks complete.
    db.session().execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
                         {"s": cut, "h": kept})
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_seq == cut + 1
    assert f"certifica hasta el evento {covered}" in result.reason
    cli = run_verify(app)
    assert cli.exit_code == 1 and f"evento {cut + 1}" in cli.output


def test_whole_chain_recomputed_without_the_key_is_detected(app) -> None:
    add_events(6)
    checkpoint_cli(app)
    disable_guards()
    first = db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq))
    rewrite_from(first, change=lambda row: row.update(summary="reescrito"))
    result = verify(db.session().connection())
    # Caught at the first signed checkpoint the rewritten chain no longer passes through.
    assert not result.ok and result.first_bad_seq == checkpoints()[0].seq
    assert "punto de control firmado" in result.reason


def test_forged_checkpoint_without_the_key_is_detected(app) -> None:
    add_events(4)
    checkpoint_cli(app)
    disable_guards()
    if db.database().dialect == "sqlite":
        db.session().execute(text("DROP TRIGGER audit_checkpoints_no_update"))
    else:
        db.session().execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER "
                                  "audit_checkpoints_guard"))
    rewrite_from(head().seq, change=lambda row: row.update(summary="reescrito"))
    # Point the checkpoint at the new hash and sign it with a key of the attacker's.
    forger = CheckpointSigner(load_settings(overrides={
        "app": {"secret_key": "y" * 48}, "database": {"url": "sqlite://"},
        "audit": {"checkpoint_key": "x" * 40}}, environ={}))
    mark = checkpoints()[-1]
    fields = {"number": mark.number, "seq": mark.seq, "hash": head().hash,
              "created_at": mark.created_at, "reason": mark.reason, "key_id": mark.key_id,
              "prev_mac": mark.prev_mac}
    db.session().execute(text("UPDATE audit_checkpoints SET hash = :h, mac = :m "
                              "WHERE number = :n"),
                         {"h": head().hash, "m": forger.mac(**fields), "n": mark.number})
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_checkpoint == mark.number
    assert "firma" in result.reason
    cli = run_verify(app)
    assert cli.exit_code == 1 and f"punto de control {mark.number}" in cli.output


def test_deleting_checkpoints_is_detected(app, clock) -> None:
    before = len(checkpoints())
    add_events(2)
    clock.advance(minutes=61)
    add_events(2)
    clock.advance(minutes=61)
    add_events(2)
    assert len(checkpoints()) == before + 3
    if db.database().dialect == "sqlite":
        db.session().execute(text("DROP TRIGGER audit_checkpoints_no_delete"))
    else:
        db.session().execute(text("ALTER TABLE audit_checkpoints DISABLE TRIGGER "
                                  "audit_checkpoints_guard"))
    db.session().execute(text("DELETE FROM audit_checkpoints WHERE number = :n"),
                         {"n": before + 2})
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_checkpoint == before + 2
    # Deleting the newest ones leaves a consistent prefix: caught once events are left
    # uncovered for longer than [audit].checkpoint_max_age_hours.
    db.session().execute(text("DELETE FROM audit_checkpoints WHERE number = :n"),
                         {"n": before + 3})
    assert verify(db.session().connection()).ok
    clock.advance(hours=25)
    result = verify(db.session().connection())
    assert not result.ok and "sin punto de control" in result.reason


def test_purged_events_need_a_checkpoint_covering_them(app) -> None:
    add_events(5)
    disable_guards()
    through = head().seq - 2
    db.session().execute(text("UPDATE audit_head SET purged_through = :s WHERE id = 1"),
                         {"s": through})
    db.session().execute(text("DELETE FROM audit_events WHERE seq <= :s"), {"s": through})
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_seq == through + 1
    assert "depuraron" in result.reason


def test_events_past_the_head_are_detected(app) -> None:
    add_events(2)
    row = event_rows(head().seq - 1)[0]
    db.session().execute(AuditEvent.__table__.insert().values(
        dict(row, seq=row["seq"] + 1, prev_hash=row["hash"], hash="f" * 64)))
    result = verify(db.session().connection())
    assert not result.ok and result.first_bad_seq == head().seq + 1


def test_unusual_characters_verify(app) -> None:
    """The SQL-built canonical text agrees with Python's, or the fallback settles it."""
    for value in ('comillas " y \\ diagonal', "ñÑáü 😀 \u2028", "línea\nnueva\ttab",
                  "control \x01\x1f y \x7f", "</script>'"):
        audit.record("prueba.caracteres", actor=ACTOR, object_type="prueba", object_id=value,
                     summary=value, details={"v": value, "lista": [value, None, 1.5]})
    db.commit()
    assert verify(db.session().connection()).ok


@pytest.mark.parametrize("tamper", ["none", "edit", "link"])
def test_parallel_walk_agrees_with_one_walk(make_app, tamper) -> None:
    app = make_app()
    with app.app_context():
        start = head().seq
        add_events(40)
        bad = start + {"none": 0, "edit": 23, "link": 21}[tamper]
        if tamper != "none":
            disable_guards()
            if tamper == "edit":
                db.session().execute(text("UPDATE audit_events SET actor = 'x' WHERE seq = :s"),
                                     {"s": bad})
            else:
                db.session().execute(text("UPDATE audit_events SET prev_hash = :h "
                                          "WHERE seq = :s"), {"h": "0" * 64, "s": bad})
            db.commit()
        url = app.extensions["alta.settings"].database.url
        one = verify(db.session().connection())
        db.rollback()
        many = verify(db.session().connection(), url=url, workers=3, parallel_min=0)
        db.rollback()
    assert one == many
    assert one.ok is (tamper == "none")
    if tamper != "none":
        assert one.first_bad_seq == bad
