"""The public form FO-DPE-STI-DI-04 through HTTP: every rule, folio, tracking, audit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from provisioning import counters, db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.notifications.models import OutboxMessage
from tests.support.forms import VALID_FORM, folio_and_code, submit
from tests.support.web import Browser


def count_requests() -> int:
    return db.session().scalar(select(func.count()).select_from(AccountRequest))


def field_errors(response) -> str:
    return " ".join(re.findall(r'class="err" role="alert">([^<]+)<',
                               response.get_data(as_text=True)))


def test_form_shows_catalogs_and_privacy_notice(client) -> None:
    page = client.get("/solicitud").get_data(as_text=True)
    assert "Centro de Salud Urbano Cuernavaca (MSSSA000120)" in page
    assert "Jurisdicción Sanitaria II Jojutla" in page
    assert "Aviso de privacidad simplificado" in page
    assert "FO-DPE-STI-DI-04" in page


def test_valid_submission_gives_folio_and_code_once(client, clock) -> None:
    response = submit(client)
    assert response.status_code == 200
    folio, code = folio_and_code(response)
    assert folio == "MSSSA000120-2026-00001"
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", code)
    assert response.headers["Cache-Control"] == "no-store"
    stored = db.session().scalar(select(AccountRequest))
    assert stored.curp == "BEML920313HMCLNS09"
    assert stored.nombres == "LUIS ÁNGEL" and stored.segundo_apellido == "MUÑOZ"
    assert stored.telefono == "7771234567"
    assert stored.departamento == "N/A"
    assert stored.jurisdiction_code == "I" and stored.unit_type == "centro_de_salud"
    assert code.replace("-", "") not in stored.tracking_code_hash
    assert stored.tracking_code_hash.startswith("$argon2id$")
    # The local date is the form's FECHA (16:00 UTC is 10:00 in Cuernavaca).
    assert stored.form_date.isoformat() == "2026-03-04"
    event = db.session().scalar(select(AuditEvent).where(AuditEvent.action == "request.submitted"))
    assert event.object_id == folio and event.ip == "127.0.0.1"


def test_folio_sequence_per_unit_and_year(client, clock) -> None:
    first, _ = folio_and_code(submit(client))
    second, _ = folio_and_code(submit(client, curp="HEGG560427MVZRRL04", nombres="Gabriela",
                                      primer_apellido="Hernández"))
    other_unit, _ = folio_and_code(submit(
        client, curp="SABC560626MDFLRN01", unit_clues="MSSSA000611", nombres="Carmen"))
    assert (first, second) == ("MSSSA000120-2026-00001", "MSSSA000120-2026-00002")
    assert other_unit == "MSSSA000611-2026-00001"
    clock.advance(days=365)
    next_year, _ = folio_and_code(submit(client, curp="PEGL890909MJCRMS08", nombres="Laura"))
    assert next_year == "MSSSA000120-2027-00001"


def title_and_heading(response) -> tuple[str, str]:
    page = response.get_data(as_text=True)
    return (re.search(r"<title>(.*?)</title>", page, re.S)[1],
            re.search(r"<h1>(.*?)</h1>", page, re.S)[1])


def duplicate_mails(folio: str) -> list[OutboxMessage]:
    return list(db.session().scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "intento_duplicado", OutboxMessage.object_id == folio)))


def test_an_open_curp_is_refused_without_telling_a_stranger_anything(app, client,
                                                                     clock) -> None:
    folio, _ = folio_and_code(submit(client))  # the owner: a centro de salud of Cuernavaca
    stranger = Browser(app.test_client())
    hospital = {"unit_clues": "MSSSA001270", "subdireccion_code": "SH",
                "contact_email": "extrano@example.org"}
    fresh = submit(stranger, curp="HEGG560427MVZRRL04", nombres="Gabriela",
                   primer_apellido="Hernández", **hospital)
    again = submit(stranger, nombres="Otro", **hospital)
    # Still refused: one open request per CURP, and nothing half-written (no folio spent).
    assert count_requests() == 2
    assert counters.current_value("folio:MSSSA001270:2026") == 1
    assert folio_and_code(submit(stranger, curp="SABC560626MDFLRN01", nombres="Carmen",
                                 **hospital))[0] == "MSSSA001270-2026-00002"
    # The stranger gets what a new request gets, minus its own folio and code: no folio,
    # no unit, no address of the open request.
    assert again.status_code == fresh.status_code == 200
    assert title_and_heading(again) == title_and_heading(fresh)
    assert again.headers["Cache-Control"] == "no-store"
    page = again.get_data(as_text=True)
    for revealing in (folio, "MSSSA000120", "Cuernavaca", "luis.bernal", "BERNAL",
                      'class="secret"', "Ya existe"):
        assert revealing not in page, revealing
    # The owner is told, at the address on the open request, with its folio.
    (mail,) = duplicate_mails(folio)
    assert mail.recipient == VALID_FORM["contact_email"] and folio in mail.body
    assert "extrano" not in mail.body and "OTRO" not in mail.body.upper()
    event = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "request.duplicate_refused"))
    assert event.object_id == folio and event.ip == "127.0.0.1"
    # More attempts the same day: each audited, the owner told once (no mail bombing).
    submit(stranger, nombres="Otro", **hospital)
    assert len(duplicate_mails(folio)) == 1
    clock.advance(days=1, minutes=1)
    submit(stranger, nombres="Otro", **hospital)
    assert len(duplicate_mails(folio)) == 2
    assert db.session().scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "request.duplicate_refused")) == 3


@pytest.mark.parametrize("curp", ["PEGL890909MJCRMS09", "BEML920313HMCLNS0", "BEML921313HMCLNS09",
                                  "XXXX"])
def test_invalid_curps_are_refused(client, curp) -> None:
    response = submit(client, curp=curp)
    assert response.status_code == 400
    assert "CURP" in field_errors(response)
    assert count_requests() == 0


def test_check_digit_message(client) -> None:
    response = submit(client, curp="PEGL890909MJCRMS09")
    assert "dígito verificador" in field_errors(response)


def test_observacion_3_ece_requires_medical_care_direction(client) -> None:
    response = submit(client, direccion_code="DGPE", subdireccion_code="STIS")
    assert response.status_code == 400
    assert "Dirección de Atención Médica" in field_errors(response)
    # Without expediente electrónico the same adscripción is fine.
    assert submit(client, direccion_code="DGPE", subdireccion_code="STIS",
                  expediente_electronico="no").status_code == 200


def test_observacion_3_hospitals_subdirection_is_accepted(client) -> None:
    response = submit(client, unit_clues="MSSSA001270", subdireccion_code="SH")
    assert response.status_code == 200


@pytest.mark.parametrize(("unit_clues", "subdireccion"), [("MSSSA001270", "SH"),
                                                          ("MSSSA000120", "SAPS")])
def test_observacion_3_blank_adscription_is_filled_from_the_unit_type(client, unit_clues,
                                                                      subdireccion) -> None:
    response = submit(client, unit_clues=unit_clues, direccion_code="", subdireccion_code="")
    assert response.status_code == 200
    stored = db.session().scalar(select(AccountRequest))
    assert (stored.direccion_code, stored.subdireccion_code) == ("DAM", subdireccion)


def test_observacion_3_one_subdirection_per_unit_type(client) -> None:
    response = submit(client, unit_clues="MSSSA000120", subdireccion_code="SH")  # a centro
    assert response.status_code == 400
    assert "en su unidad la subdirección es Subdirección de Atención Primaria" in \
        field_errors(response)
    assert count_requests() == 0
    # Without expediente electrónico the adscripción is still the person's to choose.
    blank = submit(client, expediente_electronico="no", direccion_code="", subdireccion_code="")
    assert blank.status_code == 400
    assert {"direccion_code", "subdireccion_code"} <= set(
        re.findall(r'href="#(\w+)"', blank.get_data(as_text=True)))


@pytest.mark.parametrize("typed", ["+52 777 123 4567", "52 (777) 123-4567", "7771234567"])
def test_the_phone_is_kept_as_10_digits(client, typed) -> None:
    assert submit(client, telefono=typed).status_code == 200
    assert db.session().scalar(select(AccountRequest.telefono)) == "7771234567"


def test_subdirection_must_belong_to_direction(client) -> None:
    response = submit(client, expediente_electronico="no", subdireccion_code="STIS")
    assert "no pertenece" in field_errors(response)


def test_observacion_4_central_offices_must_name_department(client) -> None:
    central = dict(unit_clues="MSSSA000001", expediente_electronico="no")
    assert "indicar su departamento" in field_errors(submit(client, **central, departamento="N/A"))
    ok = submit(client, **central, departamento="Departamento de Informática")
    assert ok.status_code == 200
    stored = db.session().scalar(select(AccountRequest))
    assert stored.departamento == "Departamento de Informática"


def test_observacion_4_units_write_na(client) -> None:
    response = submit(client, departamento="Urgencias")
    assert response.status_code == 400
    assert "N/A" in field_errors(response)
    assert submit(client, departamento="").status_code == 200  # empty becomes N/A


@pytest.mark.parametrize("missing", ["accepts_personal_account", "accepts_institutional_use",
                                     "accepts_privacy_notice"])
def test_commitments_and_privacy_notice_are_required(client, missing) -> None:
    response = submit(client, wants_email_account="on", **{missing: None})
    assert response.status_code == 400
    assert count_requests() == 0


def test_the_mail_commitment_is_asked_only_with_a_mail_account(client) -> None:
    assert submit(client, accepts_institutional_use=None).status_code == 200
    assert count_requests() == 1


def test_at_least_one_account_type(client) -> None:
    response = submit(client, wants_user_account=None)
    assert "al menos una" in field_errors(response)


@pytest.mark.parametrize(("field", "value"), [
    ("unit_clues", "MSSSA999999"),
    ("unit_clues", ""),
    ("direccion_code", "NOPE"),
    ("staff_type_code", "astronauta"),
    ("telefono", "12345"),
    ("extension", "12a"),
    ("contact_email", "no-es-correo"),
    ("expediente_electronico", "tal vez"),
    ("nombres", ""),
    ("primer_apellido", "X" * 51),
])
def test_each_field_rule(client, field, value) -> None:
    response = submit(client, **{field: value})
    assert response.status_code == 400
    assert field_errors(response)
    assert count_requests() == 0


def test_form_keeps_values_after_an_error(client) -> None:
    response = submit(client, telefono="1")
    page = response.get_data(as_text=True)
    assert 'value="Luis Ángel"' in page and 'value="BEML920313HMCLNS09"' in page


def test_tracking_with_the_right_code_only(client) -> None:
    folio, code = folio_and_code(submit(client))
    good = client.post("/seguimiento", {"folio": folio, "code": code}, page="/seguimiento")
    assert good.status_code == 200
    page = good.get_data(as_text=True)
    assert folio in page and "LUIS ÁNGEL BERNAL MUÑOZ" in page and "Enviada" in page
    # The code may be typed in lower case and without hyphens.
    relaxed = client.post("/seguimiento", {"folio": folio.lower(),
                                           "code": code.replace("-", "").lower()},
                          page="/seguimiento")
    assert relaxed.status_code == 200
    bad = client.post("/seguimiento", {"folio": folio, "code": "AAAA-BBBB-CCCC"},
                      page="/seguimiento")
    assert bad.status_code == 404
    assert "LUIS" not in bad.get_data(as_text=True)
    unknown = client.post("/seguimiento", {"folio": "MSSSA000120-2026-09999", "code": code},
                          page="/seguimiento")
    assert unknown.status_code == 404
    # Same message either way: no way to learn which folios exist.
    assert re.findall(r'role="alert">([^<]+)<', bad.get_data(as_text=True)) == re.findall(
        r'role="alert">([^<]+)<', unknown.get_data(as_text=True))
    views = db.session().scalars(select(AuditEvent).where(AuditEvent.action == "request.viewed"))
    assert [v.object_id for v in views] == [folio, folio]


def test_csrf_token_is_required(client) -> None:
    response = client.client.post("/solicitud", data=dict(VALID_FORM))
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert count_requests() == 0


def test_public_endpoints_are_rate_limited_per_ip(make_app) -> None:
    limited = make_app(rate_limit={"seguimiento": 3, "window_seconds": 60})
    browser = Browser(limited.test_client())
    responses = [browser.post("/seguimiento", {"folio": "X", "code": "Y"}, page="/seguimiento")
                 for _ in range(5)]
    assert [r.status_code for r in responses] == [404, 404, 404, 429, 429]
    # The refusal says when to come back (the seconds left in the window).
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60
    assert "segundos" in responses[-1].get_data(as_text=True)
    other_ip = Browser(limited.test_client())
    response = other_ip.client.post(
        "/seguimiento", data={"folio": "X", "code": "Y", "csrf_token": other_ip.token(
            "/seguimiento")}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 404
    assert "Demasiadas" not in response.get_data(as_text=True)


def test_errors_are_summed_up_on_top_with_links_to_each_field(client) -> None:
    response = submit(client, curp="XXXX", telefono="12", accepts_privacy_notice=None)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page.split('id="resumen-errores"', 1)[1].split("</div>", 1)[0]
    assert "autofocus" in summary.split(">", 1)[0]  # focus goes to the summary
    links = dict(re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary))
    assert set(links) == {"curp", "telefono", "accepts_privacy_notice"}
    assert links["curp"].startswith("CURP: ") and links["telefono"].startswith("Teléfono: ")
    assert links["accepts_privacy_notice"].startswith("Aviso de privacidad: ")
    for name in links:  # every link lands on its field
        assert f'id="{name}"' in page, name
    assert "_" not in "".join(links.values())  # Spanish labels, never field names
