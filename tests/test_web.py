"""HTTP plumbing shared by every page: error answers keep the headers their status needs."""

from __future__ import annotations

import re

from tests.support.tls import browser_referer

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_method_not_allowed_lists_the_allowed_methods(client) -> None:
    # RFC 9110: a 405 must say which methods the resource supports.
    page = client.client.delete("/acceso")
    assert page.status_code == 405
    assert set(page.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert "no está permitida" in page.get_data(as_text=True)
    api = client.client.open("/api/v1/openapi.json", method="TRACE")
    assert api.status_code == 405 and api.content_type == "application/json"
    assert set(api.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert api.get_json() == {"error": "Esa acción no está permitida en esta página.",
                              "status": 405}


def test_pages_send_their_url_to_this_site_only(client) -> None:
    # Other sites never learn a page's URL; the site's own forms carry it (Flask-WTF needs
    # it over HTTPS, see tests/test_https.py).
    assert client.get("/acceso").headers["Referrer-Policy"] == "same-origin"


def test_forms_work_behind_a_trusted_proxy_that_terminates_tls(make_app) -> None:
    """nginx speaks HTTPS to the browser and HTTP to gunicorn; with [app].trusted_proxies
    the app sees https and the public host, and a browser's own Referer passes the check."""
    app = make_app(app={"base_url": "https://alta.ssm.test", "trusted_proxies": 1})
    proxy = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "alta.ssm.test"}
    web = app.test_client()
    page = web.get("/seguimiento", headers=proxy, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    token = _TOKEN.search(page.get_data(as_text=True)).group(1)
    url = "https://alta.ssm.test/seguimiento"
    referer = browser_referer(page.headers["Referrer-Policy"], url, url)
    answer = web.post("/seguimiento", data={"folio": "MSSSA000120-2026-00001", "code": "X",
                                            "csrf_token": token},
                      headers={**proxy, **({"Referer": referer} if referer else {})},
                      environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert answer.status_code == 404, answer.get_data(as_text=True)  # checked, not refused
