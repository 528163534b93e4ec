"""Fault injection: PostgreSQL restarted while the worker delivers a batch of e-mails.

The worker survives the outage, every message is delivered, and a message is never seen
twice by the receiver: if a resend happens at all (the server accepted it just before the
database went away), it carries the same Message-ID, which mail systems treat as one
message. Runs in the PostgreSQL pass of the suite (root restarts the cluster).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from provisioning import db
from provisioning.jobs.worker import Worker
from provisioning.notifications import services as notifications
from provisioning.notifications.models import OutboxMessage
from tests.conftest import PG_URL
from tests.notifications.test_mail import Inbox, free_port

MESSAGES = 60
PG_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg-test"


def restart_postgres() -> None:
    """Restart the local cluster the suite uses (scripts/pg-test knows which)."""
    subprocess.run([str(PG_SCRIPT), "restart"], check=True, capture_output=True, timeout=120)


class SlowInbox(Inbox):
    """Takes a little time per message, so the restart lands in the middle of the batch."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        import asyncio

        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL pass only (the SQLite pass has no server)")
def test_worker_survives_postgres_restart_and_every_message_arrives(make_app) -> None:
    if os.geteuid() != 0:
        pytest.fail("restarting PostgreSQL needs root (CI runs as root)")
    port = free_port()
    app = make_app(mail={"port": port, "sender": "Alta SSM <alta@ssm.test>"})
    inbox = SlowInbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    worker = Worker(poll_seconds=0.05, worker_id="fallas")
    try:
        with app.app_context():
            unit = SimpleNamespace(name="Centro de Salud Urbano Cuernavaca")
            for n in range(MESSAGES):
                request = SimpleNamespace(folio=f"MSSSA000120-2026-{n:05d}", unit=unit,
                                          unit_clues="MSSSA000120", form_date=date(2026, 3, 4))
                notifications.queue([f"persona{n}@ssm.test"], "turno", f"Aviso {n}",
                                    object_type="prueba", object_id=str(n), request=request,
                                    status=SimpleNamespace(label="Enviada"), path="/firmas")
            db.commit()

        def work() -> None:
            with app.app_context():
                worker.run()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while len(inbox.messages) < MESSAGES // 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert inbox.messages, "the worker never started delivering"
        restart_postgres()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            with app.app_context():
                left = db.session().scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.status != "sent"))
                db.rollback()
            if left == 0:
                break
            time.sleep(0.5)
        assert left == 0, f"{left} messages never delivered after the restart"
    finally:
        worker.stop()
        server.stop()
    thread.join(timeout=30)
    ids = [re.search(r"^Message-ID: (\S+)", raw, re.M | re.I)[1]
           for _, _, raw in inbox.messages]
    assert len(set(ids)) == MESSAGES
    subjects = {re.search(r"^Subject: (.+?)\r?$", raw, re.M)[1] for _, _, raw in inbox.messages}
    assert subjects == {f"Aviso {n}" for n in range(MESSAGES)}
