"""Pre-registration: sign-in by binding to the real DC, NOM-024 Tabla 1 fields cross-checked
with the CURP (one message per field), SIEMPRE access granted by the worker."""

from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.jobs import services as jobs
from provisioning.people.accounts import DirectoryAccount
from provisioning.preregistration import services
from provisioning.preregistration.forms import PreRegistrationInput
from provisioning.preregistration.models import PreRegistration
from tests.support.curp import person_curp
from tests.support.handoff_flow import Scene, status_of, user_name, values
from tests.support.preregistration import PASSWORD, good_form, ready_to_preregister, sign_in
from tests.support.web import Browser

MISMATCH = "no coincide con su CURP"


def test_sign_in_binds_to_the_dc_and_keeps_only_the_folio(dir_app, clock) -> None:
    scene = Scene(dir_app, clock).cast()
    waiting = scene.applicant("Quetzalli", "Ramos", "Ortiz", ece=False)
    scene.to_holders([waiting])
    # Not activated yet (no code even delivered): the same answer as a wrong password.
    refused = sign_in(Browser(dir_app.test_client()), user_name(waiting.request_id))
    assert refused.status_code == 401
    message = "Usuario o contraseña incorrectos, o la cuenta todavía no está activada"
    assert message in refused.get_data(as_text=True)

    person = ready_to_preregister(scene)
    user = user_name(person.request_id)
    browser = Browser(dir_app.test_client())
    for attempt in (sign_in(browser, "nadie.aqui"), sign_in(browser, user, "Otra-Clave-99"),
                    sign_in(browser, user, "")):
        assert attempt.status_code == 401 and message in attempt.get_data(as_text=True)
    assert browser.get("/preregistro/datos").status_code == 403
    response = sign_in(browser, user.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/preregistro/datos"
    with browser.client.session_transaction() as stored:
        assert stored["preregistro"]["folio"] == person.folio
        assert PASSWORD not in json.dumps(stored)
    page = browser.get("/preregistro/datos").get_data(as_text=True)
    assert person.curp in page and "readonly" in page
    actions = values(lambda: list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == person.folio).order_by(AuditEvent.seq))))
    assert "preregistration.sign_in_refused" in actions
    assert actions[-2:] == ["preregistration.signed_in", "preregistration.viewed"]
    # The window lapses like the tracking one.
    clock.advance(minutes=16)
    assert browser.get("/preregistro/datos").status_code == 403


def test_each_mismatch_with_the_curp_has_its_own_message(dir_app, clock) -> None:
    person = ready_to_preregister(Scene(dir_app, clock).cast())
    browser = Browser(dir_app.test_client())
    sign_in(browser, user_name(person.request_id))
    cases = {
        "nombres": ({"nombres": "Rodrigo"}, f"El nombre {MISMATCH}"),
        "primer_apellido": ({"primer_apellido": "Zamora"}, f"El primer apellido {MISMATCH}"),
        "segundo_apellido": ({"segundo_apellido": "Gómez"}, f"El segundo apellido {MISMATCH}"),
        "nacionalidad": ({"nacionalidad": "GTM"}, "Su CURP indica que nació en México"),
        "cedula_profesional": ({"cedula_profesional": ""},
                               "La cédula profesional es obligatoria para enfermería"),
    }
    for field, (change, message) in cases.items():
        response = browser.post("/preregistro/datos", good_form(person, **change),
                                page="/preregistro/datos")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, field
        assert message in page, field
        assert page.count('class="err"') == 1, field  # only that field is marked
    everything = {k: v for change, _ in cases.values() for k, v in change.items()}
    page = browser.post("/preregistro/datos", good_form(person, **everything),
                        page="/preregistro/datos").get_data(as_text=True)
    assert all(message in page for _, message in cases.values())
    # Nothing was stored by the refusals.
    assert values(lambda: db.session().scalar(select(PreRegistration.id))) is None
    assert status_of(person.request_id) == "activada"


def test_birth_date_sex_and_state_come_from_the_curp(dir_app, clock) -> None:
    person = ready_to_preregister(Scene(dir_app, clock).cast())
    browser = Browser(dir_app.test_client())
    sign_in(browser, user_name(person.request_id))
    page = browser.get("/preregistro/datos").get_data(as_text=True)
    assert person.born.strftime("%d/%m/%Y") in page  # shown, not asked
    for asked in ('name="fecha_nacimiento"', 'name="sexo"', 'name="entidad_nacimiento"'):
        assert asked not in page
    assert "Cédula profesional (obligatoria para su tipo de personal)" in page  # enfermería
    # Whatever is posted for them, the CURP's values are stored.
    response = browser.post("/preregistro/datos", good_form(
        person, fecha_nacimiento=date(1959, 1, 2).isoformat(), sexo="X",
        entidad_nacimiento="JC"), page="/preregistro/datos")
    assert response.status_code == 302
    row = values(lambda: db.session().scalar(select(PreRegistration)))
    assert (row.fecha_nacimiento, row.sexo, row.entidad_nacimiento) == (
        person.born, person.sex, person.state)


def test_completion_without_expediente_closes_without_the_siempre_group(
        dir_app, clock) -> None:
    person = ready_to_preregister(Scene(dir_app, clock).cast())
    browser = Browser(dir_app.test_client())
    sign_in(browser, user_name(person.request_id))
    response = browser.post("/preregistro/datos", good_form(
        person, fecha_nacimiento=person.born.strftime("%d/%m/%Y"), cedula_profesional=""
        ) | {"staff_type_code": "administrativo"}, page="/preregistro/datos")
    assert response.status_code == 302
    page = browser.get("/preregistro/confirmacion").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "se está habilitando" in page
    # Done once: the form now leads to the confirmation, and sending it again is refused.
    assert browser.get("/preregistro/datos").headers["Location"] == "/preregistro/confirmacion"
    assert browser.post("/preregistro/datos", good_form(person),
                        page="/preregistro/confirmacion").status_code == 409
    jobs.run_pending()
    page = browser.get("/preregistro/confirmacion").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "Su cuenta está activa" in page
    assert person.curp in page and "N/A" in page  # no cédula given
    row = values(lambda: db.session().scalar(select(PreRegistration)))
    assert (row.fecha_nacimiento, row.nacionalidad, row.cedula_profesional,
            row.telefono_institucional) == (person.born, "MEX", None, "7773102020")
    assert status_of(person.request_id) == "acceso_activo"
    guid = values(lambda: db.session().scalar(select(DirectoryAccount.object_guid)))
    assert accounts.get(connection.current(), guid).groups == ()  # no SIEMPRE group asked
    # Done: the account no longer signs in here (test_sign_in_guard has the details).
    again = sign_in(Browser(dir_app.test_client()), user_name(person.request_id))
    assert again.status_code == 401


# ---------------------------------------------------------------------------------------------
# The cross-checks alone (no DC needed)


def data(**changes: object) -> PreRegistrationInput:
    base = {"nombres": "Ana", "primer_apellido": "Ruiz", "segundo_apellido": None,
            "fecha_nacimiento": date(1985, 5, 17), "sexo": "M", "entidad_nacimiento": "NE",
            "nacionalidad": "GTM", "staff_type_code": "administrativo",
            "cedula_profesional": None, "telefono_institucional": "7771234567"}
    return PreRegistrationInput(**{**base, **changes})


@pytest.mark.parametrize(("changes", "field"), [
    ({}, None),
    ({"nacionalidad": "MEX"}, None),  # born abroad: any nationality of the catalog
    ({"nacionalidad": "XXX"}, "nacionalidad"),
    ({"staff_type_code": "medico"}, "cedula_profesional"),
    ({"staff_type_code": "medico", "cedula_profesional": "7654321"}, None),
    ({"staff_type_code": "astronauta"}, "staff_type_code"),
])
def test_cross_checks_for_a_person_born_abroad(app, changes, field) -> None:
    born_abroad = person_curp("Ana", "Ruiz", None, born=date(1985, 5, 17), sex="M",
                              state="NE")
    errors = services.cross_check(SimpleNamespace(curp=born_abroad), data(**changes))
    assert list(errors) == ([field] if field else [])


@pytest.mark.parametrize("value", ["١٢٣٤٥٦٧", "１２３４５６７", "123456７"])
def test_cedula_takes_ascii_digits_only(value) -> None:
    # Other scripts' digits match a Unicode \d but are not a SEP cédula.
    from provisioning.preregistration.forms import _cedula
    from provisioning.textcheck import TextError

    with pytest.raises(TextError, match="7 u 8 dígitos"):
        _cedula(value)
    assert _cedula(" 1234567 ") == "1234567"
