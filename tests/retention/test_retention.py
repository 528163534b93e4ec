"""Retention with a frozen clock: what is due goes, what is held or young stays, the dry run
changes nothing, and the audit chain still verifies after a purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, text, update

from provisioning import audit, db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from provisioning.privacy.models import ArcoRequest
from provisioning.retention import services as retention
from provisioning.retention.models import Disposal
from tests.support.app import TEST_ACTOR
from tests.support.forms import folio_and_code, submit

CURPS = ("BEML920313HMCLNS09", "HEGG560427MVZRRL04", "SABC560626MDFLRN01",
         "PEGL890909MJCRMS08")
THREE_YEARS = timedelta(days=3 * 365 + 1)  # 2026-03 → 2029-03 has no 29 February


@pytest.fixture
def later_clock(clock):
    """The frozen clock, set after the template database's own events."""
    clock.now = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return clock


def closed_request(client, clock, curp: str, *, closed_ago: timedelta) -> tuple[str, str]:
    """Submit a request and close it ``closed_ago`` before the clock's current time."""
    folio, code = folio_and_code(submit(client, curp=curp))
    db.session().execute(update(AccountRequest).where(AccountRequest.folio == folio)
                         .values(closed_at=clock.now - closed_ago))
    db.commit()
    return folio, code


def run_cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["retention", "run", *args])


def request_row(folio: str) -> AccountRequest:
    db.session().expire_all()
    return db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))


def all_rows() -> dict[str, list]:
    connection = db.session().connection()
    return {table: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{table}"'))),  # noqa: S608
                          key=repr)
            for table in inspect(connection).get_table_names()}


def test_due_records_go_young_and_held_ones_stay(app, client, clock) -> None:
    start = clock.now
    old, old_code = closed_request(client, clock, CURPS[0], closed_ago=timedelta(0))
    young, _ = closed_request(client, clock, CURPS[1], closed_ago=-timedelta(days=2))
    held, _ = closed_request(client, clock, CURPS[2], closed_ago=timedelta(0))
    open_one, _ = folio_and_code(submit(client, curp=CURPS[3]))
    db.session().add(ArcoRequest(folio=old, kind="rectificacion", status="pendiente",
                                 submitted_at=clock.now, description="Mi apellido es Bernal"))
    retention.set_hold("solicitud", held, "Requerimiento del órgano interno de control",
                       actor=TEST_ACTOR)
    db.commit()

    # 3 years + 1 day after the first closure: the second closed 3 years - 1 day ago.
    clock.now = start + THREE_YEARS + timedelta(days=1)
    result = run_cli(app)
    assert result.exit_code == 0, result.output
    assert f"{old}" in result.output and "RETENIDO" in result.output
    assert "1 registro dispuesto, 1 retenido." in result.output

    gone = request_row(old)
    assert (gone.curp, gone.nombres, gone.primer_apellido, gone.segundo_apellido) == (
        "", "", "", None)
    assert (gone.telefono, gone.extension, gone.contact_email) == ("", None, "")
    assert gone.folio == old and gone.closed_at is not None and gone.submitted_at is not None
    assert db.session().scalar(select(ArcoRequest.description).where(
        ArcoRequest.folio == old)) == ""
    tombstone = retention.disposal_of("solicitud", old)
    assert tombstone.disposition == "anonimizado"
    assert tombstone.due_at == start + THREE_YEARS
    for folio in (young, held, open_one):
        assert request_row(folio).curp in CURPS
        assert retention.disposal_of("solicitud", folio) is None
    event = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "retention.disposed", AuditEvent.object_id == old))
    assert event.actor_role == "cli" and "anonimizado" in event.summary
    # The tracking code no longer opens anything.
    tracking = client.post("/seguimiento", {"folio": old, "code": old_code},
                           page="/seguimiento")
    assert tracking.status_code == 404
    # A second run finds nothing new; the chain still verifies.
    assert "0 registros dispuestos" in run_cli(app).output
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0

    # Lifting the hold lets the held record go at the next run.
    hold = retention.hold_for("solicitud", held)
    retention.lift_hold(hold.id, "Concluyó el procedimiento", actor=TEST_ACTOR)
    db.commit()
    assert "1 registro dispuesto, 0 retenidos." in run_cli(app).output
    assert request_row(held).curp == ""


def test_exactly_three_years_is_due(app, client, clock) -> None:
    folio, _ = closed_request(client, clock, CURPS[0], closed_ago=timedelta(0))
    clock.now += THREE_YEARS - timedelta(seconds=1)
    assert [c.key for _, c, _ in retention.due(clock.now)] == []
    clock.now += timedelta(seconds=1)
    assert [c.key for _, c, _ in retention.due(clock.now)] == [folio]


def test_dry_run_changes_nothing(app, client, clock) -> None:
    start = clock.now
    folio, _ = closed_request(client, clock, CURPS[0], closed_ago=timedelta(0))
    clock.now = start + timedelta(days=7 * 365)  # the audit events are due too
    before = all_rows()
    result = run_cli(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert folio in result.output and "Simulación" in result.output
    assert "audit_events" in result.output
    db.session().expire_all()
    assert all_rows() == before


def test_purging_old_audit_events_keeps_the_chain_verifiable(app, client, later_clock) -> None:
    clock = later_clock
    start = clock.now
    folio, _ = closed_request(client, clock, CURPS[0], closed_ago=timedelta(0))
    held, _ = closed_request(client, clock, CURPS[1], closed_ago=timedelta(0))
    clock.advance(days=30)
    for i in range(3):
        audit.record("prueba.reciente", actor=TEST_ACTOR, object_type="prueba", object_id=i,
                     summary="reciente")
    db.commit()
    first_held = db.session().scalar(select(func_min_seq()).where(
        AuditEvent.object_type == "request", AuditEvent.object_id == held))
    recent = db.session().scalar(select(func_min_seq()).where(
        AuditEvent.action == "prueba.reciente"))

    # After 6 years the request events are due; the held request's stop the purge there.
    clock.now = start + timedelta(days=6 * 365 + 10)
    retention.set_hold("solicitud", held, "Juicio laboral en curso", actor=TEST_ACTOR)
    db.commit()
    result = run_cli(app)
    assert result.exit_code == 0, result.output
    head = db.session().get(AuditHead, 1, populate_existing=True)
    assert head.purged_through == first_held - 1
    assert db.session().scalar(select(func_min_seq())) == first_held
    mark = db.session().scalar(select(AuditCheckpoint).where(
        AuditCheckpoint.seq == head.purged_through, AuditCheckpoint.reason == "purge"))
    assert mark is not None
    assert retention.disposal_of("audit_events", f"1-{first_held - 1}").disposition == (
        "eliminado")
    verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0, verify.output

    # Once the hold is lifted, the purge goes on up to the recent events.
    retention.lift_hold(retention.hold_for("solicitud", held).id, "Sentencia firme",
                        actor=TEST_ACTOR)
    db.commit()
    assert run_cli(app).exit_code == 0
    assert db.session().get(AuditHead, 1, populate_existing=True).purged_through == recent - 1
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    # The old history of the disposed request is gone; the record of its disposal stays.
    assert db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "request.submitted", AuditEvent.object_id == folio)) is None
    assert db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "retention.disposed", AuditEvent.object_id == folio)) is not None
    assert len(db.session().scalars(select(Disposal)).all()) == 4


def func_min_seq():
    from sqlalchemy import func

    return func.min(AuditEvent.seq)


@pytest.mark.tampers_audit
def test_a_broken_chain_is_not_purged(app, client, later_clock) -> None:
    clock = later_clock
    start = clock.now
    closed_request(client, clock, CURPS[0], closed_ago=timedelta(0))
    seq = db.session().scalar(select(func_min_seq()).where(
        AuditEvent.action == "request.submitted"))
    if db.database().dialect == "sqlite":
        db.session().execute(text("DROP TRIGGER audit_events_no_update"))
    else:
        db.session().execute(text("ALTER TABLE audit_events DISABLE TRIGGER "
                                  "audit_events_guard"))
    db.session().execute(text("UPDATE audit_events SET summary = 'x' WHERE seq = :s"),
                         {"s": seq})
    clock.now = start + timedelta(days=6 * 365 + 10)
    result = run_cli(app)
    assert result.exit_code == 1 and "no pasa la verificación" in result.output
    assert db.session().get(AuditHead, 1, populate_existing=True).purged_through == 0


def test_holds_need_an_existing_record_and_are_not_doubled(app, client, clock) -> None:
    folio, _ = folio_and_code(submit(client))
    with pytest.raises(retention.ValidationError):
        retention.set_hold("solicitud", "MSSSA000120-2026-99999", "x", actor=TEST_ACTOR)
    with pytest.raises(retention.ValidationError):
        retention.set_hold("audit_events", "1", "x", actor=TEST_ACTOR)
    retention.set_hold("solicitud", folio.lower(), "Investigación", actor=TEST_ACTOR)
    with pytest.raises(retention.Conflict):
        retention.set_hold("solicitud", folio, "otra", actor=TEST_ACTOR)
    assert retention.hold_for("solicitud", folio).reason == "Investigación"


def test_leap_day_arithmetic_never_shortens_retention() -> None:
    leap = datetime(2028, 2, 29, 12, tzinfo=UTC)
    assert retention.add_years(leap, 3) == datetime(2031, 3, 1, 12, tzinfo=UTC)
    assert retention.subtract_years(leap, 3) == datetime(2025, 2, 28, 12, tzinfo=UTC)


def test_oficio_is_anonymized_after_its_period_and_holds_keep_it(app, client, later_clock) -> None:
    from provisioning.documents import services as documents
    from provisioning.documents.models import OFICIO, SOLICITUD, IssuedDocument
    from provisioning.notifications.models import OutboxMessage
    from provisioning.oficios.models import Oficio
    from provisioning.staff import services as staff
    from provisioning.staff.models import Role
    from tests.support.chain import CENTRO_I, HOSPITAL, issue, make_ready, person
    from tests.support.staff import create_staff_account

    clock = later_clock
    create_staff_account("it.ret", staff.Grant(Role.INFORMATICA))  # hears of each oficio
    first = make_ready(client, 1, **HOSPITAL)
    second = make_ready(client, 2, **CENTRO_I)
    enlace, account = person(client, app, "enlace.ret", Role.ENLACE, clock,
                             jurisdiction_code="I")
    assert issue(enlace, account, clock, [first.id]).status_code == 302
    assert issue(enlace, account, clock, [second.id]).status_code == 302
    old, held = db.session().scalars(select(Oficio).order_by(Oficio.id)).all()
    for oficio in (old, held):
        documents.issue(OFICIO, oficio, actor=TEST_ACTOR)
    documents.issue(SOLICITUD, first, actor=TEST_ACTOR)
    retention.set_hold("oficio", held.number, "Auditoría en curso", actor=TEST_ACTOR)
    db.commit()
    assert db.session().scalar(select(OutboxMessage).where(
        OutboxMessage.object_type == "oficio", OutboxMessage.object_id == old.number))

    clock.advance(days=3 * 365 - 1)
    assert run_cli(app, "--dry-run").exit_code == 0
    assert db.session().scalar(select(Oficio.content).where(Oficio.id == old.id)) != "{}"

    clock.advance(days=3)
    result = run_cli(app)
    assert result.exit_code == 0, result.output
    db.session().expire_all()
    gone, kept = (db.session().get(Oficio, o.id) for o in (old, held))
    assert gone.content == "{}" and gone.number == old.number  # tombstone
    assert gone.content_sha256 == old.content_sha256
    assert kept.content != "{}"
    remaining = {(d.kind, d.object_pk) for d in db.session().scalars(select(IssuedDocument))}
    assert (OFICIO, old.id) not in remaining and (OFICIO, held.id) in remaining
    assert (SOLICITUD, first.id) in remaining  # the request's own period has not started
    assert db.session().scalar(select(OutboxMessage).where(
        OutboxMessage.object_type == "oficio", OutboxMessage.object_id == old.number)) is None
    assert db.session().scalar(select(Disposal).where(Disposal.record_key == old.number))


def test_solicitud_disposal_removes_its_pdfs_mail_and_reasons(app, client, later_clock) -> None:
    from provisioning.account_requests import workflow
    from provisioning.account_requests.models import RequestEvent
    from provisioning.documents import services as documents
    from provisioning.documents.models import SOLICITUD, IssuedDocument
    from provisioning.notifications.models import OutboxMessage

    clock = later_clock
    folio, _ = folio_and_code(submit(client, curp=CURPS[0]))
    request = request_row(folio)
    documents.issue(SOLICITUD, request, actor=TEST_ACTOR)
    workflow.transition(request, "reject", actor=TEST_ACTOR,
                        reason="La CURP no coincide con LUIS BERNAL")
    db.session().add(OutboxMessage(kind="resultado", recipient="luis@example.org",
                                   subject=f"Solicitud {folio}", body="Estimado LUIS BERNAL…",
                                   object_type="request", object_id=folio, status="sent",
                                   attempts=1, created_at=clock.now, sent_at=clock.now))
    db.commit()
    assert db.session().scalar(select(OutboxMessage).where(OutboxMessage.object_id == folio))
    clock.advance(days=3 * 365 + 2)
    assert run_cli(app).exit_code == 0
    db.session().expire_all()
    assert db.session().scalar(select(IssuedDocument).where(
        IssuedDocument.object_pk == request.id, IssuedDocument.kind == SOLICITUD)) is None
    assert db.session().scalar(select(OutboxMessage).where(
        OutboxMessage.object_id == folio)) is None
    reasons = db.session().scalars(select(RequestEvent.reason).where(
        RequestEvent.request_id == request.id)).all()
    assert reasons and all(r is None for r in reasons)


def test_solicitud_disposal_removes_preregistration_and_activation_codes(
        app, client, later_clock) -> None:
    from datetime import date

    from provisioning.handoff.models import ActivationCode
    from provisioning.preregistration.models import PreRegistration
    from provisioning.staff import services as staff
    from provisioning.staff.models import Role
    from tests.support.staff import create_staff_account

    clock = later_clock
    folio, _ = closed_request(client, clock, CURPS[0], closed_ago=timedelta(0))
    request = request_row(folio)
    holder = create_staff_account("jefe.ret", staff.Grant(Role.JEFE_UNIDAD,
                                                          unit_clues="MSSSA000120"))
    db.session().add_all([
        ActivationCode(request_id=request.id, code_hash="$argon2id$x", issued_at=clock.now,
                       expires_at=clock.now, attempts=0, used_at=clock.now,
                       delivered_by_id=holder.id, delivered_by_name="PERSONA JEFE.RET",
                       delivered_by_role="jefe_unidad", id_document="ine"),
        PreRegistration(request_id=request.id, curp=request.curp, nombres="LUIS ÁNGEL",
                        primer_apellido="BERNAL", segundo_apellido="MUÑOZ",
                        fecha_nacimiento=date(1992, 3, 13), sexo="H", entidad_nacimiento="MC",
                        nacionalidad="MEX", staff_type_code="medico",
                        cedula_profesional="1234567", telefono_institucional="7771234567",
                        completed_at=clock.now)])
    db.commit()
    clock.advance(days=3 * 365 + 2)
    assert run_cli(app).exit_code == 0
    db.session().expire_all()
    assert db.session().scalar(select(PreRegistration.id)) is None
    assert db.session().scalar(select(ActivationCode.id)) is None
    assert request_row(folio).curp == ""
