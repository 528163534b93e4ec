"""Sign-in stages as an attacker walks them: a password alone never reaches a staff page.

Every sign-in page decides only from the session cookie (its stage) and the account row, so
exploring every cookie each page can hand back, from every cookie reached so far, walks all
orders of those pages: a breadth-first search over the distinct stages until no new one
appears.
"""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser
from tests.support.staff import STAFF_PASSWORD, create_staff_account, login
from tests.support.web import Browser

NEW_PASSWORD = "otra frase bastante larga"

# Every step an attacker who knows the password (and no code) can take on the sign-in pages.
STEPS: dict[str, tuple[str, str, dict[str, str]]] = {
    "continue": ("GET", "/acceso/continuar", {}),
    "verify-page": ("GET", "/acceso/verificacion", {}),
    "verify-wrong": ("POST", "/acceso/verificacion", {"code": "000000"}),
    "verify-empty": ("POST", "/acceso/verificacion", {}),
    "enrol-page": ("GET", "/acceso/configurar-autenticador", {}),
    "enrol-wrong": ("POST", "/acceso/configurar-autenticador", {"code": "000000"}),
    "enrolled": ("POST", "/acceso/autenticador-listo", {}),
    "change-page": ("GET", "/acceso/cambiar-contrasena", {}),
    "change": ("POST", "/acceso/cambiar-contrasena",
               {"current": STAFF_PASSWORD, "password": NEW_PASSWORD,
                "password2": NEW_PASSWORD}),
    "password": ("POST", "/acceso", {"username": "{username}", "password": STAFF_PASSWORD}),
}

STAFF_PAGES = ("/panel", "/cuenta", "/admin/personal")


def _stage(app: Any, browser: Browser) -> str | None:
    cookie = browser.client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        return None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return data.get("stage")


def _fresh_browser(app: Any, cookie: str | None) -> Browser:
    browser = Browser(app.test_client())
    if cookie is not None:
        browser.client.set_cookie(app.config.get("SESSION_COOKIE_NAME", "session"), cookie)
    return browser


def _cookie(app: Any, browser: Browser) -> str | None:
    found = browser.client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    return found.value if found else None


def _reset_failures(username: str) -> None:
    user = staff.by_username(username)
    user.failed_logins = 0
    user.locked_until = None
    db.commit()


def _take(browser: Browser, step: str, username: str) -> Any:
    method, path, form = STEPS[step]
    form = {k: v.format(username=username) for k, v in form.items()}
    if method == "GET":
        return browser.get(path)
    # The session's CSRF token, as the sign-in page hands it out (GET /acceso changes nothing).
    return browser.post(path, form, page="/acceso")


def _assert_not_signed_in(browser: Browser, trail: list[str]) -> None:
    for page in STAFF_PAGES:
        response = browser.get(page)
        assert response.status_code in (302, 403) and response.status_code != 200, (
            f"{page} answered {response.status_code} after {' → '.join(trail)}")
        if response.status_code == 302:
            assert "/acceso" in response.headers["Location"], trail


@pytest.mark.parametrize("kind", ["enrolled", "not-enrolled", "must-change-password"])
def test_no_order_of_sign_in_pages_skips_the_second_factor(app, clock, kind) -> None:
    username = f"atk{kind[:3]}"
    create_staff_account(username, staff.Grant(Role.ADMIN), enrolled=kind != "not-enrolled")
    if kind == "must-change-password":
        staff.by_username(username).must_change_password = True
        db.commit()
    start = _fresh_browser(app, None)
    _take(start, "password", username)
    first = _cookie(app, start)
    assert _stage(app, start) is not None

    # Breadth-first over the stages the pages hand back; a stage seen once is not explored
    # again (same cookie stage + same account row = same answers).
    frontier: list[tuple[str | None, list[str]]] = [(first, ["password"])]
    seen: set[str | None] = {_stage(app, start)}
    explored = 0
    while frontier:
        cookie, trail = frontier.pop(0)
        for step in STEPS:
            _reset_failures(username)  # keep exploring past the lockout an attacker would hit
            browser = _fresh_browser(app, cookie)
            _take(browser, step, username)
            explored += 1
            now_trail = [*trail, step]
            _assert_not_signed_in(_fresh_browser(app, _cookie(app, browser)), now_trail)
            stage = _stage(app, browser)
            if stage not in seen:
                seen.add(stage)
                frontier.append((_cookie(app, browser), now_trail))
    assert explored >= len(STEPS)
    actions = set(db.session().scalars(select(AuditEvent.action)))
    assert "staff.login" not in actions


def test_enrolled_person_cannot_finish_with_the_password_alone(app, client) -> None:
    """The reported attack: password, then the end of enrolment with the page's CSRF token."""
    create_staff_account("mallory", staff.Grant(Role.ADMIN))
    client.post("/acceso", {"username": "mallory", "password": STAFF_PASSWORD})
    token = client.token("/acceso/verificacion")
    response = client.client.post("/acceso/autenticador-listo", data={"csrf_token": token})
    assert not response.headers.get("Location", "").endswith("/panel")
    assert client.get("/panel").status_code == 302


def test_enrolment_then_finish_still_signs_in(app, client, clock) -> None:
    """The legitimate path through enrolment keeps working (the stage is the enrolment's)."""
    create_staff_account("nuevo", staff.Grant(Role.ADMIN), enrolled=False)
    client.post("/acceso", {"username": "nuevo", "password": STAFF_PASSWORD})
    page = client.get("/acceso/configurar-autenticador").get_data(as_text=True)
    seed = re.search(r"<code>([A-Z2-7]{32})</code>", page).group(1)
    done = client.post("/acceso/configurar-autenticador",
                       {"code": pyotp.TOTP(seed).at(clock.now)},
                       page="/acceso/configurar-autenticador")
    token = re.search(r'name="csrf_token" value="([^"]+)"', done.get_data(as_text=True))[1]
    # Before saving the codes, the staff pages are still closed.
    assert client.get("/panel").status_code == 302
    finish = client.client.post("/acceso/autenticador-listo", data={"csrf_token": token})
    assert finish.headers["Location"].endswith("/panel")
    assert client.get("/panel").status_code == 200


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, clock) -> None:
    account = create_staff_account("copia", staff.Grant(Role.ADMIN))
    login(client, account, clock)
    stolen = _cookie(app, client)
    assert _fresh_browser(app, stolen).get("/panel").status_code == 200
    client.post("/salir", {}, page="/panel")
    replayed = _fresh_browser(app, stolen).get("/panel")
    assert replayed.status_code == 302 and "/acceso" in replayed.headers["Location"]


@pytest.mark.parametrize("reset", ["password", "totp"])
def test_a_copied_cookie_dies_with_a_password_or_totp_reset(app, client, clock, reset) -> None:
    account = create_staff_account(f"rst{reset}", staff.Grant(Role.AUDITOR))
    login(client, account, clock)
    stolen = _cookie(app, client)
    user = db.session().get(StaffUser, account.id)
    actor = staff.principal_for(user).actor(None)
    if reset == "password":
        staff.reset_password(user, actor=actor)
    else:
        staff.reset_totp(user, actor=actor)
    db.commit()
    assert _fresh_browser(app, stolen).get("/panel").status_code == 302
