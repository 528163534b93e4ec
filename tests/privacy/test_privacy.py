"""The person's rights: the aviso de privacidad, their export (everything about them and
nothing about anyone else), rectification and cancellation."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from provisioning import audit, db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.privacy import services as privacy
from provisioning.privacy.models import ArcoRequest
from provisioning.staff import services as staff_services
from provisioning.staff.models import Role
from tests.support.documents import pdf_text
from tests.support.forms import folio_and_code, submit
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser

SIGNER = audit.Actor("jefe.cuernavaca", "jefe_unidad", "10.20.30.40")
COURIER = audit.Actor("enlace.js1", "enlace", "10.20.30.41")
OTHER = {"curp": "HEGG560427MVZRRL04", "nombres": "Guadalupe", "primer_apellido": "Hernández",
         "segundo_apellido": "Gómez", "contact_email": "lupita@example.org",
         "telefono": "777 765 4321"}


def enter(client, folio: str, code: str):
    return client.post("/mis-datos", {"folio": folio, "code": code}, page="/mis-datos")


def staff_touches(folio: str) -> None:
    """What other domains record about a request: reads, a signature, a custody hop."""
    audit.record("request.viewed", actor=SIGNER, object_type="request", object_id=folio,
                 summary=f"Consulta de la solicitud {folio}")
    audit.record("request.signed", actor=SIGNER, object_type="request", object_id=folio,
                 summary=f"Firma del jefe de unidad en {folio}",
                 details={"content_sha256": "ab" * 32})
    audit.record("handoff.custody", actor=COURIER, object_type="request", object_id=folio,
                 summary=f"Entrega de la credencial de {folio} al jefe de unidad")
    db.commit()




def test_the_full_notice_is_public_and_linked_from_the_form(client) -> None:
    page = client.get("/aviso-de-privacidad").get_data(as_text=True)
    assert "Aviso de privacidad integral" in page and "Derechos ARCO" in page
    assert 'href="/aviso-de-privacidad"' in client.get("/solicitud").get_data(as_text=True)


def test_export_has_everything_about_the_person_and_nothing_else(
        app, client, login_as, monkeypatch) -> None:
    folio, code = folio_and_code(submit(client))
    other_folio, _ = folio_and_code(submit(Browser(app.test_client()), **OTHER))
    staff_touches(folio)
    staff_touches(other_folio)
    # Another domain's section (e.g. signatures from their own table).
    monkeypatch.setattr(privacy, "SECTIONS", (lambda r: privacy.Section(
        "Firmas", [{"firmante": "jefe.cuernavaca", "folio": r.folio}]),))
    # An auditor reads the request's history: a staff access the person must see.
    auditor = Browser(app.test_client())

    login(auditor, create_staff_account("auditora.1", staff_services.Grant(Role.AUDITOR)))
    assert auditor.get(f"/auditoria/objeto/request/{folio}").status_code == 200

    assert enter(client, folio, code).status_code == 302
    page = client.get("/mis-datos").get_data(as_text=True)
    assert f"solicitud {folio}" in page
    response = client.get("/mis-datos/descarga.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["solicitud"]["folio"] == folio
    assert data["solicitud"]["curp"] == "BEML920313HMCLNS09"
    assert data["solicitud"]["nombres"] == "LUIS ÁNGEL"
    assert data["solicitud"]["correo_electronico"] == "luis.bernal@example.org"
    staff_actions = [(a["usuario"], a["accion"]) for a in data["accesos_y_acciones_del_personal"]]
    assert ("jefe.cuernavaca", "request.viewed") in staff_actions
    assert ("jefe.cuernavaca", "request.signed") in staff_actions
    assert ("enlace.js1", "handoff.custody") in staff_actions
    assert ("auditora.1", "audit.history_viewed") in staff_actions
    log = data["bitacora_de_su_solicitud"]
    assert log[0]["accion"] == "request.submitted" and log[0]["ip"] == "127.0.0.1"
    assert all(e["ip"] == "" for e in log if e["rol"] != "solicitante")  # staff addresses
    assert data["otras_secciones"] == [
        {"titulo": "Firmas", "filas": [{"firmante": "jefe.cuernavaca", "folio": folio}]}]
    text = response.get_data(as_text=True)
    for foreign in (other_folio, OTHER["curp"], "GUADALUPE", "HERNÁNDEZ", "lupita"):
        assert foreign not in text

    pdf = client.get("/mis-datos/descarga.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    drawn = pdf_text(pdf.data)
    assert folio in drawn and "BEML920313HMCLNS09" in drawn and "request.signed" in drawn
    assert "LUIS \xc1NGEL" in drawn  # Latin-1 in the core fonts
    for foreign in (other_folio, OTHER["curp"], "GUADALUPE"):
        assert foreign not in drawn
    # Each download is audited on the request.
    downloads = db.session().scalars(select(AuditEvent.details).where(
        AuditEvent.action == "privacy.exported", AuditEvent.object_id == folio)).all()
    assert sorted(json.loads(d)["format"] for d in downloads) == ["json", "pdf"]


def test_access_needs_the_code_and_expires(client, clock) -> None:
    folio, code = folio_and_code(submit(client))
    wrong = enter(client, folio, "AAAA-BBBB-CCCC")
    assert wrong.status_code == 404
    assert client.get("/mis-datos/descarga.json").status_code == 403
    assert enter(client, folio, code).status_code == 302
    assert client.get("/mis-datos/descarga.json").status_code == 200
    clock.advance(minutes=16)
    assert client.get("/mis-datos/descarga.json").status_code == 403
    assert "Código de seguimiento" in client.get("/mis-datos").get_data(as_text=True)
    assert enter(client, folio, code).status_code == 302
    client.post("/mis-datos/salir", page="/mis-datos")
    assert client.get("/mis-datos/descarga.pdf").status_code == 403


def test_rectification_is_a_task_for_the_custodian(app, client, login_as) -> None:
    folio, code = folio_and_code(submit(client))
    enter(client, folio, code)
    client.post("/mis-datos/rectificacion",
                {"description": "Mi segundo apellido es Muñoz con Ñ"}, page="/mis-datos")
    arco = db.session().scalar(select(ArcoRequest).where(ArcoRequest.folio == folio))
    assert (arco.kind, arco.status) == ("rectificacion", "pendiente")
    event = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "privacy.rectification_requested"))
    assert "Muñoz" not in event.summary + event.details  # the text stays out of the log

    custodian = Browser(app.test_client())

    login(custodian, create_staff_account("jefa.info", staff_services.Grant(
        Role.JEFE_INFORMATICA)))
    tasks = custodian.get("/privacidad/solicitudes").get_data(as_text=True)
    assert folio in tasks and "Muñoz" not in tasks
    detail = custodian.get(f"/privacidad/solicitudes/{arco.id}").get_data(as_text=True)
    assert "Mi segundo apellido es Muñoz con Ñ" in detail and "BEML920313HMCLNS09" in detail
    incomplete = custodian.post(f"/privacidad/solicitudes/{arco.id}",
                                {"decision": "", "response": "x"}, page="/panel")
    assert incomplete.status_code == 400
    done = custodian.post(f"/privacidad/solicitudes/{arco.id}",
                          {"decision": "atendida", "response": "Corregido en el directorio."},
                          page="/panel")
    assert done.status_code == 302
    db.session().expire_all()
    assert db.session().get(ArcoRequest, arco.id).status == "atendida"
    # The person sees the answer and the custodian's reads in their export.
    data = json.loads(client.get("/mis-datos/descarga.json").get_data(as_text=True))
    assert data["solicitudes_arco"][0]["respuesta"] == "Corregido en el directorio."
    reads = [a for a in data["accesos_y_acciones_del_personal"]
             if a["accion"] == "privacy.arco_viewed"]
    assert reads and reads[0]["usuario"] == "jefa.info"


def test_cancellation_is_answered_with_the_date_it_applies_from(client, clock) -> None:
    folio, code = folio_and_code(submit(client))
    enter(client, folio, code)
    open_answer = client.post("/mis-datos/cancelacion", page="/mis-datos")
    assert open_answer.status_code == 302
    assert "sigue en trámite" in client.get("/mis-datos").get_data(as_text=True)

    closed_at = clock.now
    db.session().execute(update(AccountRequest).where(AccountRequest.folio == folio)
                         .values(closed_at=closed_at))
    db.commit()
    clock.advance(days=100)
    enter(client, folio, code)
    client.post("/mis-datos/cancelacion", page="/mis-datos")
    page = client.get("/mis-datos").get_data(as_text=True)
    applies = timeutil.format_date(closed_at.replace(year=closed_at.year + 3))
    assert f"procede a partir del {applies}" in page
    arco = db.session().scalars(select(ArcoRequest).where(
        ArcoRequest.folio == folio).order_by(ArcoRequest.id.desc())).first()
    assert arco.status == "programada"
    assert arco.applies_from == timeutil.to_local(
        closed_at.replace(year=closed_at.year + 3)).date()
    assert arco.applies_from - timeutil.local_today() > timedelta(days=900)


def test_export_of_a_live_request_has_its_signatures_account_and_list_reads(
        dir_app, clock) -> None:
    from provisioning.approvals.models import Signature
    from provisioning.people.accounts import DirectoryAccount
    from tests.support.handoff_flow import Scene, values

    scene = Scene(dir_app, clock).cast()
    person = scene.applicant("Wenceslao", "Tlacotalpan", "Ixtlahuaca", signed=True)
    other = scene.applicant("Quetzalli", "Ramos", "Ortiz", signed=True)
    # The liaison opens the list of requests ready for an oficio: both people's data shown.
    assert scene.people["enlace"][0].get("/oficios").status_code == 200
    scene.to_holders([person])
    signed = values(lambda: list(db.session().scalars(select(Signature).where(
        Signature.request_id == person.request_id).order_by(Signature.id))))
    account = values(lambda: db.session().scalar(select(DirectoryAccount).where(
        DirectoryAccount.request_id == person.request_id)))

    browser = Browser(dir_app.test_client())
    assert enter(browser, person.folio, person.tracking_code).status_code == 302
    export = json.loads(browser.get("/mis-datos/descarga.json").get_data(as_text=True))
    sections = {s["titulo"]: s["filas"] for s in export["otras_secciones"]}
    assert [(r["firmo"], r["contenido_firmado_sha256"], r["estado"])
            for r in sections["Firmas de autorización de su solicitud"]] == [
        ("PERSONA JEFE.CENTRO", signed[0].content_sha256, "vigente"),
        ("PERSONA RESPONSABLE", signed[1].content_sha256, "vigente")]
    (row,) = sections["Su cuenta en el directorio institucional"]
    assert (row["usuario"], row["nombre_principal_upn"], row["nombre_distinguido_dn"]) == (
        account.sam_account_name, account.user_principal_name, account.dn)
    assert row["origen"] == "creada por Alta"
    reads = [(a["usuario"], a["accion"]) for a in export["accesos_y_acciones_del_personal"]]
    assert ("enlace", "request.list_viewed") in reads
    assert ("enlace", "oficio.issued") in reads
    # Nothing about the other person listed beside them.
    assert other.folio not in json.dumps(export) and other.curp not in json.dumps(export)
    pdf = browser.get("/mis-datos/descarga.pdf")
    assert pdf.status_code == 200
    assert "Firmas de autorizaci" in pdf_text(pdf.data)
