"""Queue e-mails in the outbox (inside the caller's transaction) and deliver them by SMTP.

A message is written to ``mail_outbox`` together with the change that causes it and a
``mail.send`` job (commit the intent). The worker sends it outside any transaction and marks
it sent (commit the outcome); while the SMTP server is down the job is retried with backoff,
and ``alta mail flush`` sends every pending message at once. Delivery is at-least-once: a
worker killed between the server's acceptance and the commit sends that message again (with
the same Message-ID); a database that is away at that moment is waited for instead.

Messages never carry a password, tracking or activation code: only the folio, the state and
a link to Alta.

This package is a leaf: it knows templates and the outbox, never who should be told. Each
workflow decides that (``account_requests.workflow`` for a request's next actor,
``handoff.custody`` for the next holder, …) and passes the addresses in.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Iterable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from flask import render_template
from sqlalchemy import delete, select
from sqlalchemy.exc import SQLAlchemyError

from provisioning import audit, db, timeutil
from provisioning.config import current as settings
from provisioning.crypto import sealer
from provisioning.jobs import services as jobs
from provisioning.notifications.models import PENDING, SENT, OutboxMessage

SEND_KIND = "mail.send"
# Waits (seconds) between attempts to record a message the SMTP server accepted while the
# database is away: about half a minute in all, longer than a restart or a failover.
RECORD_RETRY_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Queueing


# What a sent message that carried a code keeps of its body.
SEALED_BODY_SENT = "(mensaje con un código: su texto se borró al enviarse)"


def link(path: str) -> str:
    """An absolute link to Alta (``[app].base_url`` + path)."""
    return settings().app.base_url.rstrip("/") + path


def queue(recipients: Iterable[str], template: str, subject: str, *,
          object_type: str | None = None, object_id: str | None = None, sealed: bool = False,
          **context: Any) -> list[OutboxMessage]:
    """Render ``templates/mail/<template>.txt`` and queue one message per recipient.

    ``sealed``: the body carries a code (a new tracking code): it is stored sealed with
    ``[security].data_key`` until sent, then wiped.
    """
    body = render_template(f"mail/{template}.txt", link=link, **context)
    if sealed:
        body = sealer().seal(body)
    now = timeutil.now()
    messages = []
    session = db.session()
    for recipient in sorted(set(r for r in recipients if r)):
        message = OutboxMessage(kind=template, recipient=recipient, subject=subject[:200],
                                body=body, body_sealed=sealed,
                                object_type=object_type, object_id=object_id,
                                status=PENDING, attempts=0, created_at=now)
        session.add(message)
        session.flush()
        jobs.enqueue(SEND_KIND, {"message_id": message.id}, key=f"mail:{message.id}",
                     object_type="mail", object_id=str(message.id))
        messages.append(message)
    return messages


# ---------------------------------------------------------------------------------------------
# Delivery


class DeliveryError(Exception):
    """The SMTP server could not take the message now; ``message`` is Spanish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def message_id_header(message: OutboxMessage) -> str:
    """The Message-ID of an outbox message: the same on every attempt."""
    domain = settings().mail.sender.rsplit("@", 1)[-1].strip(" >") or "alta.local"
    stamp = message.created_at.strftime("%Y%m%d%H%M%S")
    return f"<alta.{message.id}.{stamp}@{domain}>"


def _smtp_send(message: OutboxMessage) -> None:
    """Hand one message to the configured SMTP server (no database access here)."""
    config = settings().mail
    email = EmailMessage()
    email["From"] = config.sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(timeutil.now())
    # Stable per outbox message: if a resend ever happens (the worker died after the server
    # accepted the message but before Alta recorded it), receivers see the same message.
    email["Message-ID"] = message_id_header(message)
    email.set_content(sealer().unseal(message.body) if message.body_sealed else message.body)
    try:
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds,
                context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        try:
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.username:
                client.login(config.username, config.password)
            client.send_message(email)
        except BaseException:
            client.close()
            raise
    except (OSError, smtplib.SMTPException) as exc:
        # socket errors (refused, timeout) are OSError; the text names no secret.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        if isinstance(exc, socket.timeout):
            reason = "tiempo de espera agotado"
        raise DeliveryError(f"El servidor de correo no aceptó el mensaje ({reason}).") from exc
    # The server accepted the message: it is delivered, whatever the goodbye answers (an
    # error here must not make the worker send it a second time).
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def deliver(message_id: int) -> bool:
    """Send one pending message and mark it sent; False (error recorded) if SMTP failed.

    Ends the current transaction before talking to the server and commits the outcome.
    """
    session = db.session()
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status == SENT:
        db.commit()
        return True
    db.commit()  # no transaction (nor SQLite write lock) held while the server answers
    try:
        _smtp_send(message)
    except DeliveryError as exc:
        row = session.get(OutboxMessage, message_id, populate_existing=True)
        row.attempts += 1
        row.last_error = exc.message[:500]
        db.commit()
        return False
    # The server has the message now. If the database is away at this moment (a restart, a
    # failover), wait for it rather than fail: a failed job would run again and send the
    # message a second time.
    waits = iter(RECORD_RETRY_SECONDS)
    while True:
        try:
            _record_sent(message_id)
            return True
        except SQLAlchemyError as exc:
            wait = next(waits, None)
            if wait is None:
                raise
            log.warning("message %s sent but not recorded (%s); trying again in %s s",
                        message_id, type(exc).__name__, wait)
            db.discard_session()
            time.sleep(wait)


def _record_sent(message_id: int) -> None:
    row = db.session().get(OutboxMessage, message_id, populate_existing=True)
    row.status, row.sent_at = SENT, timeutil.now()
    row.attempts += 1
    row.last_error = None
    if row.body_sealed:  # its code now lives only in the person's mailbox
        row.body = SEALED_BODY_SENT
    audit.record("mail.sent", actor=audit.Actor.system(), object_type="mail",
                 object_id=message_id,
                 summary=f"Aviso «{row.kind}» enviado ({row.object_type or '-'} "
                         f"{row.object_id or '-'})",
                 details={"kind": row.kind, "object_type": row.object_type,
                          "object_id": row.object_id})
    db.commit()


def register() -> None:
    """Register the mail job (called by the app factory)."""
    jobs.register(SEND_KIND, _send_job, label="Envío de un correo", max_attempts=25,
                  base_delay=timedelta(seconds=30), max_delay=timedelta(hours=2))


def _send_job(job: Any, payload: dict[str, Any]) -> None:
    if not settings().mail.enabled:
        return  # kept pending in the outbox; `alta mail flush` sends it once mail is enabled
    if not deliver(int(payload["message_id"])):
        message = db.session().get(OutboxMessage, int(payload["message_id"]))
        raise jobs.RetryLater(message.last_error if message else "Correo no enviado.")


def pending_ids() -> list[int]:
    """Ids of the messages not sent yet, oldest first."""
    return list(db.session().scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == PENDING).order_by(OutboxMessage.id)))


def flush() -> tuple[int, int]:
    """Try every pending message now (``alta mail flush``); returns (sent, still pending)."""
    sent = failed = 0
    for message_id in pending_ids():
        if deliver(message_id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def remove_about(object_type: str, object_ids: list[str]) -> int:
    """Delete the stored messages about these objects (retention): their bodies name people."""
    result = db.session().execute(delete(OutboxMessage).where(
        OutboxMessage.object_type == object_type, OutboxMessage.object_id.in_(object_ids)))
    return result.rowcount or 0
