"""``alta api-client``: create (scopes, validity), list, rotate, set-scopes, revoke."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from provisioning import db
from provisioning.api.models import ApiClient
from provisioning.audit.models import AuditEvent

TOKEN = re.compile(r"alta_[A-Za-z0-9]{10}_[A-Za-z0-9_-]{43}")
CURP = "BEML920313HMCLNS09"


def alta(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["api-client", *args])


def status(browser: Any, token: str) -> int:
    return browser.client.post("/api/v1/personal/estado", json={"curp": CURP},
                               headers={"Authorization": f"Bearer {token}"}).status_code


def stored(name: str) -> ApiClient:
    db.session().expire_all()
    return db.session().scalar(select(ApiClient).where(ApiClient.name == name))


def test_create_prints_the_token_once_with_its_expiry_and_scopes(app, client, clock) -> None:
    result = alta(app, "create", "SIEMPRE", "--scope", "status:read", "--days", "30")
    assert result.exit_code == 0, result.output
    (token,) = TOKEN.findall(result.output)
    assert "03/04/2026" in result.output and "status:read" in result.output
    assert status(client, token) == 200
    row = stored("SIEMPRE")
    assert row.scopes == "status:read" and token not in (row.token_sha256, row.token_prefix)
    listing = alta(app, "list")
    assert listing.exit_code == 0
    assert "SIEMPRE" in listing.output and "03/04/2026" in listing.output
    assert token not in listing.output and "status:read" in listing.output
    event = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "api.client_created"))
    assert event.actor.startswith("cli:") and token not in event.details


def test_create_needs_a_known_scope_and_a_sane_validity(app) -> None:
    for args in ((), ("--scope", "status:write"), ("--scope", "status:read", "--days", "0"),
                 ("--scope", "status:read", "--days", "99999")):
        result = alta(app, "create", "SIEMPRE", *args)
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
    assert stored("SIEMPRE") is None


def test_rotate_prints_a_new_token_and_the_old_ones_grace(app, client, clock) -> None:
    (old,) = TOKEN.findall(alta(app, "create", "SIEMPRE", "--scope", "status:read").output)
    result = alta(app, "rotate", "SIEMPRE")
    assert result.exit_code == 0, result.output
    (new,) = TOKEN.findall(result.output)
    # The grace period ends 24 h later (default), said in local time.
    assert "05/03/2026 10:00" in result.output
    assert status(client, old) == 200 and status(client, new) == 200
    immediate = alta(app, "rotate", "SIEMPRE", "--no-grace", "--days", "10")
    assert immediate.exit_code == 0, immediate.output
    (newest,) = TOKEN.findall(immediate.output)
    assert "14/03/2026" in immediate.output
    assert [status(client, t) for t in (old, new, newest)] == [401, 401, 200]
    assert alta(app, "rotate", "NADIE").exit_code != 0


def test_set_scopes_and_revoke(app, client, clock) -> None:
    (token,) = TOKEN.findall(alta(app, "create", "SIEMPRE", "--scope", "status:read").output)
    result = alta(app, "set-scopes", "SIEMPRE")
    assert result.exit_code == 0, result.output
    assert status(client, token) == 403
    assert alta(app, "set-scopes", "SIEMPRE", "status:write").exit_code != 0
    assert alta(app, "set-scopes", "SIEMPRE", "status:read").exit_code == 0
    assert status(client, token) == 200
    assert alta(app, "revoke", "SIEMPRE").exit_code == 0
    assert status(client, token) == 401
    again = alta(app, "revoke", "SIEMPRE")
    assert again.exit_code != 0 and "revocado" in again.output
