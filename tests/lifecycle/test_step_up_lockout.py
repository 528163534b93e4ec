"""Guessing the TOTP code of a baja, an urgent baja or a prórroga locks the account like
any other wrong code: the failure count survives the refused request (it used to be rolled
back with it, so these three forms allowed unlimited guesses), and nothing else is
written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from provisioning import db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.lifecycle.models import Baja, Extension
from provisioning.staff.models import StaffUser
from tests.support.handoff_flow import Scene, values
from tests.support.lifecycle import baja_form, day, person_id

TRIES = 5  # [security].max_failed_logins


def _resident(scene: Scene) -> int:
    end = timeutil.local_today() + timedelta(days=100)
    applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False, staff_type="residente",
                                fecha_termino=timeutil.format_date(end))
    scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    return person_id(applicant.request_id)


FORMS = {
    "baja firmada al iniciar": ("jefe.centro", "baja", lambda: baja_form(fecha_efectiva=day(3))),
    "baja urgente": ("it.dept", "baja-urgente",
                     lambda: {"motivo": "otra", "detalle": "Credencial robada en la unidad"}),
    "prórroga": ("jefe.centro", "prorroga",
                 lambda: {"nueva_fecha": timeutil.format_date(timeutil.local_today()
                                                              + timedelta(days=200))}),
}


@pytest.mark.parametrize("form", FORMS)
def test_wrong_codes_lock_the_signer_and_write_nothing(app, clock, form) -> None:
    scene = Scene(app, clock).cast()
    pid = _resident(scene)
    who, path, data = FORMS[form]
    for attempt in range(TRIES):
        refused = scene.post(who, f"/personas/{pid}/{path}", {**data(), "code": "000000"})
        assert refused.status_code in (401, 403), (attempt, refused.status_code)
    user = values(lambda: db.session().scalar(select(StaffUser).where(
        StaffUser.username == who)))
    assert user.locked_until is not None and user.locked_until > timeutil.now()
    assert values(lambda: db.session().scalar(select(func.count()).select_from(AuditEvent)
                                              .where(AuditEvent.action == "staff.locked",
                                                     AuditEvent.object_id == who))) == 1
    assert values(lambda: db.session().scalar(select(func.count()).select_from(Baja))) == 0
    assert values(lambda: db.session().scalar(
        select(func.count()).select_from(Extension))) == 0
