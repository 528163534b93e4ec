"""Over HTTPS, every form works: the production server (gunicorn) behind TLS with a CA made
here, driven by an HTTP client that sends the Referer and Origin a browser would under the
Referrer-Policy each page came with.

Flask-WTF checks on HTTPS that a POST's Referer is this site (WTF_CSRF_SSL_STRICT): a
policy that withholds the Referer from the site itself turns every form into a 400.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyotp
import pytest
import requests

from provisioning import timeutil
from provisioning.account_requests.workflow import RequestStatus
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.chain import fetch
from tests.support.factories import write_toml
from tests.support.forms import VALID_FORM
from tests.support.staff import create_staff_account
from tests.support.tls import Certificates, browser_origin, browser_referer, make_certificates
from tests.support.web import free_port

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class HttpsBrowser:
    """A cookie jar plus what a browser adds to a form POST: Referer and Origin as the
    Referrer-Policy of the page holding the form allows."""

    def __init__(self, base: str, ca: Path) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE or a proxy must not get in the way
        self.http.verify = str(ca)
        self.url = ""  # the page on screen
        self.policy: str | None = None  # the Referrer-Policy it came with
        self.html = ""

    def _show(self, response: requests.Response) -> requests.Response:
        self.url, self.policy = response.url, response.headers.get("Referrer-Policy")
        self.html = response.text
        return response

    def _follow(self, response: requests.Response, referer: str | None) -> requests.Response:
        while response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            headers = {"Referer": referer} if referer else {}
            response = self.http.get(target, headers=headers, allow_redirects=False,
                                     timeout=30)
        return response

    def open(self, path: str) -> requests.Response:
        """Type an address: no Referer."""
        return self._show(self._follow(
            self.http.get(self.base + path, allow_redirects=False, timeout=30), None))

    def submit(self, action: str, fields: dict[str, Any]) -> requests.Response:
        """Submit a form of the page on screen (with its CSRF token) to ``action``."""
        token = _TOKEN.search(self.html)
        assert token, f"no CSRF token on {self.url}"
        target = self.base + action
        referer = browser_referer(self.policy, self.url, target)
        headers = {"Origin": browser_origin(self.policy, self.url, target)}
        if referer:
            headers["Referer"] = referer
        response = self.http.post(target, data={**fields, "csrf_token": token.group(1)},
                                  headers=headers, allow_redirects=False, timeout=30)
        return self._show(self._follow(response, referer))


@contextmanager
def gunicorn_over_tls(config: Path, certs: Certificates, port: int,
                      log: Path) -> Iterator[str]:
    """gunicorn serving Alta on https://127.0.0.1:PORT with ``config``; yields the base URL."""
    base = f"https://127.0.0.1:{port}"
    env = {**os.environ, "ALTA_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    env.pop("ALTA_DATABASE_URL", None)
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{port}", "--certfile", str(certs.cert),
             "--keyfile", str(certs.key), "--log-level", "warning",
             "provisioning:create_app()"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", verify=str(certs.ca), timeout=2).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still starting (or busy)
                pass
            assert server.poll() is None, f"gunicorn exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"gunicorn did not answer: {log.read_text()}"
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def https_site(make_app, tmp_path: Path) -> Iterator[tuple[Any, str, Certificates]]:
    """(app on the server's database, base URL, certificates): gunicorn over TLS on a
    database the migrations built, with the settings of the app the test uses."""
    port = free_port()
    app = make_app(app={"base_url": f"https://127.0.0.1:{port}"},
                   security={"session_cookie_secure": True})
    settings = app.extensions["alta.settings"]
    config = write_toml(tmp_path / "alta.toml", {
        "app": {"secret_key": settings.app.secret_key, "base_url": settings.app.base_url,
                "instance_dir": str(tmp_path / "instance")},
        "database": {"url": settings.database.url},
        "security": {"argon2_time_cost": 1, "argon2_memory_cost_kib": 256,
                     "argon2_parallelism": 1, "code_argon2_memory_cost_kib": 256},
        "mail": {"enabled": False},
    })
    certs = make_certificates(tmp_path)
    with gunicorn_over_tls(config, certs, port, tmp_path / "gunicorn.log") as base:
        yield app, base, certs


def test_forms_work_over_https_sign_in_sign_and_log_out(https_site) -> None:
    app, base, certs = https_site
    with app.app_context():
        head = create_staff_account("jefa.https",
                                    staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120"))
    seed = pyotp.TOTP(head.seed)

    # The applicant's request, over HTTPS: it waits for the unit head's signature.
    applicant = HttpsBrowser(base, certs.ca)
    assert applicant.open("/solicitud").headers["Strict-Transport-Security"]
    page = applicant.submit("/solicitud", VALID_FORM)
    assert page.status_code == 200, page.text
    folio = re.search(r'class="secret">([^<]+)<', page.text).group(1)
    with app.app_context():
        request = fetch(folio)
        assert request.status == RequestStatus.ENVIADA.value

    # The unit head signs in: password, then a code of the previous 30-s step (accepted
    # within the window), so the signature's code below is always of a later step.
    head_browser = HttpsBrowser(base, certs.ca)
    head_browser.open("/acceso")
    page = head_browser.submit("/acceso", {"username": head.username,
                                           "password": head.password})
    assert page.url.endswith("/acceso/verificacion"), page.text
    cookie = next(c for c in head_browser.http.cookies if c.name == "alta_sesion")
    assert cookie.secure
    earlier = timeutil.now() - timedelta(seconds=30)
    page = head_browser.submit("/acceso/verificacion", {"code": seed.at(earlier)})
    assert page.url.endswith("/panel") and "Bienvenido(a)" in page.text, page.text

    # ... opens the request and signs it with a fresh code (step-up).
    head_browser.open(f"/solicitudes/{request.id}")
    later = timeutil.now() + timedelta(seconds=30)
    page = head_browser.submit(f"/solicitudes/{request.id}/firmar", {"code": seed.at(later)})
    assert page.url.endswith("/firmas") and f"Solicitud {folio} firmada." in page.text, page.text
    with app.app_context():
        assert fetch(folio).status == RequestStatus.FIRMADA_JEFE.value

    # ... and logs out: the session is over.
    page = head_browser.submit("/salir", {})
    assert page.url.endswith("/acceso") and "Sesión cerrada." in page.text, page.text
    assert head_browser.open("/panel").url.startswith(base + "/acceso")


def test_without_the_referer_a_form_post_over_https_is_refused(https_site) -> None:
    """Flask-WTF's HTTPS check stays on: a POST with no Referer, or another site's, is a 400
    even with a valid token (the site must keep sending the Referer to itself)."""
    _app, base, certs = https_site
    browser = HttpsBrowser(base, certs.ca)
    browser.open("/seguimiento")
    token = _TOKEN.search(browser.html).group(1)
    form = {"folio": "X", "code": "Y", "csrf_token": token}
    for headers in ({}, {"Referer": "https://evil.example/seguimiento"}):
        refused = browser.http.post(base + "/seguimiento", data=form, headers=headers,
                                    allow_redirects=False, timeout=30)
        assert refused.status_code == 400
        assert "protección CSRF" in refused.text
