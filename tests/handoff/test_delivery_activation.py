"""Delivery in person and activation against the real DC: the code is shown once and kept
only as a hash; wrong, expired, reused and replaced codes are refused with one message;
the person's password goes to the DC, whose verdict comes back in Spanish."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.crypto import CODE_ALPHABET
from provisioning.directory import accounts, connection
from provisioning.directory.errors import BindRefused
from provisioning.handoff.services import ACTIVATION_REFUSED, wipe_old_sheets
from tests.support.handoff_flow import (
    GOOD_PASSWORD,
    activate,
    ad_account,
    code_row,
    delivered_scene,
    error_text,
    status_of,
    user_name,
    values,
)
from tests.support.secrets import all_database_text, variants
from tests.support.web import Browser, has_inline_script

CODE_SHAPE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}(-[{CODE_ALPHABET}]{{4}}){{3}}$")


def test_delivery_checks_identity_and_shows_the_code_once(dir_app, clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Julia", "Bautista", "Reyes"))
    path = f"/entregas/cuentas/{person.request_id}"
    page = scene.people["jefe.centro"][0].get(path).get_data(as_text=True)
    assert person.curp in page and "JULIA BAUTISTA REYES" in page
    assert user_name(person.request_id) in page
    assert scene.people["jefe.hospital"][0].get(path).status_code == 404
    assert scene.people["enlace"][0].get(path).status_code == 403
    # Identity first: the ID shown, and the holder's confirmation; then a fresh TOTP code.
    missing = scene.post("jefe.centro", f"{path}/entregar", {"id_document": "ine"},
                         step_up=True)
    assert missing.status_code == 400 and "Confirme que comparó" in missing.get_data(
        as_text=True)
    assert scene.post("jefe.centro", f"{path}/entregar", {"id_document": "credencial",
                                                          "identity": "on"},
                      step_up=True).status_code == 400
    assert scene.post("jefe.centro", f"{path}/entregar", {"id_document": "ine",
                                                          "identity": "on", "code": "000000"}
                      ).status_code == 401
    assert status_of(person.request_id) == "en_entrega" and code_row(person.request_id) is None

    clock.advance(seconds=30)
    holder = scene.people["jefe.centro"][0]
    posted = holder.post(f"{path}/entregar", {
        "id_document": "pasaporte", "identity": "on",
        "code": scene.people["jefe.centro"][1].code()}, page="/panel")
    # Post/redirect/get: the sheet is a page of its own (a refresh does not post again).
    assert posted.status_code == 303 and posted.headers["Location"] == f"{path}/hoja"
    slip = holder.get(f"{path}/hoja")
    assert slip.status_code == 200 and slip.headers["Cache-Control"] == "no-store"
    html = slip.get_data(as_text=True)
    code = re.search(r'class="secret">([^<]+)<', html).group(1)
    assert CODE_SHAPE.match(code)
    assert person.folio in html and user_name(person.request_id) in html
    assert f"/activar?usuario={user_name(person.request_id)}" in html and "<svg" in html
    assert "Solo usted puede volver a abrir esta hoja" in html and "Imprimir la hoja" in html
    assert not has_inline_script(html)
    row = code_row(person.request_id)
    assert row.code_hash.startswith("$argon2id$") and code not in row.code_hash
    assert row.expires_at == clock.now + timedelta(days=15) and row.attempts == 0
    assert row.id_document == "pasaporte" and row.delivered_by_name == "PERSONA JEFE.CENTRO"
    assert status_of(person.request_id) == "entregada"
    # The delivery page has the receipt, not the code; delivering again is 409.
    page = scene.people["jefe.centro"][0].get(path).get_data(as_text=True)
    assert code not in page and "Pasaporte" in page and "Reemplazar el código" in page
    again = scene.post("jefe.centro", f"{path}/entregar", {"id_document": "ine",
                                                          "identity": "on"}, step_up=True)
    assert again.status_code == 409 and "emita uno nuevo" in again.get_data(as_text=True)
    details = values(lambda: db.session().scalar(select(AuditEvent.details).where(
        AuditEvent.action == "request.deliver")))
    assert "pasaporte" in details and code not in details and code.replace("-", "") not in \
        details


def test_wrong_data_gets_one_message_and_a_replaced_code_stops_working(dir_app,
                                                                      clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Karla", "Domínguez", "Soto"))
    code = scene.deliver("jefe.centro", person.request_id)
    wrong_code = "2222-3333-4444-5555"
    answers = [
        activate(person, code, user="no.existe"),
        activate(person, wrong_code),
        activate(person, code, curp="BEML920313HMCLNS09"),
    ]
    assert {r.status_code for r in answers} == {400}
    assert {error_text(r) for r in answers} == {ACTIVATION_REFUSED}
    # Only the wrong code typed with the holder's CURP counts (backoff: test_activation_backoff).
    assert code_row(person.request_id).attempts == 1
    # Mismatched passwords are the person's typo, not an attempt on the code.
    typo = activate(person, code, again="Otra-Cosa-2026")
    assert typo.status_code == 400 and "no coinciden" in typo.get_data(as_text=True)
    assert code_row(person.request_id).attempts == 1
    # The holder replaces it (reason required); the old code stops working, the new one works.
    path = f"/entregas/cuentas/{person.request_id}/reemitir"
    assert scene.post("jefe.centro", path, {"id_document": "ine", "identity": "on",
                                            "reason": ""}, step_up=True).status_code == 400
    response = scene.post("jefe.centro", path, {"id_document": "ine", "identity": "on",
                                                "reason": "Perdió la hoja del código"},
                          step_up=True)
    new_code = scene.slip_code("jefe.centro", response)
    assert new_code != code
    assert error_text(activate(person, code)) == ACTIVATION_REFUSED
    assert not ad_account(person.request_id).enabled
    assert activate(person, new_code).status_code == 200
    assert status_of(person.request_id) == "activada"
    # Used: the same code cannot activate again.
    assert error_text(activate(person, new_code, password="Otra-Clave-Nueva-77")) == \
        ACTIVATION_REFUSED
    history = values(lambda: [r for (r,) in db.session().execute(text(
        "SELECT reason FROM request_events WHERE request_id = :id AND event = 'deliver' "
        "ORDER BY id"), {"id": person.request_id})])
    assert history == [None, "Código de activación reemplazado: Perdió la hoja del código"]


def test_expired_code_is_refused_until_replaced(dir_app, clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Laura", "Mendoza", None))
    code = scene.deliver("jefe.centro", person.request_id)
    clock.advance(days=15, seconds=1)
    assert error_text(activate(person, code)) == ACTIVATION_REFUSED
    assert code_row(person.request_id).attempts == 0  # an expired code counts nothing
    page = scene.sign_in_again("jefe.centro").get(
        f"/entregas/cuentas/{person.request_id}").get_data(as_text=True)
    assert "Vencido" in page
    response = scene.post("jefe.centro", f"/entregas/cuentas/{person.request_id}/reemitir",
                          {"id_document": "licencia", "identity": "on",
                           "reason": "El código venció sin usarse"}, step_up=True)
    fresh = scene.slip_code("jefe.centro", response)
    assert activate(person, fresh.lower().replace("-", " ")).status_code == 200


def test_the_person_chooses_the_password_and_ad_judges_it(dir_app, clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Mario", "Núñez", "Ibarra"))
    code = scene.deliver("jefe.centro", person.request_id)
    page = person.browser.get(f"/activar?usuario={user_name(person.request_id)}").get_data(
        as_text=True)
    assert "al menos tres de estos tipos" in page  # the policy is shown
    assert f'value="{user_name(person.request_id)}"' in page
    short = activate(person, code, password="Ab1-")
    assert short.status_code == 400
    assert "demasiado corta: debe tener al menos 7 caracteres" in short.get_data(as_text=True)
    simple = activate(person, code, password="abcdefghijkl")
    assert "requisitos de complejidad" in simple.get_data(as_text=True)
    # The DC refused the password, not the code: the form keeps the code for the next try.
    for refused in (short, simple):
        assert f'value="{code}"' in refused.get_data(as_text=True)
    wrong = activate(person, "2222-3333-4444-5555", user="no.existe")  # never echoed back
    assert 'value="2222-3333-4444-5555"' not in wrong.get_data(as_text=True)
    # A refused password is not a wrong code: nothing counted, nothing changed on the DC.
    assert code_row(person.request_id).attempts == 0
    assert not ad_account(person.request_id).enabled
    reasons = values(lambda: list(db.session().scalars(select(AuditEvent.details).where(
        AuditEvent.action == "handoff.password_rejected").order_by(AuditEvent.seq))))
    assert ['"too_short"' in r for r in reasons] == [True, False]
    done = activate(person, code)
    assert done.status_code == 200
    assert "Completar mi pre-registro" in done.get_data(as_text=True)
    account = ad_account(person.request_id)
    assert account.enabled and not account.must_change_password
    accounts.verify_password(connection.current(), account.guid, GOOD_PASSWORD)  # AD bind
    with pytest.raises(BindRefused):
        accounts.verify_password(connection.current(), account.guid, "Ab1-")
    row = code_row(person.request_id)
    assert row.used_at == clock.now
    assert values(lambda: db.session().get(AccountRequest, person.request_id).status) == \
        "activada"


def test_the_sheet_reopens_for_its_holder_only_and_a_while_only(dir_app, clock) -> None:
    scene, (first, second, third) = delivered_scene(
        dir_app, clock, ("Paula", "Arriaga", "Luna"), ("Rita", "Campos", None),
        ("Sonia", "Ávila", "Paz"))
    code = scene.deliver("jefe.centro", first.request_id)
    sheet = f"/entregas/cuentas/{first.request_id}/hoja"
    holder = scene.people["jefe.centro"][0]
    clock.advance(minutes=14)  # a refresh, «back», a second print: the same code
    assert code in holder.get(sheet).get_data(as_text=True)
    assert scene.sign_in_again("jefe.hospital").get(sheet).status_code == 404  # not theirs
    assert scene.sign_in_again("enlace").get(sheet).status_code == 403
    row = code_row(first.request_id)
    assert row.sheet_sealed and code not in row.sheet_sealed
    clock.advance(minutes=2)  # past [handoff].sheet_minutes (15): wiped, and said so
    late = holder.get(sheet).get_data(as_text=True)  # the delivery receipt, and why
    assert "ya no se puede volver a abrir" in late and code not in late
    assert code_row(first.request_id).sheet_sealed is None
    assert activate(first, code).status_code == 200  # the code itself still works

    # Closed by the holder once printed: nothing kept.
    scene.deliver("jefe.centro", second.request_id)
    closed = scene.post("jefe.centro", f"/entregas/cuentas/{second.request_id}/hoja/cerrar")
    assert closed.status_code == 302 and code_row(second.request_id).sheet_sealed is None
    assert "ya no se puede volver a abrir" in holder.get(
        f"/entregas/cuentas/{second.request_id}/hoja").get_data(as_text=True)
    # Used: the activation wipes it; the periodic task wipes what nobody opened again.
    third_code = scene.deliver("jefe.centro", third.request_id)
    assert activate(third, third_code).status_code == 200
    assert code_row(third.request_id).sheet_sealed is None
    actions = values(lambda: list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("handoff.sheet_%")).order_by(AuditEvent.seq))))
    assert actions == ["handoff.sheet_viewed", "handoff.sheet_viewed", "handoff.sheet_viewed",
                       "handoff.sheet_closed", "handoff.sheet_viewed"]


def test_without_a_sheet_window_the_code_is_shown_once_and_never_kept(
        make_app, directory_config, clock) -> None:
    app = make_app(directory=directory_config, handoff={"sheet_minutes": 0})
    with app.app_context():
        scene, (person,) = delivered_scene(app, clock, ("Tania", "Robles", None))
        response = scene.post("jefe.centro", f"/entregas/cuentas/{person.request_id}/entregar",
                              {"id_document": "ine", "identity": "on"}, step_up=True)
        assert response.status_code == 200
        assert "una sola vez" in response.get_data(as_text=True)
        row = code_row(person.request_id)
        assert row.sheet_sealed is None and row.sheet_until is None


def test_the_periodic_task_wipes_sheets_past_their_time(dir_app, clock) -> None:
    scene, (person,) = delivered_scene(dir_app, clock, ("Úrsula", "Vega", "Mar"))
    scene.deliver("jefe.centro", person.request_id)
    assert wipe_old_sheets() == 0
    clock.advance(minutes=16)
    assert wipe_old_sheets() == 1
    db.commit()
    assert code_row(person.request_id).sheet_sealed is None


def test_codes_and_passwords_never_reach_logs_audit_or_database(dir_app, clock,
                                                                caplog) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        scene, (person,) = delivered_scene(dir_app, clock, ("Nora", "Espinoza", "Gil"))
        first = scene.deliver("jefe.centro", person.request_id)
        activate(person, first, curp="BEML920313HMCLNS09")  # a wrong attempt
        response = scene.post("jefe.centro",
                              f"/entregas/cuentas/{person.request_id}/reemitir",
                              {"id_document": "ine", "identity": "on",
                               "reason": "Perdió la hoja"}, step_up=True)
        second = scene.slip_code("jefe.centro", response)
        weak = "Ab1-x"
        activate(person, second, password=weak)
        activate(person, second)
        signed_in = Browser(dir_app.test_client()).post(
            "/preregistro", {"usuario": user_name(person.request_id),
                             "password": GOOD_PASSWORD}, page="/preregistro")
        assert signed_in.status_code == 302
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logged = caplog.text
    assert "INSERT INTO activation_codes" in logged  # the SQL was really captured
    stored = values(all_database_text)
    audit_rows = values(lambda: "\n".join(str(r) for r in db.session().execute(
        text("SELECT * FROM audit_events"))))
    secrets = variants(first) | variants(second) | {GOOD_PASSWORD, weak}
    for secret in secrets:
        assert secret not in logged, secret
        assert secret not in stored, secret
        assert secret not in audit_rows, secret


def test_activation_and_preregistration_sign_in_are_rate_limited_per_ip(make_app) -> None:
    app = make_app(rate_limit={"activar": 2, "preregistro": 2})
    with app.app_context():
        browser = Browser(app.test_client())
        form = {"usuario": "alguien", "code": "2222-3333-4444-5555",
                "curp": "BEML920313HMCLNS09", "password": "x", "password2": "x"}
        statuses = [browser.post("/activar", form, page="/activar").status_code
                    for _ in range(3)]
        assert statuses == [400, 400, 429]
        statuses = [browser.post("/preregistro", form, page="/preregistro").status_code
                    for _ in range(3)]
        assert statuses == [409, 409, 429]  # no directory in this app: 409 until the limit
