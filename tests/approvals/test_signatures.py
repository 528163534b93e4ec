"""Unit head and responsable signatures through HTTP: the rule table, step-up, scope,
return / reject / correct / cancel, and no double signature under concurrency."""

from __future__ import annotations

import json
import re
import threading
from hashlib import sha256

import pytest
from sqlalchemy import func, select

from provisioning import db
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals import rules, services
from provisioning.approvals.models import Signature
from provisioning.audit.models import AuditEvent
from provisioning.notifications.models import OutboxMessage
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from tests.support.chain import (
    CENTRO_I,
    CENTRO_I_OTHER,
    CENTRO_II,
    HOSPITAL,
    NO_ECE,
    decide,
    fetch,
    hypothetical_curp,
    new_request,
    person,
    sign,
)
from tests.support.forms import VALID_FORM, folio_and_code
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser

JEFE = Role.JEFE_UNIDAD
RESP = Role.RESPONSABLE_JURISDICCIONAL


def live_signatures(request_id: int) -> list[Signature]:
    db.session().expire_all()
    return list(db.session().scalars(select(Signature).where(
        Signature.request_id == request_id, Signature.voided_at.is_(None)).order_by(Signature.id)))


def actions(object_id: str) -> list[str]:
    return list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == object_id).order_by(AuditEvent.seq)))


def mails_to(address: str) -> list[OutboxMessage]:
    db.session().expire_all()
    return list(db.session().scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == address).order_by(OutboxMessage.id)))


def track(client, folio: str, code: str):
    return client.post("/seguimiento", {"folio": folio, "code": code}, page="/seguimiento")


# ---------------------------------------------------------------------------------------------
# The rule table


def test_rule_table_observacion_5() -> None:
    assert [s.code for s in rules.SIGNATURE_RULES[("centro_de_salud", rules.ECE)]] == [
        "jefe_unidad", "responsable_jurisdiccional"]
    for key, chain in rules.SIGNATURE_RULES.items():
        if key != ("centro_de_salud", rules.ECE):
            assert chain == (rules.UNIT_HEAD,), key


def test_every_chain_fits_the_state_machine() -> None:
    """Each step's move starts in its awaiting state and can reach the state the rule picks."""
    class Fake:
        def __init__(self, unit_type: str, ece: bool) -> None:
            self.unit_type, self.wants_ece = unit_type, ece

    for (unit_type, kind), chain in rules.SIGNATURE_RULES.items():
        fake = Fake(unit_type, kind == rules.ECE)
        for step in chain:
            move = workflow.MOVES[step.event]
            assert step.awaiting in move.sources
            assert rules.state_after(fake, step) in move.targets
        assert rules.state_after(fake, chain[-1]) == workflow.RequestStatus.LISTA_PARA_OFICIO


def test_hospital_request_needs_only_the_unit_head(app, client, clock) -> None:
    request, folio, _ = new_request(client, **HOSPITAL)
    clock.advance(hours=1)
    jefe, account = person(client, app, "jefe.hosp", JEFE, clock, unit_clues="MSSSA001270")
    create_staff_account("enlace.uno", staff.Grant(Role.ENLACE, jurisdiction_code="I"))
    response = sign(jefe, account, request.id, clock)
    assert response.status_code == 302
    assert fetch(folio).status == "lista_para_oficio"
    (signature,) = live_signatures(request.id)
    canonical = json.loads(signature.content)
    assert canonical["folio"] == folio and canonical["segundo_apellido"] == "MUÑOZ"
    assert signature.content_sha256 == sha256(signature.content.encode()).hexdigest()
    assert (signature.step, signature.signer_username, signature.signer_role) == (
        "jefe_unidad", "jefe.hosp", "jefe_unidad")
    assert signature.ip == "127.0.0.1" and signature.signed_at == clock.now
    assert signature.signer_name == "PERSONA JEFE.HOSP"
    event = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "request.sign_unit_head", AuditEvent.object_id == folio))
    assert json.loads(event.details)["content_sha256"] == signature.content_sha256
    assert event.ip == "127.0.0.1" and event.actor == "jefe.hosp"
    # The next actor (the liaison) and the applicant are told.
    assert [m.kind for m in mails_to("enlace.uno@ssm.test")] == ["turno"]
    assert [m.kind for m in mails_to(VALID_FORM["contact_email"])] == ["firmada"]


def test_observacion_5_centro_de_salud_ece_needs_the_responsable(app, client, clock) -> None:
    request, folio, _ = new_request(client, **CENTRO_I)
    jefe, jefe_account = person(client, app, "jefe.cs", JEFE, clock, unit_clues="MSSSA000120")
    resp, resp_account = person(client, app, "resp.uno", RESP, clock, jurisdiction_code="I")
    other_resp, other_account = person(client, app, "resp.dos", RESP, clock,
                                       jurisdiction_code="II")
    # Not the responsable's turn yet.
    assert sign(resp, resp_account, request.id, clock).status_code == 409
    assert sign(jefe, jefe_account, request.id, clock).status_code == 302
    assert fetch(folio).status == "firmada_jefe"
    assert [m.kind for m in mails_to("resp.uno@ssm.test")] == ["turno"]
    assert mails_to("resp.dos@ssm.test") == []
    # The unit head cannot sign twice; the responsable of another jurisdiction sees nothing.
    assert sign(jefe, jefe_account, request.id, clock).status_code == 409
    assert other_resp.get(f"/solicitudes/{request.id}").status_code == 404
    assert sign(other_resp, other_account, request.id, clock).status_code == 404
    inbox = resp.get("/firmas").get_data(as_text=True)
    assert folio in inbox
    assert sign(resp, resp_account, request.id, clock).status_code == 302
    assert fetch(folio).status == "lista_para_oficio"
    signatures = live_signatures(request.id)
    assert [s.step for s in signatures] == ["jefe_unidad", "responsable_jurisdiccional"]
    # Both signed the same content.
    assert signatures[0].content_sha256 == signatures[1].content_sha256
    assert "request.sign_responsable" in actions(folio)


def test_centro_de_salud_without_ece_needs_only_the_unit_head(app, client, clock) -> None:
    request, folio, _ = new_request(client, **CENTRO_I, **NO_ECE)
    jefe, account = person(client, app, "jefe.cs2", JEFE, clock, unit_clues="MSSSA000120")
    assert sign(jefe, account, request.id, clock).status_code == 302
    assert fetch(folio).status == "lista_para_oficio"


# ---------------------------------------------------------------------------------------------
# Step-up


def test_signature_needs_a_fresh_totp_code(app, client, clock) -> None:
    request, folio, _ = new_request(client, **HOSPITAL)
    jefe, account = person(client, app, "jefe.totp", JEFE, clock, unit_clues="MSSSA001270")
    page = f"/solicitudes/{request.id}"
    # The code used to sign in is a replay.
    replay = jefe.post(f"{page}/firmar", {"code": account.code()}, page=page)
    assert replay.status_code == 401 and "ya se utilizó" in replay.get_data(as_text=True)
    for bad in ("", "12345", "abcdef", "000000"):
        response = jefe.post(f"{page}/firmar", {"code": bad}, page=page)
        assert response.status_code == 401, bad
    assert fetch(folio).status == "enviada" and live_signatures(request.id) == []
    user = db.session().scalar(select(StaffUser).where(StaffUser.username == "jefe.totp"))
    assert user.failed_logins == 2  # the replay and "000000" (malformed input is not a try)
    clock.advance(seconds=30)
    code = account.code()
    assert jefe.post(f"{page}/firmar", {"code": code}, page=page).status_code == 302
    assert fetch(folio).status == "lista_para_oficio"
    failures = db.session().scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "staff.login_failed", AuditEvent.actor == "jefe.totp"))
    assert failures == 2


def test_repeated_wrong_codes_lock_the_signer_out(app, client, clock) -> None:
    request, folio, _ = new_request(client, **HOSPITAL)
    jefe, account = person(client, app, "jefe.lock", JEFE, clock, unit_clues="MSSSA001270")
    page = f"/solicitudes/{request.id}"
    statuses = [jefe.post(f"{page}/firmar", {"code": "000000"}, page=page).status_code
                for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 403]
    # The session ended with the lockout.
    assert jefe.get(page).status_code == 302
    assert fetch(folio).status == "enviada"


# ---------------------------------------------------------------------------------------------
# Scope and roles


def test_unit_head_of_another_unit_gets_404_everywhere(app, client, clock) -> None:
    request, folio, _ = new_request(client, **CENTRO_I)
    other, account = person(client, app, "jefe.otra", JEFE, clock, unit_clues="MSSSA000342")
    page = f"/solicitudes/{request.id}"
    assert other.get(page).status_code == 404
    assert sign(other, account, request.id, clock).status_code == 404
    assert decide(other, request.id, "devolver", "No procede aquí").status_code == 404
    assert decide(other, request.id, "rechazar", "No procede aquí").status_code == 404
    assert folio not in other.get("/firmas").get_data(as_text=True)
    for guessed in (request.id + 1, 0, 999999, 2**63, 2**80):
        assert other.get(f"/solicitudes/{guessed}").status_code == 404
        assert other.post(f"/solicitudes/{guessed}/firmar", {"code": "123456"},
                          page="/firmas").status_code == 404
    assert fetch(folio).status == "enviada"


def test_wrong_roles_get_403(app, client, clock) -> None:
    request, _, _ = new_request(client, **CENTRO_I)
    enlace, account = person(client, app, "enlace.firma", Role.ENLACE, clock,
                             jurisdiction_code="I")
    assert enlace.get(f"/solicitudes/{request.id}").status_code == 200  # may look
    assert sign(enlace, account, request.id, clock).status_code == 403
    assert decide(enlace, request.id, "rechazar", "No me toca").status_code == 403
    assert enlace.get("/firmas").status_code == 403
    auditor, auditor_account = person(client, app, "auditora", Role.AUDITOR, clock)
    assert auditor.get(f"/solicitudes/{request.id}").status_code == 200
    assert sign(auditor, auditor_account, request.id, clock).status_code == 403
    assert client.get(f"/solicitudes/{request.id}").status_code == 302  # anonymous


def test_viewing_a_request_is_audited(app, client, clock) -> None:
    request, folio, _ = new_request(client, **CENTRO_I)
    jefe, _ = person(client, app, "jefe.ver", JEFE, clock, unit_clues="MSSSA000120")
    page = jefe.get(f"/solicitudes/{request.id}").get_data(as_text=True)
    assert "LUIS ÁNGEL BERNAL MUÑOZ" in page and "BEML920313HMCLNS09" in page
    viewed = db.session().scalars(select(AuditEvent).where(
        AuditEvent.action == "request.viewed", AuditEvent.object_id == folio)).all()
    assert [v.actor for v in viewed] == ["jefe.ver"]


# ---------------------------------------------------------------------------------------------
# Return, correct, resubmit; reject; cancel


def test_return_correct_and_resubmit_keeps_the_folio(app, client, clock) -> None:
    request, folio, code = new_request(client, **CENTRO_I)
    jefe, account = person(client, app, "jefe.dev", JEFE, clock, unit_clues="MSSSA000120")
    assert decide(jefe, request.id, "devolver", "x").status_code == 400  # reason too short
    response = decide(jefe, request.id, "devolver", "Falta el segundo teléfono de contacto")
    assert response.status_code == 302
    assert fetch(folio).status == "devuelta"
    assert [m.kind for m in mails_to(VALID_FORM["contact_email"])] == ["devuelta"]
    assert sign(jefe, account, request.id, clock).status_code == 409
    # The applicant sees the reason and corrects the form.
    applicant = Browser(app.test_client())
    page = track(applicant, folio, code).get_data(as_text=True)
    assert "Devuelta para corrección" in page and "Falta el segundo teléfono" in page
    assert "Corregir y reenviar" in page
    form = applicant.get("/seguimiento/corregir").get_data(as_text=True)
    assert 'value="BEML920313HMCLNS09"' in form and folio in form
    # The reason is repeated on top of the form; the commitments already made stay ticked.
    assert "con este motivo: <strong class=\"return-reason\">«Falta el segundo teléfono de " \
        "contacto»" in form
    for commitment in ("accepts_personal_account", "accepts_privacy_notice"):
        assert re.search(rf'name="{commitment}"\s+checked', form), commitment
    bad = applicant.post("/seguimiento/corregir", {**VALID_FORM, **CENTRO_I, "telefono": "1"},
                         page="/seguimiento/corregir")
    assert bad.status_code == 400 and fetch(folio).status == "devuelta"
    fixed = applicant.post("/seguimiento/corregir",
                           {**VALID_FORM, **CENTRO_I, "telefono": "777 999 8888",
                            "nombres": "Luis Ángel Ñandú"}, page="/seguimiento/corregir")
    assert fixed.status_code == 302
    stored = fetch(folio)
    assert (stored.status, stored.telefono, stored.nombres) == ("enviada", "7779998888",
                                                                "LUIS ÁNGEL ÑANDÚ")
    assert db.session().scalar(select(func.count()).select_from(AccountRequest)) == 1
    event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "request.resubmit"))
    assert set(json.loads(event.details)["changed_fields"]) == {"telefono", "nombres"}
    assert "7779998888" not in event.details
    # The unit head is told, and signs the corrected content.
    assert [m.kind for m in mails_to("jefe.dev@ssm.test")] == ["turno"]  # (created after submit)
    assert sign(jefe, account, request.id, clock).status_code == 302
    (signature,) = live_signatures(request.id)
    assert json.loads(signature.content)["nombres"] == "LUIS ÁNGEL ÑANDÚ"


def test_responsable_return_voids_the_unit_head_signature(app, client, clock) -> None:
    request, folio, code = new_request(client, **CENTRO_I)
    jefe, jefe_account = person(client, app, "jefe.void", JEFE, clock, unit_clues="MSSSA000120")
    resp, resp_account = person(client, app, "resp.void", RESP, clock, jurisdiction_code="I")
    sign(jefe, jefe_account, request.id, clock)
    # The unit head may no longer return it: it is the responsable's turn.
    assert decide(jefe, request.id, "devolver", "Cambié de opinión").status_code == 409
    assert decide(resp, request.id, "devolver", "Falta la firma autógrafa").status_code == 302
    assert live_signatures(request.id) == []
    applicant = Browser(app.test_client())
    track(applicant, folio, code)
    applicant.post("/seguimiento/corregir", dict(VALID_FORM), page="/seguimiento/corregir")
    assert fetch(folio).status == "enviada"
    assert sign(jefe, jefe_account, request.id, clock).status_code == 302
    assert sign(resp, resp_account, request.id, clock).status_code == 302
    assert [s.step for s in live_signatures(request.id)] == ["jefe_unidad",
                                                             "responsable_jurisdiccional"]
    total = db.session().scalar(select(func.count()).select_from(Signature).where(
        Signature.request_id == request.id))
    assert total == 3


def test_reject_is_final_and_shown_to_the_applicant(app, client, clock) -> None:
    request, folio, code = new_request(client, **HOSPITAL)
    jefe, account = person(client, app, "jefe.rech", JEFE, clock, unit_clues="MSSSA001270")
    assert decide(jefe, request.id, "rechazar", "La persona ya no labora en la unidad") \
        .status_code == 302
    stored = fetch(folio)
    assert stored.status == "rechazada" and stored.closed_at == clock.now
    page = track(Browser(app.test_client()), folio, code).get_data(as_text=True)
    assert "Rechazada" in page and "ya no labora" in page
    assert "Corregir y reenviar" not in page
    conflict = sign(jefe, account, request.id, clock)
    assert conflict.status_code == 409 and "Rechazada" in conflict.get_data(as_text=True)
    assert decide(jefe, request.id, "devolver", "Otra vez por favor").status_code == 409
    assert [m.kind for m in mails_to(VALID_FORM["contact_email"])] == ["rechazada"]


def test_applicant_cancels_and_nobody_can_sign_it(app, client, clock) -> None:
    request, folio, code = new_request(client, **HOSPITAL)
    jefe, account = person(client, app, "jefe.canc", JEFE, clock, unit_clues="MSSSA001270")
    applicant = Browser(app.test_client())
    # Without verifying folio + code first: refused.
    assert applicant.post("/seguimiento/cancelar", page="/seguimiento").status_code == 403
    assert "Cancelar mi solicitud" in track(applicant, folio, code).get_data(as_text=True)
    assert applicant.post("/seguimiento/cancelar", page="/seguimiento").status_code == 302
    assert fetch(folio).status == "cancelada"
    response = sign(jefe, account, request.id, clock)
    assert response.status_code == 409 and live_signatures(request.id) == []
    assert "request.cancel" in actions(folio)


def test_verified_window_expires_and_keeps_no_code(app, client, clock) -> None:
    request, folio, code = new_request(client, **HOSPITAL)
    jefe, _ = person(client, app, "jefe.exp", JEFE, clock, unit_clues="MSSSA001270")
    decide(jefe, request.id, "devolver", "Revise su CURP por favor")
    applicant = Browser(app.test_client())
    track(applicant, folio, code)
    with applicant.client.session_transaction() as stored:
        assert stored["seguimiento"]["folio"] == folio
        assert code not in json.dumps(stored) and code.replace("-", "") not in json.dumps(stored)
    assert applicant.get("/seguimiento/corregir").status_code == 200
    clock.advance(minutes=16)
    assert applicant.get("/seguimiento/corregir").status_code == 403
    # Tracking another folio does not open the first one.
    assert Browser(app.test_client()).get("/seguimiento/corregir").status_code == 403


def test_correction_may_not_steal_another_open_curp(app, client, clock) -> None:
    request, folio, code = new_request(client, **HOSPITAL)
    _, other_folio, _ = new_request(client, curp="HEGG560427MVZRRL04", nombres="Gabriela",
                                    **CENTRO_I_OTHER)
    jefe, _ = person(client, app, "jefe.curp", JEFE, clock, unit_clues="MSSSA001270")
    decide(jefe, request.id, "devolver", "Revise su CURP por favor")
    applicant = Browser(app.test_client())
    track(applicant, folio, code)
    response = applicant.post("/seguimiento/corregir",
                              {**VALID_FORM, **HOSPITAL, "curp": "HEGG560427MVZRRL04"},
                              page="/seguimiento/corregir")
    assert response.status_code == 409
    # Refused without naming the other person's folio (its CLUES names their workplace).
    page = response.get_data(as_text=True)
    assert "una solicitud abierta para esta CURP" in page
    assert other_folio not in page and CENTRO_I_OTHER["unit_clues"] not in page
    assert fetch(folio).curp == "BEML920313HMCLNS09" and fetch(folio).status == "devuelta"


def test_inbox_lists_only_the_heads_units_oldest_first(app, client, clock) -> None:
    first, folio1, _ = new_request(client, **CENTRO_I)
    clock.advance(hours=1)
    second, folio2, _ = new_request(client, curp="HEGG560427MVZRRL04", **CENTRO_I)
    third, folio3, _ = new_request(client, curp="SABC560626MDFLRN01", **CENTRO_II)
    jefe, _ = person(client, app, "jefe.inbox", JEFE, clock, unit_clues="MSSSA000120")
    page = jefe.get("/firmas").get_data(as_text=True)
    assert folio1 in page and folio2 in page and folio3 not in page
    assert page.index(folio1) < page.index(folio2)
    # Waiting requests are not listed again among the unit's other recent requests.
    assert page.count(folio1) == 1 and page.count(folio2) == 1


def test_inbox_pages_the_oldest_first(app, client, clock, monkeypatch) -> None:
    monkeypatch.setattr(services, "INBOX_PAGE_SIZE", 2)
    folios = []
    for n in range(5):
        clock.advance(minutes=1)
        folios.append(new_request(client, curp=hypothetical_curp(n), **CENTRO_I)[1])
    jefe, _ = person(client, app, "jefe.paginas", JEFE, clock, unit_clues="MSSSA000120")
    pages = [jefe.get(f"/firmas?pagina={n}").get_data(as_text=True) for n in (1, 2, 3)]
    assert "5 solicitudes esperan su firma" in pages[0] and "página 1 de 3" in pages[0]
    shown = [[f for f in folios if f in page] for page in pages]
    assert shown == [folios[0:2], folios[2:4], folios[4:5]]
    # A page out of range or not a number is the nearest page, never an error.
    assert folios[4] in jefe.get("/firmas?pagina=99").get_data(as_text=True)
    assert folios[0] in jefe.get("/firmas?pagina=%C2%B2").get_data(as_text=True)
    assert folios[0] in jefe.get("/firmas?pagina=-3").get_data(as_text=True)
    assert folios[4] in jefe.get("/firmas?pagina=" + "9" * 40).get_data(as_text=True)


def test_detail_shows_catalog_names_not_codes(app, client, clock) -> None:
    request, _, _ = new_request(client, **CENTRO_I)
    jefe, _ = person(client, app, "jefe.nombres", JEFE, clock, unit_clues="MSSSA000120")
    page = jefe.get(f"/solicitudes/{request.id}").get_data(as_text=True)
    assert "Dirección de Atención Médica / Subdirección de Atención Primaria a la Salud" in page
    assert "DAM / SAPS" not in page
    assert "<dd>Médico(a)</dd>" in page


# ---------------------------------------------------------------------------------------------
# Concurrency


def test_two_unit_heads_signing_at_once_give_one_signature(make_app, clock) -> None:
    app = make_app()
    with app.app_context():
        applicant = Browser(app.test_client())
        folio, _ = folio_and_code(applicant.post("/solicitud", {**VALID_FORM, **HOSPITAL},
                                                 page="/solicitud"))
        request_id = db.session().scalar(select(AccountRequest.id).where(
            AccountRequest.folio == folio))
        heads = []
        for name in ("jefe.a", "jefe.b"):
            account = create_staff_account(name, staff.Grant(JEFE, unit_clues="MSSSA001270"))
            browser = Browser(app.test_client())
            login(browser, account)
            heads.append((browser, account))
    clock.advance(seconds=30)
    page = f"/solicitudes/{request_id}"
    forms = [(b, {"code": a.code(), "csrf_token": b.token(page)}) for b, a in heads]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def act(browser, form) -> None:
        barrier.wait()
        statuses.append(browser.client.post(f"{page}/firmar", data=form).status_code)

    threads = [threading.Thread(target=act, args=pair) for pair in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [302, 409]
    with app.app_context():
        count = db.session().scalar(select(func.count()).select_from(Signature))
        assert count == 1
        assert db.session().scalar(select(AccountRequest.status)) == "lista_para_oficio"


@pytest.mark.parametrize("target", ["/seguimiento/corregir"])
def test_correction_page_needs_a_returned_request(app, client, clock, target) -> None:
    request, folio, code = new_request(client, **HOSPITAL)
    applicant = Browser(app.test_client())
    track(applicant, folio, code)
    response = applicant.get(target)
    assert response.status_code == 302  # not returned: back to tracking


@pytest.mark.parametrize("value", ["\x00", "A" * 5000, "<script>alert(1)</script>", "\u202e",
                                   "😀😀😀😀😀😀", ""])
def test_hostile_input_on_approval_and_oficio_forms(app, client, clock, value) -> None:
    request, folio, _ = new_request(client, **HOSPITAL)
    jefe, _ = person(client, app, "jefe.hostil", JEFE, clock, unit_clues="MSSSA001270")
    for action in ("devolver", "rechazar"):
        response = decide(jefe, request.id, action, value)
        if value.startswith(("<script>", "😀")):
            # Acceptable text: stored as typed and shown escaped.
            assert response.status_code in (302, 409)
            continue
        assert response.status_code == 400, (action, response.status_code)
    page = f"/solicitudes/{request.id}/firmar"
    assert jefe.post(page, {"code": value}, page="/panel").status_code in (401, 409)
    enlace, _ = person(client, app, "enlace.hostil", Role.ENLACE, clock, jurisdiction_code="I")
    for form in ({"request_id": value, "code": "123456"},
                 {"request_id": str(request.id), "code": value, "subject": value}):
        assert enlace.post("/oficios", form, page="/panel").status_code in (400, 401, 409)
    assert client.get(f"/verificar/{value[:50]}").status_code in (404, 308)
    assert "<script>alert(1)</script>" not in jefe.get(
        f"/solicitudes/{request.id}").get_data(as_text=True)
