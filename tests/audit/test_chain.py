"""The hash-chained audit log: appends in the same transaction, verify detects tampering."""

from __future__ import annotations

import json
from hashlib import sha256

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from provisioning import audit, db
from provisioning.audit.models import AuditEvent, AuditHead
from provisioning.audit.services import canonical, verify
from tests.support.audit import ACTOR, add_events, disable_guards, run_verify


def first_seq() -> int:
    return db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) - 4


def test_intact_chain_verifies(app) -> None:
    add_events(6)
    result = run_verify(app)
    assert result.exit_code == 0, result.output
    assert "Bitácora íntegra" in result.output


def test_events_are_chained_in_order(app) -> None:
    add_events(3)
    events = db.session().scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    for previous, current in zip(events, events[1:], strict=False):
        assert current.prev_hash == previous.hash
        assert current.seq == previous.seq + 1
    head = db.session().get(AuditHead, 1)
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


def test_rolled_back_work_leaves_no_event(app) -> None:
    audit.record("test.event", actor=ACTOR, object_type="prueba", object_id="x", summary="x")
    db.rollback()
    db.commit()
    assert db.session().scalar(select(AuditEvent).where(AuditEvent.object_id == "x")) is None


def test_update_and_delete_are_refused_by_the_database(app) -> None:
    add_events(2)
    seq = db.session().scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
    with pytest.raises(DBAPIError, match="append-only"), db.session().begin_nested():
        db.session().execute(text("UPDATE audit_events SET summary = 'x' WHERE seq = :s"),
                             {"s": seq})
    with pytest.raises(DBAPIError, match="append-only"), db.session().begin_nested():
        db.session().execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seq})


@pytest.mark.tampers_audit
@pytest.mark.parametrize("tamper", ["edit_summary", "edit_details", "edit_actor", "delete_middle",
                                    "reorder", "delete_tail", "forge_hash"])
def test_tampering_is_detected_and_named(app, tamper) -> None:
    add_events(6)
    disable_guards()
    s = first_seq() + 2
    session = db.session()
    if tamper == "edit_summary":
        session.execute(text("UPDATE audit_events SET summary = 'nada' WHERE seq = :s"), {"s": s})
    elif tamper == "edit_details":
        session.execute(text("UPDATE audit_events SET details = :d WHERE seq = :s"),
                        {"d": json.dumps({"i": 99}), "s": s})
    elif tamper == "edit_actor":
        session.execute(text("UPDATE audit_events SET actor = 'otro' WHERE seq = :s"), {"s": s})
    elif tamper == "delete_middle":
        session.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": s})
    elif tamper == "reorder":
        # Swap the contents of two events, keeping their positions.
        a, b = (session.execute(text("SELECT * FROM audit_events WHERE seq = :s"), {"s": x})
                .mappings().one() for x in (s, s + 1))
        for target, source in ((s, b), (s + 1, a)):
            session.execute(text("UPDATE audit_events SET summary=:summary, details=:details, "
                                 "object_id=:object_id, hash=:h WHERE seq=:seq"),
                            {**source, "seq": target, "h": f"tmp{target}"})
        session.execute(text("UPDATE audit_events SET hash = :h WHERE seq = :s"),
                        {"h": b["hash"], "s": s})
        session.execute(text("UPDATE audit_events SET hash = :h WHERE seq = :s"),
                        {"h": a["hash"], "s": s + 1})
    elif tamper == "delete_tail":
        session.execute(text("DELETE FROM audit_events WHERE seq > :s"), {"s": s})
    elif tamper == "forge_hash":
        # Rewrite the content and recompute only this event's hash: the next link breaks.
        table = AuditEvent.__table__
        row = session.execute(select(table).where(table.c.seq == s)).mappings().one()
        forged = dict(row, summary="falsificado", details=json.loads(row["details"]))
        session.execute(text("UPDATE audit_events SET summary = 'falsificado', hash = :h "
                             "WHERE seq = :s"),
                        {"h": sha256(canonical(forged)).hexdigest(), "s": s})
    result = verify(session.connection())
    assert not result.ok
    expected = s + 1 if tamper == "forge_hash" else s
    if tamper == "delete_tail":
        expected = s + 1
    assert result.first_bad_seq == expected, result
    cli = run_verify(app)
    assert cli.exit_code == 1 and f"evento {expected}" in cli.output


def test_details_may_not_carry_secrets(app) -> None:
    for key in ("password", "tracking_code", "totp_seed", "activation_code", "secret", "token"):
        with pytest.raises(ValueError, match="secrets"):
            audit.record("x", actor=ACTOR, object_type="x", object_id="x", summary="x",
                         details={key: "x"})
    audit.record("x", actor=ACTOR, object_type="x", object_id="x", summary="x",
                 details={"unit_code": "MSSSA000120"})
