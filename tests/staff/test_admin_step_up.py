"""Administrator actions that grant or restore access need a fresh TOTP code, and an
administrator cannot make themselves an auditor (the auditor watches the administrators)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.staff import create_staff_account

NEW = {"username": "maria.lopez", "full_name": "María López Ñúñez", "email": "maria@ssm.test",
       "position": "Jefa de enfermería", "role": "jefe_unidad", "unit": "MSSSA000120"}


def _events(username: str) -> list[str]:
    return list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == username).order_by(AuditEvent.seq)))


@pytest.fixture
def target(app):
    create_staff_account("objetivo", staff.Grant(Role.AUDITOR))
    return staff.by_username("objetivo")


# (path below /admin/personal/<id>, form, the audit action it must not write without a code)
ACTIONS = {
    "reset-password": ("restablecer-contrasena", {}, "staff.password_reset"),
    "reset-totp": ("restablecer-autenticador", {}, "staff.totp_reset"),
    "grant": ("roles", {"role": "enlace", "jurisdiction": "II"}, "staff.role_granted"),
    "activate": ("activar", {}, "staff.enabled"),
}


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("code", ["", "000000", "replay"])
def test_sensitive_admin_action_refused_without_a_fresh_code(client, login_as, clock, target,
                                                             name, code) -> None:
    admin = login_as(Role.ADMIN)
    if name == "activate":
        staff.set_active(target, False, actor=staff.principal_for(target).actor(None))
        db.commit()
    before = _events("objetivo")
    typed = admin.code() if code == "replay" else code  # the code just used to sign in
    path, form, action = ACTIONS[name]
    response = client.post(f"/admin/personal/{target.id}/{path}", {**form, "code": typed},
                           page="/panel")
    assert response.status_code == 401, response.status_code
    assert "código" in response.get_data(as_text=True).lower()
    db.session().expire_all()
    assert action not in _events("objetivo")[len(before):]
    assert _events("objetivo") == before


@pytest.mark.parametrize("name", ACTIONS)
def test_sensitive_admin_action_done_with_a_fresh_code(client, login_as, clock, target,
                                                       name) -> None:
    admin = login_as(Role.ADMIN)
    if name == "activate":
        staff.set_active(target, False, actor=staff.principal_for(target).actor(None))
        db.commit()
    clock.advance(seconds=30)
    path, form, action = ACTIONS[name]
    response = client.post(f"/admin/personal/{target.id}/{path}",
                           {**form, "code": admin.code()}, page="/panel")
    assert response.status_code in (200, 302)
    db.session().expire_all()
    assert action in _events("objetivo")


def test_creating_a_staff_account_needs_a_fresh_code(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)
    refused = client.post("/admin/personal/nuevo", {**NEW, "code": "123456"},
                          page="/admin/personal/nuevo")
    assert refused.status_code == 401 and staff.by_username("maria.lopez") is None
    clock.advance(seconds=30)
    done = client.post("/admin/personal/nuevo", {**NEW, "code": admin.code()},
                       page="/admin/personal/nuevo")
    assert done.status_code == 200 and staff.by_username("maria.lopez") is not None


def test_an_admin_cannot_grant_themselves_auditor(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)
    me = staff.by_username(admin.username)
    clock.advance(seconds=30)
    response = client.post(f"/admin/personal/{me.id}/roles",
                           {"role": "auditor", "code": admin.code()}, page="/panel")
    assert response.status_code == 403
    assert "auditor" in response.get_data(as_text=True).lower()
    db.session().expire_all()
    assert Role.AUDITOR not in {r.role for r in staff.by_username(admin.username).roles}
    # Another person may be made auditor.
    other = create_staff_account("otra.persona", staff.Grant(Role.INFORMATICA))
    clock.advance(seconds=30)
    granted = client.post(f"/admin/personal/{other.id}/roles",
                          {"role": "auditor", "code": admin.code()}, page="/panel")
    assert granted.status_code == 302
    # Nor through the service directly (the CLI and other callers go through it too).
    with pytest.raises(staff.Forbidden):
        staff.grant_role(me, staff.Grant(Role.AUDITOR),
                         actor=staff.principal_for(me).actor(None, Role.ADMIN))
