"""HTTP plumbing shared by every page: error answers keep the headers their status needs."""

from __future__ import annotations


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
