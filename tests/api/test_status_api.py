"""The person-status API: tokens, the fixed set of answers, OpenAPI, audit of every call."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from provisioning import audit, crypto, db
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.api import services as api
from provisioning.api.models import ApiClient
from provisioning.audit.models import AuditEvent
from provisioning.staff.models import Role
from tests.support.forms import folio_and_code, submit

ADMIN = audit.Actor("admin", "admin", "10.0.0.1")


def new_client(name: str = "SIEMPRE") -> str:
    _, token = api.create_client(name, scopes=["status:read"], actor=ADMIN)
    db.commit()
    return token


def call(client, curp: str, token: str | None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.client.post("/api/v1/personal/estado", json={"curp": curp}, headers=headers)


def test_token_is_required_and_checked(client) -> None:
    token = new_client()
    # The last character changed (to A, or to B when it already was A: never the token).
    altered = token[:-1] + ("B" if token.endswith("A") else "A")
    for header in (None, "Bearer", "Basic abc", f"Bearer {token}x", f"Bearer {altered}",
                   "Bearer alta_XXXXXXXXXX_" + "a" * 43):
        headers = {"Authorization": header} if header else {}
        response = client.client.post("/api/v1/personal/estado",
                                      json={"curp": "BEML920313HMCLNS09"}, headers=headers)
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"].startswith("Credencial")


def test_revoked_client_is_refused(client) -> None:
    token = new_client()
    assert call(client, "BEML920313HMCLNS09", token).status_code == 200
    api.revoke_client(db.session().scalar(select(ApiClient)), actor=ADMIN)
    db.commit()
    assert call(client, "BEML920313HMCLNS09", token).status_code == 401


def test_malformed_curp_is_400(client) -> None:
    token = new_client()
    for bad in ("BEML920313HMCLNS0", "PEGL890909MJCRMS09", "x" * 300, "%00",
                "BEML920313HMCLNS09/x"):
        response = call(client, bad, token)
        assert response.status_code == 400, bad
        assert "CURP" in response.get_json()["error"]


def test_no_encontrado(client, clock) -> None:
    token = new_client()
    body = call(client, "beml920313hmclns09", token).get_json()
    assert body == {"curp": "BEML920313HMCLNS09", "estado": "no_encontrado",
                    "fecha_respuesta": "04/03/2026 10:00:00"}


def test_en_tramite_with_stage_and_folio(client, clock) -> None:
    token = new_client()
    folio, _ = folio_and_code(submit(client))
    body = call(client, "BEML920313HMCLNS09", token).get_json()
    assert body["estado"] == "en_tramite" and body["folio"] == folio
    assert body["etapa"] == "enviada"
    assert "jefe de unidad" in body["etapa_descripcion"]


def test_rejected_request_is_not_found(client) -> None:
    token = new_client()
    folio, _ = folio_and_code(submit(client))
    request = db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
    workflow.transition(request, "reject", actor=ADMIN, reason="Duplicada")
    db.commit()
    assert call(client, "BEML920313HMCLNS09", token).get_json()["estado"] == "no_encontrado"


def test_every_call_is_audited_as_a_read_and_marks_last_use(client, clock) -> None:
    token = new_client()
    folio, _ = folio_and_code(submit(client))
    call(client, "BEML920313HMCLNS09", token)
    call(client, "HEGG560427MVZRRL04", token)
    events = db.session().scalars(select(AuditEvent).where(
        AuditEvent.action == "api.person_status").order_by(AuditEvent.seq)).all()
    # A CURP Alta does not know is logged as its keyed hash, never in clear.
    unknown = crypto.pseudonym("curp", "HEGG560427MVZRRL04")
    assert [(e.actor, e.object_type, e.object_id) for e in events] == [
        ("api:SIEMPRE", "request", folio), ("api:SIEMPRE", "curp", unknown)]
    assert [json.loads(e.details)["curp_hmac"] for e in events] == [
        crypto.pseudonym("curp", "BEML920313HMCLNS09"), unknown]
    assert not any("HEGG560427MVZRRL04" in e.details + e.summary for e in events)
    db.session().expire_all()
    assert db.session().scalar(select(ApiClient)).last_used_at == clock.now
    assert token not in " ".join(e.details + e.summary for e in events)


def test_openapi_document(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert list(doc["paths"]) == ["/personal/estado"]
    operation = doc["paths"]["/personal/estado"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403", "429"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["curp"] and body["additionalProperties"] is False


def test_admin_manages_clients_and_sees_token_once(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)

    def fresh() -> dict[str, str]:
        clock.advance(seconds=30)
        return {"code": admin.code()}

    form = {"name": "SIEMPRE producción", "scopes": "status:read"}
    page = client.post("/admin/api", {**form, **fresh()}, page="/admin/api")
    token = re.search(r'class="secret long">([^<]+)<', page.get_data(as_text=True))[1]
    assert "04/03/2027" in page.get_data(as_text=True)  # expiry shown with the token
    assert call(client, "BEML920313HMCLNS09", token).status_code == 200
    listing = client.get("/admin/api").get_data(as_text=True)
    assert "SIEMPRE producción" in listing and token not in listing
    assert "status:read" in listing and "04/03/2027" in listing
    stored = db.session().scalar(select(ApiClient))
    assert token not in (stored.token_sha256, stored.token_prefix)
    duplicate = client.post("/admin/api", {**form, **fresh()}, page="/admin/api")
    assert duplicate.status_code == 409
    # Without a scope, or with one that does not exist, nothing is registered.
    for bad in ({"name": "Otro"}, {"name": "Otro", "scopes": "status:write"}):
        refused = client.post("/admin/api", {**bad, **fresh()}, page="/admin/api")
        assert refused.status_code == 400 and "alcance" in refused.get_data(as_text=True)
    assert db.session().scalar(select(ApiClient).where(ApiClient.name == "Otro")) is None
    # Rotation: a new token shown once; the old one keeps working during the grace period.
    rotated = client.post(f"/admin/api/{stored.id}/rotar", fresh(), page="/admin/api")
    new = re.search(r'class="secret long">([^<]+)<', rotated.get_data(as_text=True))[1]
    assert new != token and "05/03/2026 10:0" in rotated.get_data(as_text=True)
    assert call(client, "BEML920313HMCLNS09", new).status_code == 200
    assert call(client, "BEML920313HMCLNS09", token).status_code == 200
    client.post(f"/admin/api/{stored.id}/revocar", fresh(), page="/admin/api")
    assert call(client, "BEML920313HMCLNS09", token).status_code == 401
    assert call(client, "BEML920313HMCLNS09", new).status_code == 401


def test_client_actions_need_a_fresh_totp_code(client, login_as, clock) -> None:
    """A stolen administrator session alone can neither mint, rotate nor revoke a token."""
    admin = login_as(Role.ADMIN)
    form = {"name": "Sistema robado", "scopes": "status:read"}
    for code in ("", "000000", admin.code()):  # none, wrong, the one just used to sign in
        refused = client.post("/admin/api", {**form, "code": code}, page="/admin/api")
        assert refused.status_code == 401 and 'class="secret' not in refused.get_data(as_text=True)
    assert db.session().scalar(select(ApiClient)) is None
    clock.advance(seconds=30)
    client.post("/admin/api", {**form, "code": admin.code()}, page="/admin/api")
    stored = db.session().scalar(select(ApiClient))
    prefix = stored.token_prefix
    for action in ("rotar", "revocar"):
        refused = client.post(f"/admin/api/{stored.id}/{action}", {"code": "123456"},
                              page="/admin/api")
        assert refused.status_code == 401
    db.session().expire_all()
    stored = db.session().get(ApiClient, stored.id)
    assert stored.token_prefix == prefix and stored.revoked_at is None


def test_only_admins_manage_clients(client, login_as) -> None:
    login_as(Role.AUDITOR)
    assert client.get("/admin/api").status_code == 403
    assert client.post("/admin/api", {"name": "X"}, page="/panel").status_code == 403


def test_activo_gives_user_name_names_and_clues(client, clock) -> None:
    from provisioning.account_requests.workflow import RequestStatus
    from provisioning.people.accounts import DirectoryAccount

    token = new_client()
    folio, _ = folio_and_code(submit(client))
    request = db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
    # The procedure up to here is tested elsewhere; jump to the final state.
    request.status, request.closed_at = RequestStatus.ACCESO_ACTIVO.value, clock.now
    db.session().add(DirectoryAccount(
        request_id=request.id, sam_account_name="luis.bernal",
        user_principal_name="luis.bernal@ssm.test", object_guid="guid-1",
        dn="CN=LUIS ÁNGEL BERNAL MUÑOZ,OU=SIEMPRE,DC=ssm,DC=test", origin="created",
        created_at=clock.now))
    db.commit()
    body = call(client, "BEML920313HMCLNS09", token).get_json()
    assert body == {"curp": "BEML920313HMCLNS09", "estado": "activo", "usuario": "luis.bernal",
                    "nombres": "LUIS ÁNGEL", "primer_apellido": "BERNAL",
                    "segundo_apellido": "MUÑOZ", "clues": "MSSSA000120",
                    "fecha_respuesta": "04/03/2026 10:00:00"}
