"""Oficios through HTTP: numbering per area and year, one live oficio per request, scope,
step-up, cancel, acuse de recibo; gap-free unique numbers under concurrency."""

from __future__ import annotations

import json
import re
import threading

from sqlalchemy import func, select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.counters import current_value
from provisioning.notifications.models import OutboxMessage
from provisioning.oficios.models import Oficio, OficioItem
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.app import TEST_ACTOR
from tests.support.chain import (
    CENTRO_I,
    CENTRO_II,
    HOSPITAL,
    Browser,
    fetch,
    issue,
    make_ready,
    person,
)
from tests.support.staff import create_staff_account, login


def oficios() -> list[Oficio]:
    db.session().expire_all()
    return list(db.session().scalars(select(Oficio).order_by(Oficio.id)))


def test_liaison_issues_an_oficio_with_consecutive_number(app, client, clock) -> None:
    first = make_ready(client, 1, **HOSPITAL)
    second = make_ready(client, 2, **CENTRO_I)
    create_staff_account("it.uno", staff.Grant(Role.INFORMATICA))
    enlace, account = person(client, app, "enlace.js1", Role.ENLACE, clock, jurisdiction_code="I")
    listing = enlace.get("/oficios").get_data(as_text=True)
    assert first.folio in listing and second.folio in listing
    response = issue(enlace, account, clock, [first.id, second.id])
    assert response.status_code == 302, response.get_data(as_text=True)
    (oficio,) = oficios()
    assert oficio.number == "SSM/JS-I/0001/2026"
    assert (oficio.status, oficio.signer_username, oficio.signer_ip) == ("enviado", "enlace.js1",
                                                                         "127.0.0.1")
    assert [i.folio for i in oficio.items] == sorted([first.folio, second.folio])
    assert fetch(first.folio).status == fetch(second.folio).status == "en_oficio"
    content = json.loads(oficio.content)
    assert content["numero"] == oficio.number and len(content["anexo"]) == 2
    assert content["lugar"] == "Cuernavaca, Mor." and content["fecha"] == "2026-03-04"
    page = enlace.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cuernavaca, Mor., a 4 de marzo de 2026" in page and oficio.content_sha256 in page
    actions = set(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id.in_([oficio.number, first.folio]))))
    assert {"oficio.issued", "request.include_in_oficio", "oficio.viewed"} <= actions
    mail = db.session().scalar(select(OutboxMessage).where(
        OutboxMessage.recipient == "it.uno@ssm.test"))
    assert mail.kind == "oficio_recibido" and oficio.number in mail.subject


def test_numbers_are_per_area_and_year(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    b = make_ready(client, 2, **CENTRO_I)
    c = make_ready(client, 3, **CENTRO_II)
    one, one_account = person(client, app, "enlace.a", Role.ENLACE, clock, jurisdiction_code="I")
    two, two_account = person(client, app, "enlace.b", Role.ENLACE, clock,
                              jurisdiction_code="II")
    issue(one, one_account, clock, [a.id])
    issue(two, two_account, clock, [c.id])
    issue(one, one_account, clock, [b.id])
    assert [o.number for o in oficios()] == ["SSM/JS-I/0001/2026", "SSM/JS-II/0001/2026",
                                             "SSM/JS-I/0002/2026"]
    clock.advance(days=320)
    d = make_ready(client, 4, **HOSPITAL)
    one, one_account = person(client, app, "enlace.c", Role.ENLACE, clock, jurisdiction_code="I")
    issue(one, one_account, clock, [d.id])
    assert oficios()[-1].number == "SSM/JS-I/0001/2027"


def test_a_request_is_in_at_most_one_live_oficio(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    b = make_ready(client, 2, **HOSPITAL)
    enlace, account = person(client, app, "enlace.uno", Role.ENLACE, clock,
                             jurisdiction_code="I")
    issue(enlace, account, clock, [a.id])
    again = issue(enlace, account, clock, [a.id, b.id])
    assert again.status_code == 409 and a.folio in again.get_data(as_text=True)
    assert len(oficios()) == 1 and fetch(b.folio).status == "lista_para_oficio"
    assert current_value("oficio:JS-I:2026") == 1  # the refused oficio took no number
    # Cancelling gives the requests back; the number stays used.
    first = oficios()[0]
    cancelled = enlace.post(f"/oficios/{first.id}/cancelar", {"reason": "Faltó una solicitud"},
                            page="/panel")
    assert cancelled.status_code == 302
    assert fetch(a.folio).status == "lista_para_oficio"
    assert issue(enlace, account, clock, [a.id, b.id]).status_code == 302
    numbers = [(o.number, o.status) for o in oficios()]
    assert numbers == [("SSM/JS-I/0001/2026", "cancelado"), ("SSM/JS-I/0002/2026", "enviado")]
    live = db.session().scalar(select(func.count()).select_from(OficioItem).where(
        OficioItem.request_id == a.id, OficioItem.live.is_(True)))
    assert live == 1


def test_step_up_is_required_and_a_failure_takes_no_number(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    enlace, account = person(client, app, "enlace.totp", Role.ENLACE, clock,
                             jurisdiction_code="I")
    replay = issue(enlace, account, None, [a.id])  # the sign-in code again
    assert replay.status_code == 401 and "ya se utilizó" in replay.get_data(as_text=True)
    assert issue(enlace, account, clock, [a.id], code="000000").status_code == 401
    assert issue(enlace, account, clock, [], code=None).status_code == 400
    assert oficios() == [] and current_value("oficio:JS-I:2026") == 0
    assert issue(enlace, account, clock, [a.id]).status_code == 302
    assert oficios()[0].number == "SSM/JS-I/0001/2026"


def test_the_liaison_previews_the_oficio_before_signing(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    b = make_ready(client, 2, **CENTRO_I)
    other = make_ready(client, 3, **CENTRO_II)
    enlace, _account = person(client, app, "enlace.vista", Role.ENLACE, clock,
                              jurisdiction_code="I")
    form = {"request_id": [str(a.id), str(b.id)], "subject": "Altas de marzo",
            "preview": "1"}
    response = enlace.post("/oficios", form, page="/oficios")  # no code needed to look
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    preview = page.split('class="oficio-preview"', 1)[1].split("</section>", 1)[0]
    assert "se asigna al firmar" in preview and "Asunto: Altas de marzo" in preview
    assert "Cuernavaca, Mor., a 4 de marzo de 2026" in preview
    assert "me permito enviar a usted 2 solicitudes" in preview
    assert a.folio in preview and b.folio in preview and "2 solicitudes FO-DPE" in preview
    assert "ATENTAMENTE" in preview and "PERSONA ENLACE.VISTA" in preview
    # The selection stays ticked for signing; nothing was numbered, signed or moved.
    assert re.search(rf'value="{a.id}"[^>]*checked', page)
    assert oficios() == [] and current_value("oficio:JS-I:2026") == 0
    assert fetch(a.folio).status == fetch(b.folio).status == "lista_para_oficio"
    # The preview is checked like a signature: nothing outside the liaison's scope.
    assert enlace.post("/oficios", {"request_id": str(other.id), "preview": "1"},
                       page="/oficios").status_code == 404
    assert enlace.post("/oficios", {"preview": "1"}, page="/oficios").status_code == 400


def test_select_all(app, client, clock) -> None:
    ready = [make_ready(client, n, **HOSPITAL) for n in range(1, 4)]
    enlace, account = person(client, app, "enlace.all", Role.ENLACE, clock,
                             jurisdiction_code="I")
    assert issue(enlace, account, clock, [], all="on").status_code == 302
    assert sorted(i.request_id for i in oficios()[0].items) == sorted(r.id for r in ready)


def test_scope_of_liaisons_and_roles(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    c = make_ready(client, 2, **CENTRO_II)
    one, one_account = person(client, app, "enlace.i", Role.ENLACE, clock, jurisdiction_code="I")
    two, two_account = person(client, app, "enlace.ii", Role.ENLACE, clock,
                              jurisdiction_code="II")
    assert a.folio not in two.get("/oficios").get_data(as_text=True)
    # JS II cannot put JS I's request (a guessed id) in an oficio.
    assert issue(two, two_account, clock, [a.id]).status_code == 404
    assert issue(two, two_account, clock, [a.id, c.id]).status_code == 404
    assert fetch(a.folio).status == "lista_para_oficio"
    issue(one, one_account, clock, [a.id])
    oficio = oficios()[0]
    for path in (f"/oficios/{oficio.id}", f"/oficios/{oficio.id + 1}", "/oficios/999999",
                 f"/oficios/{2**70}"):
        assert two.get(path).status_code == 404, path
    assert two.post(f"/oficios/{oficio.id}/cancelar", {"reason": "No es mío pero…"},
                    page="/panel").status_code == 404
    assert two.post(f"/oficios/{oficio.id}/acuse", page="/panel").status_code == 403
    jefe, _ = person(client, app, "jefe.x", Role.JEFE_UNIDAD, clock, unit_clues="MSSSA001270")
    assert jefe.get("/oficios").status_code == 403
    assert jefe.get(f"/oficios/{oficio.id}").status_code == 403
    assert jefe.get("/informatica/oficios").status_code == 403
    auditor, _ = person(client, app, "auditor.x", Role.AUDITOR, clock)
    assert auditor.get(f"/oficios/{oficio.id}").status_code == 200
    assert auditor.post("/oficios", {"request_id": [str(a.id)], "code": "123456"},
                        page="/panel").status_code == 403


def test_mixed_jurisdictions_are_refused(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    c = make_ready(client, 2, **CENTRO_II)
    account = create_staff_account("enlace.doble", staff.Grant(Role.ENLACE,
                                                               jurisdiction_code="I"))
    staff.grant_role(staff.get(account.id), staff.Grant(Role.ENLACE, jurisdiction_code="II"),
                     actor=TEST_ACTOR)
    db.commit()
    browser = Browser(app.test_client())
    login(browser, account, clock)
    response = issue(browser, account, clock, [a.id, c.id])
    assert response.status_code == 400 and "una sola jurisdicción" in response.get_data(
        as_text=True)


def test_it_acknowledges_receipt(app, client, clock) -> None:
    a = make_ready(client, 1, **HOSPITAL)
    enlace, account = person(client, app, "enlace.acuse", Role.ENLACE, clock,
                             jurisdiction_code="I")
    issue(enlace, account, clock, [a.id])
    oficio = oficios()[0]
    it, _ = person(client, app, "it.acuse", Role.INFORMATICA, clock)
    inbox = it.get("/informatica/oficios").get_data(as_text=True)
    assert oficio.number in inbox
    assert enlace.post(f"/oficios/{oficio.id}/acuse", page="/panel").status_code == 403
    clock.advance(minutes=5)
    assert it.post(f"/oficios/{oficio.id}/acuse", page="/panel").status_code == 302
    oficio = oficios()[0]
    assert oficio.status == "recibido" and oficio.received_at == clock.now
    assert oficio.receipt_sha256 == oficio.content_sha256
    assert oficio.received_by_name == "PERSONA IT.ACUSE" and oficio.received_ip == "127.0.0.1"
    assert fetch(a.folio).status == "recibida_informatica"
    assert it.post(f"/oficios/{oficio.id}/acuse", page="/panel").status_code == 409
    assert enlace.post(f"/oficios/{oficio.id}/cancelar", {"reason": "Demasiado tarde"},
                       page="/panel").status_code == 409
    page = enlace.get(f"/oficios/{oficio.id}").get_data(as_text=True)
    assert "PERSONA IT.ACUSE" in page and oficio.receipt_sha256 in page
    kinds = set(db.session().scalars(select(OutboxMessage.kind)))
    assert {"acuse", "recibida"} <= kinds
    assert oficio.number not in it.get("/informatica/oficios").get_data(as_text=True).split(
        "Todos los oficios")[0]


def test_concurrent_oficios_get_gap_free_unique_numbers(make_app, clock) -> None:
    threads_n = 6
    app = make_app()
    with app.app_context():
        applicant = Browser(app.test_client())
        ready = [make_ready(applicant, n, **HOSPITAL) for n in range(1, threads_n)]
        people = []
        for n in range(threads_n):
            account = create_staff_account(f"enlace.c{n}", staff.Grant(
                Role.ENLACE, jurisdiction_code="I"))
            browser = Browser(app.test_client())
            login(browser, account)
            people.append((browser, account))
        ids = [r.id for r in ready]
    clock.advance(seconds=30)
    # Five liaisons take one request each; the sixth races the first for the same request.
    targets = [*ids, ids[0]]
    forms = [(b, {"request_id": str(t), "code": a.code(), "csrf_token": b.token("/panel"),
                  "subject": "Solicitudes"}) for (b, a), t in zip(people, targets, strict=True)]
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []

    def act(browser, form) -> None:
        barrier.wait()
        statuses.append(browser.client.post("/oficios", data=form).status_code)

    threads = [threading.Thread(target=act, args=pair) for pair in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) == [302] * (threads_n - 1) + [409]
    with app.app_context():
        numbers = sorted(db.session().scalars(select(Oficio.number)))
        assert numbers == [f"SSM/JS-I/{n:04d}/2026" for n in range(1, threads_n)]
        assert current_value("oficio:JS-I:2026") == threads_n - 1
        statuses_now = set(db.session().scalars(select(AccountRequest.status)))
        assert statuses_now == {"en_oficio"}


def test_the_liaison_cannot_cancel_its_reply_oficio(app, clock) -> None:
    # The reply is IT's oficio: cancelling it would return requests with accounts to the
    # liaison's list. Refused as such (403), not only by the requests' state.
    from tests.support.handoff_flow import Scene

    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Rosa", "Quintero", "Salas")
    oficio_id = scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    reply_id = scene.reply(oficio_id)
    response = scene.post("enlace", f"/oficios/{reply_id}/cancelar", {"reason": "Error"})
    assert response.status_code == 403
    assert "oficio de envío" in response.get_data(as_text=True)
    assert [(o.kind, o.status) for o in oficios()] == [("envio", "recibido"),
                                                       ("respuesta", "enviado")]


def test_the_ready_list_shows_what_one_oficio_carries(app, client, clock,
                                                      monkeypatch) -> None:
    """Thousands of ready requests were all drawn (and «all» then broke the oficio's
    limit): the list shows the oldest that fit in one oficio and says how many wait."""
    from provisioning.oficios import services as oficio_services

    monkeypatch.setattr(oficio_services, "MAX_ITEMS", 2)
    ready = [make_ready(client, n, **HOSPITAL) for n in range(1, 4)]
    enlace, account = person(client, app, "enlace.cap", Role.ENLACE, clock,
                             jurisdiction_code="I")
    page = enlace.get("/oficios").get_data(as_text=True)
    assert "3 solicitudes están listas; se muestran las 2 más antiguas" in page
    assert ready[0].folio in page and ready[1].folio in page and ready[2].folio not in page
    panel = enlace.get("/panel").get_data(as_text=True)
    assert re.search(r"Solicitudes listas para oficio\D*3", panel)
    assert issue(enlace, account, clock, [], all="on").status_code == 302
    assert sorted(i.request_id for i in oficios()[0].items) == sorted(r.id for r in ready[:2])
    after = enlace.get("/oficios").get_data(as_text=True)
    assert ready[2].folio in after and "más antiguas" not in after
