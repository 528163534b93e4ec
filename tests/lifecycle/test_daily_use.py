"""The lifecycle in the tablero and the daily reminder: bajas and cambios to sign, and the
temporary accesses about to end, each counted for whoever must act (scoped), and the
signatures left waiting reminded by e-mail to the unit head who owes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from provisioning import db, timeutil
from provisioning.dashboard import reminders
from provisioning.lifecycle.models import Baja, Cambio
from provisioning.notifications.models import OutboxMessage
from provisioning.staff.models import Role
from tests.support.handoff_flow import HOSPITAL, Scene, values
from tests.support.lifecycle import baja_form, day, person_id


def _count(page: str, label: str) -> int:
    found = re.search(rf"{re.escape(label)}</dt><dd><a href=\"[^\"]+\">(\d+)<", page)
    assert found, (label, page)
    return int(found.group(1))


def _recorded(scene: Scene, nombres: str, **extra: str) -> int:
    applicant = scene.applicant(nombres, "Bravo", "Ríos", ece=False, **extra)
    scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    return person_id(applicant.request_id)


def test_tablero_and_reminder_show_the_lifecycle_work(app, clock) -> None:
    clock.now = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)  # a Monday
    scene = Scene(app, clock).cast()
    scene.person("jefe.ii", Role.JEFE_UNIDAD, unit_clues="MSSSA000611")
    leaving = _recorded(scene, "Elena")
    moving = _recorded(scene, "Rosa")
    ending = _recorded(scene, "Sofía", staff_type="residente",
                       fecha_termino=timeutil.format_date(timeutil.local_today()
                                                          + timedelta(days=10)))
    _recorded(scene, "Luz", staff_type="pasante",
              fecha_termino=timeutil.format_date(timeutil.local_today() + timedelta(days=90)))
    # The liaison starts a baja (it waits for the unit head); the unit head starts a cambio
    # to the hospital (it waits for the hospital's head).
    assert scene.post("enlace", f"/personas/{leaving}/baja",
                      baja_form(fecha_efectiva=day(10))).status_code == 302
    assert scene.post("jefe.centro", f"/personas/{moving}/cambio",
                      {"unidad_destino": HOSPITAL["unit_clues"],
                       "fecha_efectiva": day(5)}).status_code == 302
    assert ending

    centro = scene.people["jefe.centro"][0].get("/tablero").get_data(as_text=True)
    assert _count(centro, "Bajas que esperan su firma") == 1
    assert _count(centro, "Cambios que esperan su firma") == 0
    assert _count(centro, "Cambios por firmar") == 1  # its own unit's, signed elsewhere
    assert _count(centro, "Accesos temporales que terminan en 15 días hábiles") == 1
    hospital = scene.people["jefe.hospital"][0].get("/tablero").get_data(as_text=True)
    assert _count(hospital, "Cambios que esperan su firma") == 1
    assert _count(hospital, "Bajas que esperan su firma") == 0
    assert _count(hospital, "Accesos temporales que terminan en 15 días hábiles") == 0
    other = scene.people["jefe.ii"][0].get("/tablero").get_data(as_text=True)
    assert (_count(other, "Bajas por firmar"), _count(other, "Cambios por firmar"),
            _count(other, "Accesos temporales que terminan en 15 días hábiles")) == (0, 0, 0)
    it = scene.people["it.dept"][0].get("/tablero").get_data(as_text=True)
    assert _count(it, "Accesos temporales que terminan en 15 días hábiles") == 1
    auditor = scene.person("auditora", Role.AUDITOR).get("/tablero").get_data(as_text=True)
    assert "Bajas, cambios y accesos temporales" not in auditor

    # Four business days on (past [mail].reminder_after_business_days = 3), the reminder
    # goes to the head who owes each signature.
    clock.advance(days=4)
    assert reminders.send() >= 2
    db.commit()
    baja = values(lambda: db.session().scalar(select(Baja)))
    cambio = values(lambda: db.session().scalar(select(Cambio)))
    sent = values(lambda: {m.recipient: m.body for m in db.session().scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "recordatorio"))})
    assert f"Baja {baja.folio}" in sent["jefe.centro@ssm.test"]
    assert f"Cambio {cambio.folio}" not in sent["jefe.centro@ssm.test"]
    assert f"Cambio {cambio.folio}" in sent["jefe.hospital@ssm.test"]
    assert f"/cambios/{cambio.id}" in sent["jefe.hospital@ssm.test"]
