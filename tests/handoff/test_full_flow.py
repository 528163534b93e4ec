"""Acceptance: against the real DC, through HTTP, from an approved request to SIEMPRE access —
oficio, accounts, reply oficio, custody hops, delivery in person, activation (the person's
password binds, the account is enabled), pre-registration (the account is in the SIEMPRE
group), the status API answering ``activo``; audited end to end."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from provisioning import audit, db
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.api import services as api
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.jobs import services as jobs
from provisioning.notifications.models import OutboxMessage
from provisioning.people.accounts import DirectoryAccount
from provisioning.staff.models import Role
from tests.support.handoff_flow import Scene, status_of, user_name, values
from tests.support.web import Browser

PASSWORD = "Ahuehuete-Verde-73"


def test_from_approved_request_to_siempre_access(siempre_app, clock) -> None:
    app, siempre_group = siempre_app
    scene = Scene(app, clock).cast()
    # An expediente electrónico account of a centro de salud: the responsable jurisdiccional
    # receives it from the liaison and delivers it (observación 6).
    person = scene.applicant("Ximena", "Tapia", "Cortés", sex="M", state="GR")
    request_id = person.request_id

    oficio_id = scene.received_oficio([request_id])
    assert scene.create_accounts(oficio_id).status_code == 302
    assert status_of(request_id) == "cuenta_creada"
    reply_id = scene.reply(oficio_id)
    assert status_of(request_id) == "en_entrega"
    scene.acknowledge_reply(reply_id)
    assert scene.release([request_id]).status_code == 302
    assert scene.receive("jefe.centro") == []  # not theirs
    assert len(scene.receive("responsable")) == 1
    code = scene.deliver("responsable", request_id)
    assert status_of(request_id) == "entregada"

    # Activation: the person's own password, accepted by the DC; the account is enabled.
    user = user_name(request_id)
    done = person.browser.post("/activar", {"usuario": user, "code": code,
                                            "curp": person.curp.lower(), "password": PASSWORD,
                                            "password2": PASSWORD}, page="/activar")
    assert done.status_code == 200, done.get_data(as_text=True)
    guid = values(lambda: db.session().scalar(select(DirectoryAccount.object_guid).where(
        DirectoryAccount.request_id == request_id)))
    dc = connection.current()
    assert accounts.get(dc, guid).enabled
    accounts.verify_password(dc, guid, PASSWORD)  # a real bind with the chosen password

    # Pre-registration: sign in with the new credentials, Tabla 1 data, the worker grants.
    browser = Browser(app.test_client())
    signed = browser.post("/preregistro", {"usuario": user, "password": PASSWORD},
                          page="/preregistro")
    assert signed.status_code == 302
    completed = browser.post("/preregistro/datos", {
        "nombres": "Ximena", "primer_apellido": "Tapia", "segundo_apellido": "Cortés",
        "fecha_nacimiento": person.born.isoformat(), "sexo": "M", "entidad_nacimiento": "GR",
        "nacionalidad": "MEX", "staff_type_code": "medico", "cedula_profesional": "1234567",
        "telefono_institucional": "7773114455"}, page="/preregistro/datos")
    assert completed.status_code == 302, completed.get_data(as_text=True)
    assert jobs.run_pending() >= 1
    assert siempre_group.lower() in [g.lower() for g in accounts.get(dc, guid).groups]
    request = values(lambda: db.session().get(AccountRequest, request_id))
    assert request.status == "acceso_activo" and request.closed_at == clock.now
    confirmation = browser.get("/preregistro/confirmacion").get_data(as_text=True)
    assert "Su acceso a SIEMPRE está activo" in confirmation and user in confirmation

    moves = values(lambda: [e.event for e in workflow.history(
        db.session().get(AccountRequest, request_id))])
    assert moves == ["submit", "sign_unit_head", "include_in_oficio", "acknowledge",
                     "account_created", "reply_oficio", "custody_received", "custody_released",
                     "custody_received", "deliver", "activate", "complete_preregistration"]
    audited = values(lambda: set(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == person.folio))))
    assert {"request.reply_oficio", "request.custody_received", "request.custody_released",
            "request.deliver", "request.activate", "preregistration.completed",
            "preregistration.siempre_granted", "request.complete_preregistration"} <= audited

    # The applicant heard when to come in person and when access was active.
    kinds = values(lambda: set(db.session().scalars(select(OutboxMessage.kind).where(
        OutboxMessage.recipient == request.contact_email))))
    assert {"codigo_listo", "activo"} <= kinds
    # The status API answers activo with the user name, names, CLUES and the time.
    token = values(lambda: _token())
    body = browser.client.post("/api/v1/personal/estado", json={"curp": person.curp},
                               headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body == {"curp": person.curp, "estado": "activo", "usuario": user,
                    "nombres": "XIMENA", "primer_apellido": "TAPIA",
                    "segundo_apellido": "CORTÉS", "clues": "MSSSA000120",
                    "fecha_respuesta": body["fecha_respuesta"]}
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", body["fecha_respuesta"])

    # The person's data export has the custody hops, the deliveries and the Tabla 1 data.
    mine = Browser(app.test_client())
    assert mine.post("/mis-datos", {"folio": person.folio, "code": person.tracking_code},
                     page="/mis-datos").status_code == 302
    export = json.loads(mine.get("/mis-datos/descarga.json").get_data(as_text=True))
    sections = {s["titulo"]: s["filas"] for s in export["otras_secciones"]}
    custody = sections["Cadena de custodia de su cuenta"]
    assert [(c["paso"], c["recibio"]) for c in custody] == [
        ("1", "PERSONA ENLACE"), ("2", "PERSONA RESPONSABLE")]
    assert sections["Entregas de su código de activación"][0]["entrego"] == \
        "PERSONA RESPONSABLE"
    assert sections["Su pre-registro (NOM-024, tabla 1)"][0]["entidad_de_nacimiento"] == \
        "Guerrero"
    assert code not in json.dumps(export) and PASSWORD not in json.dumps(export)
    assert mine.get("/mis-datos/descarga.pdf").status_code == 200

    # The dashboard counts the closed request under its final state.
    board = scene.person("auditora", Role.AUDITOR).get("/tablero?cerradas=1").get_data(
        as_text=True)
    assert 'title="Acceso activo a SIEMPRE"' in board
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def _token() -> str:
    _, token = api.create_client("SIEMPRE", scopes=[api.STATUS_READ],
                                 actor=audit.Actor("admin", "admin"))
    db.commit()
    return token
