"""Hostile input on every field of every public and sign-in form: never a 500, never a
half-written record, never unescaped markup; refusals come with a Spanish message."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.staff.models import StaffUser
from tests.support.forms import VALID_FORM

HOSTILE = [
    "A" * 5000,
    "\x00",
    "Luis\x00Ángel",
    "\x07\x1b[31m",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1' --",
    "'; DROP TABLE account_requests; --",
    "*)(uid=*))(|(uid=*",
    "CN=Administrator,CN=Users,DC=ssm,DC=test",
    "\\2a\\28\\29",
    "../../../../etc/passwd",
    "%s%s%s%n{0}{__class__}",
    "😀😀",
    "ЈОSÉ",  # Cyrillic look-alikes
    "\u202eoinotnA",
    "Jo\u200bsé",
    "\ufeffLuis",
    "",
]
REQUEST_FIELDS = [k for k in VALID_FORM if not k.startswith("accepts_")]
REQUEST_FIELDS.append("accepts_privacy_notice")
MARKUP = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def spanish(page: str) -> bool:
    return any(word in page for word in ("Revise", "Escriba", "Use solo", "Elija", "Debe",
                                         "obligatorio", "caracteres", "Marque", "Indique",
                                         "no es", "no son", "Ya existe", "CURP"))


def request_count() -> int:
    return db.session().scalar(select(func.count()).select_from(AccountRequest))


@pytest.mark.parametrize("field", REQUEST_FIELDS)
def test_request_form_fields(client, field) -> None:
    token = client.token("/solicitud")
    for value in HOSTILE:
        form = {**VALID_FORM, field: value, "csrf_token": token}
        response = client.client.post("/solicitud", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code < 500, (field, value)
        for markup in MARKUP:
            assert markup not in page, (field, value)
        if response.status_code == 200:
            # Accepted (a harmless value for this field): one request, then clean up.
            assert request_count() == 1
            db.session().execute(AccountRequest.__table__.delete())
            db.commit()
        else:
            assert response.status_code in (400, 409), (field, value, response.status_code)
            assert spanish(page), (field, value)
            assert request_count() == 0, (field, value)


def test_invalid_utf8_body_is_refused_cleanly(client) -> None:
    token = client.token("/solicitud")
    body = "&".join(f"{k}={v}" for k, v in {**VALID_FORM, "csrf_token": token}.items()
                    if k != "nombres").encode() + b"&nombres=%FF%FE%C3"
    response = client.client.post("/solicitud", data=body,
                                  content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert request_count() == 0


@pytest.mark.parametrize("field", ["folio", "code"])
def test_tracking_fields(client, field) -> None:
    token = client.token("/seguimiento")
    for value in HOSTILE:
        form = {"folio": "MSSSA000120-2026-00001", "code": "AAAA-BBBB-CCCC", field: value,
                "csrf_token": token}
        response = client.client.post("/seguimiento", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 404, (field, value)
        assert "no son correctos" in page
        for markup in MARKUP:
            assert markup not in page


@pytest.mark.parametrize("field", ["username", "password"])
def test_sign_in_fields(client, field) -> None:
    token = client.token("/acceso")
    for value in HOSTILE:
        form = {"username": "nadie", "password": "x", field: value, "csrf_token": token}
        response = client.client.post("/acceso", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 401, (field, value)
        assert "incorrectos" in page
        for markup in MARKUP:
            assert markup not in page
    assert db.session().scalar(select(func.count()).select_from(StaffUser)) == 0


def test_second_factor_code_field(client, login_as) -> None:
    from provisioning.staff import services as staff
    from provisioning.staff.models import Role
    from tests.support.staff import create_staff_account

    account = create_staff_account("zoe", staff.Grant(Role.ADMIN))
    client.post("/acceso", {"username": "zoe", "password": account.password})
    token = client.token("/acceso/verificacion")
    for value in HOSTILE[:4] + HOSTILE[5:8]:
        response = client.client.post("/acceso/verificacion",
                                      data={"code": value, "csrf_token": token})
        assert response.status_code in (401, 403), value
        if response.status_code == 403:
            break


def test_guessed_and_malformed_ids_are_404_not_500(client, login_as) -> None:
    from provisioning.staff.models import Role

    login_as(Role.ADMIN)
    for path in ("/admin/personal/0", "/admin/personal/-1", "/admin/personal/abc",
                 "/admin/personal/99999999999999999999", "/admin/personal/1%00"):
        assert client.get(path).status_code == 404, path


def test_guessed_review_ids_are_404_not_500(client, login_as) -> None:
    from provisioning.staff.models import Role

    login_as(Role.INFORMATICA)
    for base in ("/revisiones/", "/revisiones/unidades/"):
        for bad in ("0", "-1", "abc", "99999999999999999999", "1%00"):
            assert client.get(base + bad).status_code == 404, base + bad
    assert client.get("/revisiones/99999999999999999999/pdf").status_code == 404


ACTIVATION = {"usuario": "nadie.aqui", "code": "2222-3333-4444-5555",
              "curp": "BEML920313HMCLNS09", "password": "Clave-Buena-2026",
              "password2": "Clave-Buena-2026"}


@pytest.mark.parametrize("field", list(ACTIVATION))
def test_activation_fields(client, field) -> None:
    token = client.token("/activar")
    for value in HOSTILE:
        form = {**ACTIVATION, field: value, "csrf_token": token}
        if field == "password":
            form["password2"] = value
        response = client.client.post("/activar", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, (field, value)
        assert spanish(page) or "no coinciden" in page or "Los datos" in page, (field, value)
        for markup in MARKUP:
            assert markup not in page


@pytest.mark.parametrize("field", ["usuario", "password"])
def test_preregistration_sign_in_fields(client, field) -> None:
    token = client.token("/preregistro")
    for value in HOSTILE:
        form = {"usuario": "nadie.aqui", "password": "x", field: value, "csrf_token": token}
        response = client.client.post("/preregistro", data=form)
        page = response.get_data(as_text=True)
        # This app has no directory: every name, known or not, goes through the database
        # lookups and the attempt count, then finds no DC to ask (the attempt is given back,
        # so none of these makes the name wait).
        assert response.status_code == 409, (field, value)
        assert "no podemos comunicarnos con el directorio" in page
        for markup in MARKUP:
            assert markup not in page
