"""IT's side of a received oficio against the real DC: every account with one action, a
progress page, created / linked / failed, and the reply oficio the liaison acknowledges."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import AccountRequest, RequestEvent
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.documents.models import IssuedDocument
from provisioning.handoff.models import CustodyTransfer
from provisioning.it import services as it
from provisioning.jobs import services as jobs
from provisioning.notifications.models import OutboxMessage
from provisioning.oficios.models import Oficio
from provisioning.staff.models import Role
from tests.support.documents import pdf_text
from tests.support.handoff_flow import HOSPITAL, Scene, status_of, user_name, values
from tests.support.web import has_inline_script

REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')


def person_of(applicant) -> accounts.Person:
    """What the directory would be told about the applicant's request."""
    return values(lambda: it.person_for(applicant.request_id))


def test_whole_oficio_created_with_one_action_then_replied_and_acknowledged(
        dir_app, clock) -> None:
    scene = Scene(dir_app, clock).cast()
    new = scene.applicant("Rosa María", "Quintero", "Salas")
    existing = scene.applicant("Óscar", "Velázquez", None, unit=HOSPITAL)
    broken = scene.applicant("Iván", "Zúñiga", "Ortega", ece=False)
    oficio_id = scene.received_oficio([new.request_id, existing.request_id, broken.request_id])
    # Before the run: one person already has an account (it is linked, not duplicated) and
    # another has two accounts with their CURP (IT must resolve it: the job fails).
    dc = connection.current()
    in_use = accounts.provision(dc, dataclasses.replace(person_of(existing),
                                                        folio="MSSSA001270-2020-00001"))
    accounts.set_enabled(dc, in_use.account.guid, True)  # in use: linked without asking
    twin = person_of(broken)
    first = accounts.provision(dc, twin).account
    second = accounts.create(dc, twin, f"dup{first.sam_account_name[:16]}",
                             accounts.ou_for(dc, twin))

    # IT's received oficio links to its accounts page; only IT sees it.
    page = scene.people["it.dept"][0].get(f"/oficios/{oficio_id}").get_data(as_text=True)
    assert f"/informatica/oficios/{oficio_id}/cuentas" in page
    assert scene.people["enlace"][0].get(
        f"/informatica/oficios/{oficio_id}/cuentas").status_code == 403
    page = scene.people["it.dept"][0].get(f"/informatica/oficios/{oficio_id}/cuentas")
    text = page.get_data(as_text=True)
    assert "Crear las 3 cuentas pendientes de este oficio" in text and not REFRESH.search(text)

    # One action queues the whole oficio; the page refreshes itself while the worker runs.
    response = scene.post("it.dept", f"/informatica/oficios/{oficio_id}/crear-cuentas")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/informatica/oficios/{oficio_id}/cuentas"
    text = scene.people["it.dept"][0].get(response.headers["Location"]).get_data(as_text=True)
    assert "3 solicitudes del oficio" in text and REFRESH.search(text).group(1) == "3"
    assert "En cola o reintentando</dt><dd>3" in text and not has_inline_script(text)
    # Twice is a clear conflict: nothing is waiting any more.
    again = scene.post("it.dept", f"/informatica/oficios/{oficio_id}/crear-cuentas")
    assert again.status_code == 409
    jobs.run_pending()
    text = scene.people["it.dept"][0].get(f"/informatica/oficios/{oficio_id}/cuentas").get_data(
        as_text=True)
    assert not REFRESH.search(text)
    assert "Cuentas creadas</dt><dd>1" in text
    assert "Vinculadas a una cuenta existente</dt><dd>1" in text
    assert "Con error</dt><dd>1" in text and "Hay 2 cuentas con la CURP" in text
    assert "Oficio de respuesta (2 cuentas listas)" in text
    assert status_of(broken.request_id) == "recibida_informatica"
    # The same list as CSV for IT's records: one line a request, user names, no secret.
    exported = scene.people["it.dept"][0].get(f"/informatica/oficios/{oficio_id}/cuentas.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == ["folio", "nombre", "unidad_clues", "usuario", "upn", "origen", "estado"]
    by_folio = {line[0]: line for line in lines[1:]}
    assert set(by_folio) == {new.folio, existing.folio, broken.folio}
    assert by_folio[existing.folio][5] == "vinculada"
    assert by_folio[new.folio][3] == user_name(new.request_id)
    assert by_folio[broken.folio][3] == "" and "CURP" in by_folio[broken.folio][6]
    assert "contrase" not in exported.get_data(as_text=True).lower()

    # The reply: IT staff may look; only the head of IT signs, with a fresh TOTP code.
    form = scene.people["it.dept"][0].get(f"/informatica/oficios/{oficio_id}/respuesta")
    assert form.status_code == 200
    assert "lo firma el (la) jefe(a)" in form.get_data(as_text=True)
    assert scene.post("it.dept", f"/informatica/oficios/{oficio_id}/respuesta",
                      {"code": "123456"}).status_code == 403
    wrong = scene.post("jefe.it", f"/informatica/oficios/{oficio_id}/respuesta",
                       {"code": "000000"})
    assert wrong.status_code == 401
    assert values(lambda: db.session().scalar(select(Oficio.id).where(
        Oficio.kind == "respuesta"))) is None
    reply_id = scene.reply(oficio_id)
    reply = values(lambda: db.session().get(Oficio, reply_id))
    envio = values(lambda: db.session().get(Oficio, oficio_id))
    assert reply.number == "SSM/DI/0001/2026" and reply.in_reply_to_id == oficio_id
    assert reply.jurisdiction_code == "I" and reply.signer_username == "jefe.it"
    assert reply.addressee_name == envio.signer_name
    content = json.loads(reply.content)
    assert content["en_respuesta_a"] == envio.number
    assert [(row["folio"], row["usuario"]) for row in content["anexo"]] == sorted(
        [(new.folio, user_name(new.request_id)),
         (existing.folio, user_name(existing.request_id))])
    # Folio, name, unit, user name and the solicitud's hash: never a password.
    assert {key for row in content["anexo"] for key in row} == {
        "folio", "nombre", "clues", "contenido_sha256", "usuario"}
    for applicant in (new, existing):
        assert status_of(applicant.request_id) == "en_entrega"
    assert status_of(broken.request_id) == "recibida_informatica"
    listing = scene.people["enlace"][0].get("/oficios").get_data(as_text=True)
    assert "<title>Oficios · " in listing
    assert reply.number in listing.split("Oficios de respuesta del Departamento")[1]
    # Nothing left to reply: a second reply now is a conflict.
    assert scene.post("jefe.it", f"/informatica/oficios/{oficio_id}/respuesta",
                      step_up=True).status_code == 409

    # The PDF cites the liaison's oficio and lists user names; /verificar says it is intact.
    pdf = scene.people["enlace"][0].get(f"/oficios/{reply_id}/pdf")
    drawn = pdf_text(pdf.data)
    assert f"En atenci\xf3n a su oficio No. {envio.number}" in drawn
    assert user_name(new.request_id) in drawn and "Usuario" in drawn
    code = values(lambda: db.session().scalar(select(IssuedDocument.code).where(
        IssuedDocument.object_pk == reply_id, IssuedDocument.kind == "oficio")))
    verified = scene.people["enlace"][0].get(f"/verificar/{code}")
    assert verified.status_code == 200

    # The liaison is told and acknowledges the reply with TOTP: the first custody receipt.
    mail = values(lambda: db.session().scalar(select(OutboxMessage.body).where(
        OutboxMessage.kind == "oficio_respuesta")))
    assert reply.number in mail and "no contiene contraseñas" in mail
    other = scene.person("enlace.ii", Role.ENLACE, jurisdiction_code="II")
    assert other.post(f"/oficios/{reply_id}/acuse-respuesta", {"code": "1"},
                      page="/panel").status_code == 404
    assert scene.post("it.dept", f"/oficios/{reply_id}/acuse-respuesta").status_code == 403
    assert scene.post("it.dept", f"/oficios/{reply_id}/acuse").status_code == 403
    assert scene.post("enlace", f"/oficios/{reply_id}/acuse-respuesta",
                      {"code": "000000"}).status_code == 401
    page = scene.people["enlace"][0].get(f"/oficios/{reply_id}").get_data(as_text=True)
    assert "Acusar de recibido" in page and user_name(new.request_id) in page
    scene.acknowledge_reply(reply_id)
    assert scene.post("enlace", f"/oficios/{reply_id}/acuse-respuesta",
                      step_up=True).status_code == 409
    reply = values(lambda: db.session().get(Oficio, reply_id))
    assert reply.status == "recibido" and reply.received_by_name == "PERSONA ENLACE"
    assert reply.receipt_sha256 == reply.content_sha256
    transfer = values(lambda: db.session().scalar(select(CustodyTransfer).where(
        CustodyTransfer.oficio_id == reply_id)))
    assert transfer.stage == "informatica_enlace" and transfer.released_by_name == \
        "PERSONA JEFE.IT"
    assert transfer.received_by_name == "PERSONA ENLACE" and transfer.to_jurisdiction_code == "I"
    notes = values(lambda: [(e.event, e.from_status, e.to_status, e.public) for e in
                            db.session().scalars(select(RequestEvent).where(
                                RequestEvent.request_id == new.request_id)
                                .order_by(RequestEvent.id))])
    assert notes[-2:] == [("reply_oficio", "cuenta_creada", "en_entrega", True),
                          ("custody_received", "en_entrega", "en_entrega", True)]
    audited = values(lambda: set(db.session().scalars(select(AuditEvent.action))))
    assert {"oficio.provisioning_queued", "custody.released", "custody.received",
            "request.custody_received", "oficio.acknowledged"} <= audited

    # IT fixes the duplicate accounts and retries; the late account goes in a second reply.
    dc.delete(second.dn)
    assert accounts.get(dc, first.guid) is not None
    retry = scene.post("it.dept", f"/informatica/solicitudes/{broken.request_id}/reintentar",
                       {"next": f"/informatica/oficios/{oficio_id}/cuentas"})
    assert retry.status_code == 302
    jobs.run_pending()
    second_reply = scene.reply(oficio_id)
    later, items = values(lambda: (db.session().get(Oficio, second_reply),
                                   len(db.session().get(Oficio, second_reply).items)))
    assert later.number == "SSM/DI/0002/2026" and items == 1
    assert "Las demás solicitudes" not in later.body
    assert "Las demás solicitudes" in reply.body
    page = scene.people["it.dept"][0].get(f"/oficios/{oficio_id}").get_data(as_text=True)
    assert "SSM/DI/0001/2026" in page and "SSM/DI/0002/2026" in page
    db.rollback()


def test_provisioning_a_whole_oficio_needs_its_acuse(app, client, clock, login_as) -> None:
    from tests.support.chain import issue, make_ready, person

    ready = make_ready(client, 1, **HOSPITAL)
    enlace, account = person(client, app, "enlace.x", Role.ENLACE, clock, jurisdiction_code="I")
    issue(enlace, account, clock, [ready.id])
    oficio = db.session().scalar(select(Oficio))
    login_as(Role.INFORMATICA)
    response = client.post(f"/informatica/oficios/{oficio.id}/crear-cuentas", page="/panel")
    assert response.status_code == 409 and "registre primero el acuse" in response.get_data(
        as_text=True)
    assert client.get("/informatica/oficios/987654/cuentas").status_code == 404
    db.session().expire_all()
    assert db.session().get(AccountRequest, ready.id).status == "en_oficio"
