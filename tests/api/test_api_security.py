"""What an attacker (or a careless client) tries on the status API, and what it gets.

Per-client quota (429 with Retry-After), token expiry, rotation with a grace period, scopes
per operation (403), and the CURP kept out of every URL (a POST body): each as the request
sequence that would break it. The OpenAPI document says all of it, for every operation.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from provisioning import audit, db
from provisioning.api import services as api
from provisioning.api.models import ApiClient
from provisioning.audit.models import AuditEvent
from provisioning.errors import Conflict, ValidationError

ADMIN = audit.Actor("admin", "admin", "10.0.0.1")
CURP = "BEML920313HMCLNS09"
ESTADO = "/api/v1/personal/estado"
READ = ["status:read"]


def new_client(name: str = "SIEMPRE", **kw: Any) -> tuple[ApiClient, str]:
    kw.setdefault("scopes", READ)
    client, token = api.create_client(name, actor=ADMIN, **kw)
    db.commit()
    return client, token


def call(browser: Any, token: str | None, body: Any = None, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return browser.client.post(ESTADO, json={"curp": CURP} if body is None else body,
                               headers=headers, **kw)


def reads() -> list[AuditEvent]:
    return list(db.session().scalars(select(AuditEvent).where(
        AuditEvent.action == "api.person_status").order_by(AuditEvent.seq)))


def with_api_settings(app: Any, monkeypatch: pytest.MonkeyPatch, **values: Any) -> None:
    settings = app.extensions["alta.settings"]
    monkeypatch.setitem(app.extensions, "alta.settings", dataclasses.replace(
        settings, api=dataclasses.replace(settings.api, **values)))


def assert_spanish_error(response: Any, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "status"} and body["status"] == status
    return body["error"]


# -- quota ------------------------------------------------------------------------------------


def test_quota_exhaustion_gives_429_with_retry_after(app, client, clock, monkeypatch) -> None:
    with_api_settings(app, monkeypatch, quota_requests=3, quota_window_seconds=60)
    _, token = new_client()
    _, other = new_client("Otro sistema")
    clock.advance(seconds=15)  # 15 s into the window: 45 s of it left
    assert [call(client, token).status_code for _ in range(2)] == [200, 200]
    # A malformed call counts too: the quota is on calls, not on answers.
    assert call(client, token, {"curp": "X"}).status_code == 400
    refused = call(client, token)
    message = assert_spanish_error(refused, 429)
    assert refused.headers["Retry-After"] == "45"
    assert "cuota" in message and "45 segundos" in message
    # Hammering does not move the end of the window, and the refusal is not a read.
    clock.advance(seconds=40)
    again = call(client, token)
    assert again.status_code == 429 and again.headers["Retry-After"] == "5"
    assert len(reads()) == 2
    # Per client, not per IP: another client from the same address is still served.
    assert call(client, other).status_code == 200
    # When the window ends, the client is served again.
    clock.advance(seconds=5)
    assert call(client, token).status_code == 200


def test_quota_counts_are_not_reset_by_a_failed_request(app, client, clock,
                                                        monkeypatch) -> None:
    # The count is committed before the call is answered: a call that fails later (here a
    # bad CURP, answered 400 after a rollback) still used its place in the quota.
    with_api_settings(app, monkeypatch, quota_requests=2, quota_window_seconds=60)
    _, token = new_client()
    assert call(client, token, {"curp": "X"}).status_code == 400
    assert call(client, token, {"curp": "X"}).status_code == 400
    assert call(client, token).status_code == 429


def test_unauthenticated_calls_do_not_use_a_clients_quota(app, client, clock,
                                                          monkeypatch) -> None:
    with_api_settings(app, monkeypatch, quota_requests=1, quota_window_seconds=60)
    _, token = new_client()
    for _ in range(3):
        assert call(client, token[:-1] + ("B" if token.endswith("A") else "A")).status_code \
            == 401
    assert call(client, token).status_code == 200


# -- token expiry -----------------------------------------------------------------------------


def test_expired_token_is_refused_with_a_clear_message(client, clock) -> None:
    stored, token = new_client(days=30)
    assert stored.token_expires_at == clock.now.replace(month=4, day=3)
    clock.advance(days=30, seconds=-1)
    assert call(client, token).status_code == 200
    clock.advance(seconds=1)
    refused = call(client, token)
    message = assert_spanish_error(refused, 401)
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "venció el 03/04/2026" in message
    assert len(reads()) == 1


def test_default_validity_comes_from_the_configuration(app, clock, monkeypatch) -> None:
    with_api_settings(app, monkeypatch, token_validity_days=90)
    stored, _ = new_client()
    assert (stored.token_expires_at - clock.now).days == 90
    with pytest.raises(ValidationError):
        api.create_client("Eterno", scopes=READ, days=0, actor=ADMIN)
    with pytest.raises(ValidationError):
        api.create_client("Eterno", scopes=READ, days=100000, actor=ADMIN)


# -- rotation ---------------------------------------------------------------------------------


def test_rotated_out_token_works_only_during_the_grace_period(app, client, clock,
                                                              monkeypatch) -> None:
    with_api_settings(app, monkeypatch, rotation_grace_hours=24)
    stored, old = new_client()
    new = api.rotate_token(stored, actor=ADMIN)
    db.commit()
    assert new != old
    # Both work while the calling system switches over...
    assert call(client, new).status_code == 200
    clock.advance(hours=23, minutes=59)
    assert call(client, old).status_code == 200
    # ... then only the new one.
    clock.advance(minutes=1)
    message = assert_spanish_error(call(client, old), 401)
    assert "reemplazada" in message
    assert call(client, new).status_code == 200
    # Only hashes are kept, of either token.
    db.session().expire_all()
    row = db.session().get(ApiClient, stored.id)
    columns = " ".join(str(getattr(row, c.key)) for c in ApiClient.__table__.columns)
    assert old not in columns and new not in columns
    assert old.split("_", 2)[2] not in columns and new.split("_", 2)[2] not in columns
    rotated = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "api.client_rotated"))
    assert rotated.object_id == str(stored.id) and rotated.actor == "admin"
    assert old not in rotated.details and new not in rotated.details


def test_rotation_without_grace_stops_the_old_token_at_once(client, clock) -> None:
    stored, old = new_client()
    new = api.rotate_token(stored, actor=ADMIN, immediately=True)
    db.commit()
    assert_spanish_error(call(client, old), 401)
    assert call(client, new).status_code == 200


def test_a_second_rotation_ends_the_first_tokens_grace(client, clock) -> None:
    stored, first = new_client()
    second = api.rotate_token(stored, actor=ADMIN)
    third = api.rotate_token(stored, actor=ADMIN)
    db.commit()
    assert call(client, first).status_code == 401
    assert call(client, second).status_code == 200
    assert call(client, third).status_code == 200


def test_rotation_never_revives_an_expired_or_revoked_token(client, clock) -> None:
    stored, old = new_client(days=1)
    clock.advance(days=2)
    new = api.rotate_token(stored, actor=ADMIN)
    db.commit()
    assert call(client, old).status_code == 401  # it had expired: no grace for it
    assert call(client, new).status_code == 200
    assert (stored.token_expires_at - clock.now).days == 365
    api.revoke_client(stored, actor=ADMIN)
    db.commit()
    assert call(client, new).status_code == 401
    with pytest.raises(Conflict):
        api.rotate_token(stored, actor=ADMIN)


# -- scopes -----------------------------------------------------------------------------------


def test_client_without_the_scope_gets_403(client, clock) -> None:
    stored, token = new_client()
    api.set_scopes(stored, [], actor=ADMIN)
    db.commit()
    refused = call(client, token)
    message = assert_spanish_error(refused, 403)
    assert "status:read" in message
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert reads() == []
    changed = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "api.client_scopes_changed"))
    assert json.loads(changed.details) == {"antes": ["status:read"], "despues": []}
    api.set_scopes(stored, READ, actor=ADMIN)
    db.commit()
    assert call(client, token).status_code == 200


def test_unknown_scopes_are_refused() -> None:
    for scopes in (["status:write"], ["*"], ["status:read status:write"]):
        with pytest.raises(ValidationError):
            api.create_client("SIEMPRE", scopes=scopes, actor=ADMIN)


def test_every_documented_operation_enforces_its_scopes(client, clock) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    described = doc["components"]["securitySchemes"]["bearer"]["description"]
    operations = [(path, method, op) for path, item in doc["paths"].items()
                  for method, op in item.items()]
    assert operations
    for path, method, operation in operations:
        (requirement,) = operation["security"]
        scopes = requirement["bearer"]
        assert scopes and set(scopes) <= set(api.SCOPES), path
        assert all(scope in described for scope in scopes)
        for lacking in scopes:
            stored, token = new_client(f"Sin {lacking} {method} {path}", scopes=api.SCOPES)
            api.set_scopes(stored, set(api.SCOPES) - {lacking}, actor=ADMIN)
            db.commit()
            url = doc["servers"][0]["url"].removeprefix("http://localhost") + path
            response = client.client.open(url, method=method.upper(), json={"curp": CURP},
                                          headers={"Authorization": f"Bearer {token}"})
            assert_spanish_error(response, 403)


# -- the CURP never in a URL ------------------------------------------------------------------


def test_no_operation_takes_the_curp_in_the_url(client, clock) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        assert "{" not in path, path
        for operation in item.values():
            assert all(p["in"] == "header" for p in operation.get("parameters", [])), path
    _, token = new_client()
    for url in (f"/api/v1/personal/{CURP}", f"/api/v1/personal/estado?curp={CURP}",
                f"/api/v1/personal?curp={CURP}"):
        response = client.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code in (404, 405), url
        assert CURP not in response.get_data(as_text=True)
    assert reads() == []


def test_the_curp_stays_out_of_the_servers_access_log(live_app, caplog) -> None:
    with live_app.app_context():
        _, token = api.create_client("SIEMPRE", scopes=READ, actor=ADMIN)
        db.commit()
    caplog.set_level(logging.INFO, logger="werkzeug")
    connection = http.client.HTTPConnection(urlsplit(live_app.config["LIVE_URL"]).netloc,
                                            timeout=10)
    connection.request("POST", ESTADO, body=json.dumps({"curp": CURP}),
                       headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    assert json.load(connection.getresponse())["estado"] == "no_encontrado"
    connection.close()
    logged = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("POST /api/v1/personal/estado" in line for line in logged), logged
    assert not any(CURP in line or token in line for line in logged)


@pytest.mark.parametrize("body", [
    b"", b"BEML920313HMCLNS09", b"curp=BEML920313HMCLNS09", b"{", b"[]", b"null",
    b'"BEML920313HMCLNS09"', b'{"curp": null}', b'{"curp": 1}', b'{"curp": ["BEML920313HMCLNS09"]}',
    b'{"CURP": "BEML920313HMCLNS09"}', b'{"curp": "BEML920313HMCLNS09", "folio": "x"}',
    b'{"curp": "BEML920313HMCLNS0"}', b'{"curp": "\xff"}',
    b"[" * 5000 + b"]" * 5000, b'{"curp": "' + b"A" * 5000 + b'"}',
])
def test_malformed_bodies_are_400_and_write_nothing(client, clock, body: bytes) -> None:
    _, token = new_client()
    response = client.client.post(ESTADO, data=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    message = assert_spanish_error(response, 400)
    assert "CURP" in message
    assert reads() == []


def test_a_body_of_another_media_type_is_400(client, clock) -> None:
    _, token = new_client()
    response = client.client.post(ESTADO, data={"curp": CURP},
                                  headers={"Authorization": f"Bearer {token}"})
    assert "JSON" in assert_spanish_error(response, 400)


# -- the document ------------------------------------------------------------------------------


def test_openapi_documents_quota_scopes_and_expiry_for_every_operation(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            where = f"{method} {path}"
            responses = operation["responses"]
            assert {"200", "400", "401", "403", "429"} <= set(responses), where
            assert "Retry-After" in responses["429"]["headers"], where
            assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
            assert "WWW-Authenticate" in responses["403"]["headers"], where
            assert "vence" in responses["401"]["description"], where


def test_public_form_traffic_does_not_reset_a_clients_quota(app, client, clock,
                                                            monkeypatch) -> None:
    # The per-IP limits count over a shorter window; their sweep of old windows must not
    # delete the API's longer one (a client could reset its quota by posting a form).
    with_api_settings(app, monkeypatch, quota_requests=2, quota_window_seconds=3600)
    _, token = new_client()
    assert [call(client, token).status_code for _ in range(2)] == [200, 200]
    clock.advance(minutes=10)
    client.post("/seguimiento", {"folio": "X", "code": "Y"}, page="/seguimiento")
    refused = call(client, token)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3000"
