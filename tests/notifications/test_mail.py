"""E-mail: the outbox survives an SMTP server that is down and delivers once it is up (a real
server on loopback), business-day ageing, the daily reminder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from provisioning import db, workdays
from provisioning.audit.models import AuditEvent
from provisioning.dashboard import reminders
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.notifications import services as notifications
from provisioning.notifications.models import OutboxMessage
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.chain import CENTRO_I, HOSPITAL, Browser, new_request
from tests.support.forms import VALID_FORM, folio_and_code
from tests.support.mail import Inbox, SmtpServer
from tests.support.staff import create_staff_account
from tests.support.web import free_port


def outbox() -> list[OutboxMessage]:
    db.session().expire_all()
    return list(db.session().scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_outbox_survives_smtp_down_then_delivers(make_app, clock) -> None:
    port = free_port()
    app = make_app(mail={"port": port, "sender": "Alta SSM <alta@ssm.test>"})
    with app.app_context():
        create_staff_account("jefe.mail", staff.Grant(Role.JEFE_UNIDAD,
                                                      unit_clues="MSSSA000120"))
        browser = Browser(app.test_client())
        folio, code = folio_and_code(browser.post("/solicitud", {**VALID_FORM, **CENTRO_I},
                                                  page="/solicitud"))
        (message,) = outbox()
        assert (message.recipient, message.kind, message.status) == (
            "jefe.mail@ssm.test", "turno", "pending")
        # The server is down: the job fails softly, the message stays in the outbox.
        assert jobs.run_pending() == 1
        (message,) = outbox()
        assert message.status == "pending" and message.attempts == 1
        assert "no aceptó" in message.last_error
        job = db.session().scalar(select(Job).where(Job.kind == "mail.send"))
        assert job.status == "queued" and job.run_after > clock.now
        runner = app.test_cli_runner()
        down = runner.invoke(args=["mail", "flush"])
        assert down.exit_code == 1 and "0 correos enviados, 1 pendientes" in down.output
        inbox = Inbox()
        server = SmtpServer(inbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            # The worker's retry delivers it once the backoff has passed.
            clock.advance(minutes=5)
            assert jobs.run_pending() == 1
        finally:
            server.stop()
        (message,) = outbox()
        assert message.status == "sent" and message.sent_at == clock.now
        (received,) = inbox.messages
        sender, recipients, raw = received
        assert sender == "alta@ssm.test" and recipients == ["jefe.mail@ssm.test"]
        assert folio in raw and "Subject:" in raw
        assert code not in raw and code.replace("-", "") not in raw
        assert db.session().scalar(select(AuditEvent).where(AuditEvent.action == "mail.sent"))
        # Sending again finds nothing pending.
        assert "0 correos enviados, 0 pendientes" in runner.invoke(args=["mail", "flush"]).output


def test_cli_flush_delivers_when_the_server_comes_back(make_app, clock) -> None:
    port = free_port()
    app = make_app(mail={"port": port})
    with app.app_context():
        create_staff_account("resp.mail", staff.Grant(Role.JEFE_UNIDAD,
                                                      unit_clues="MSSSA001270"))
        browser = Browser(app.test_client())
        for curp in ("BEML920313HMCLNS09", "HEGG560427MVZRRL04"):
            browser.post("/solicitud", {**VALID_FORM, **HOSPITAL, "curp": curp},
                         page="/solicitud")
        jobs.run_pending()
        assert [m.status for m in outbox()] == ["pending", "pending"]
        inbox = Inbox()
        server = SmtpServer(inbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            result = app.test_cli_runner().invoke(args=["mail", "flush"])
        finally:
            server.stop()
        assert result.exit_code == 0 and "2 correos enviados" in result.output
        assert len(inbox.messages) == 2 and {m.status for m in outbox()} == {"sent"}
        # The queued retries then find the messages sent and do nothing.
        clock.advance(hours=3)
        jobs.run_pending()
        assert len(inbox.messages) == 2


class RudeGoodbye(Inbox):
    """Accepts every message, then answers QUIT with an error instead of 221."""

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        return "421 4.3.0 Closing with an error"


@contextmanager
def one_message_for(make_app, receiver: Inbox) -> Iterator[None]:
    """In an app whose SMTP server (running) is ``receiver``: one request filed, so its unit
    head's message waits in the outbox."""
    port = free_port()
    app = make_app(mail={"port": port})
    server = SmtpServer(receiver, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with app.app_context():
            create_staff_account("jefe.uno", staff.Grant(Role.JEFE_UNIDAD,
                                                         unit_clues="MSSSA000120"))
            Browser(app.test_client()).post("/solicitud", {**VALID_FORM, **CENTRO_I},
                                            page="/solicitud")
            yield
    finally:
        server.stop()


def test_a_message_the_server_accepted_is_sent_whatever_quit_answers(make_app, clock) -> None:
    inbox = RudeGoodbye()
    with one_message_for(make_app, inbox):
        assert jobs.run_pending() == 1
        (message,) = outbox()
        assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)
        # Nothing is retried: the server has it once.
        clock.advance(hours=3)
        jobs.run_pending()
    assert len(inbox.messages) == 1


def test_a_database_outage_after_the_server_accepted_does_not_send_twice(
        make_app, clock, monkeypatch) -> None:
    """The server took the message, then the database went away before Alta recorded it:
    recording is retried (the job is not run again, which would send it a second time)."""
    inbox = Inbox()
    real = notifications.audit.record
    failures = iter([True, True])

    def database_gone(*args, **kwargs):
        if next(failures, False):
            raise OperationalError("UPDATE mail_outbox", {}, ConnectionError("server closed"))
        return real(*args, **kwargs)

    with one_message_for(make_app, inbox):
        monkeypatch.setattr(notifications, "RECORD_RETRY_SECONDS", (0.01, 0.01, 0.01))
        monkeypatch.setattr(notifications.audit, "record", database_gone)
        assert jobs.run_pending() == 1
        monkeypatch.undo()
        (message,) = outbox()
        assert (message.status, message.attempts) == ("sent", 1)
        clock.advance(hours=3)
        jobs.run_pending()
        assert db.session().scalar(select(Job.status).where(Job.kind == "mail.send")) == "done"
        db.rollback()
    assert len(inbox.messages) == 1


@pytest.mark.parametrize(("start", "end", "expected"), [
    (date(2026, 3, 6), date(2026, 3, 9), 1),     # Friday → Monday: the weekend does not count
    (date(2026, 3, 13), date(2026, 3, 17), 1),   # Friday → Tuesday across Benito Juárez (16)
    (date(2026, 3, 12), date(2026, 3, 19), 4),
    (date(2026, 3, 9), date(2026, 3, 9), 0),
    (date(2026, 12, 24), date(2027, 1, 4), 6),   # 25 Dec holiday; 1 Jan 2027 not configured
])
def test_business_days(app, start, end, expected) -> None:
    assert workdays.business_days_between(start, end) == expected


def test_holidays_come_from_config(make_app) -> None:
    app = make_app(calendar={"holidays": ["2026-03-10"]})
    with app.app_context():
        assert workdays.business_days_between(date(2026, 3, 9), date(2026, 3, 11)) == 1
        assert workdays.business_days_between(date(2026, 3, 13), date(2026, 3, 17)) == 2
        assert not workdays.is_business_day(date(2026, 3, 10))


def test_daily_reminder_for_items_waiting_too_long(app, client, clock) -> None:
    clock.now = datetime(2026, 3, 11, 16, 0, tzinfo=UTC)  # Wednesday
    old, old_folio, _ = new_request(client, **CENTRO_I)
    clock.now = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)  # Friday
    recent, recent_folio, _ = new_request(client, curp="HEGG560427MVZRRL04", **CENTRO_I)
    create_staff_account("jefe.recuerda", staff.Grant(Role.JEFE_UNIDAD,
                                                      unit_clues="MSSSA000120"))
    create_staff_account("jefe.otra", staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000342"))
    # Tuesday 17 (Monday 16 is a holiday): old = 12, 13, 17 → 3 business days, not more.
    clock.now = datetime(2026, 3, 17, 16, 0, tzinfo=UTC)
    assert reminders.overdue() == []
    # Thursday 19: old has 5 business days, recent 3.
    clock.now = datetime(2026, 3, 19, 16, 0, tzinfo=UTC)
    assert [w.reference for w in reminders.overdue()] == [old_folio]
    assert jobs.enqueue_due_periodic() >= 1
    db.commit()
    jobs.run_pending()
    mails = [m for m in outbox() if m.kind == "recordatorio"]
    assert [m.recipient for m in mails] == ["jefe.recuerda@ssm.test"]
    assert old_folio in mails[0].body and recent_folio not in mails[0].body
    assert "5 días hábiles" in mails[0].body
    assert "http://localhost/solicitudes/" in mails[0].body
    # The timer's `alta mail reminders` the same local day queues nothing more; the next
    # business day it reminds again.
    assert reminders.send() == 0
    clock.now = datetime(2026, 3, 20, 16, 0, tzinfo=UTC)
    assert reminders.send() == 1


def test_no_reminders_on_weekends(app, client, clock) -> None:
    clock.now = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    new_request(client, **CENTRO_I)
    create_staff_account("jefe.finde", staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120"))
    clock.now = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)  # Saturday
    assert reminders.overdue() and reminders.send() == 0
