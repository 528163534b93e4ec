"""Chromium over HTTPS: the browser itself decides the Referer from the Referrer-Policy, and
Flask-WTF's HTTPS check must accept the site's own forms (sign-in and log out)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.browser import sign_in
from tests.support.staff import create_staff_account
from tests.support.tls import make_certificates
from tests.support.web import serving


@pytest.fixture
def live_app(make_app, tmp_path) -> Iterator[Any]:
    """This module's live app (it overrides tests/e2e/conftest.py's): HTTPS, Secure cookie."""
    certs = make_certificates(tmp_path)
    app = make_app(rate_limit={"enabled": False}, app={"base_url": "https://127.0.0.1"},
                   security={"session_cookie_secure": True})
    with serving(app, tls=(str(certs.cert), str(certs.key))):
        yield app


def test_sign_in_and_log_out_over_https(chromium, live_app, clock, shots) -> None:
    assert live_app.config["LIVE_URL"].startswith("https://")
    with live_app.app_context():
        head = create_staff_account("jefa.tls",
                                    staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120"))
    # The CA is this test's own; Chromium is told to accept it rather than to trust it.
    context = chromium.new_context(base_url=live_app.config["LIVE_URL"], locale="es-MX",
                                   ignore_https_errors=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, head, clock)
        assert "Bienvenido(a)" in page.inner_text("main")
        shots(page, "panel por https")
        page.get_by_role("button", name="Salir").click()
        page.wait_for_url("**/acceso")
        assert "Sesión cerrada." in page.inner_text("main")
    finally:
        context.close()
