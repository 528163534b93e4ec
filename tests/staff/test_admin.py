"""Administration of staff accounts and their scoped roles."""

from __future__ import annotations

import re

from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.staff import services as staff
from provisioning.staff.models import Role

NEW = {"username": "maria.lopez", "full_name": "María López Ñúñez", "email": "maria@ssm.test",
       "position": "Jefa de enfermería", "role": "jefe_unidad", "unit": "MSSSA000120"}


def fresh(account, clock) -> dict[str, str]:
    """A new TOTP code of ``account`` (the next 30-second step), as the admin forms take it."""
    clock.advance(seconds=30)
    return {"code": account.code()}


def test_only_admins_reach_staff_pages(client, login_as) -> None:
    login_as(Role.AUDITOR)
    assert client.get("/admin/personal").status_code == 403
    assert client.post("/admin/personal/nuevo", NEW, page="/panel").status_code == 403
    assert staff.by_username("maria.lopez") is None


def test_anonymous_is_sent_to_sign_in(client) -> None:
    response = client.get("/admin/personal")
    assert response.status_code == 302 and "/acceso" in response.headers["Location"]


def test_admin_creates_account_with_scoped_role(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)
    response = client.post("/admin/personal/nuevo", {**NEW, **fresh(admin, clock)},
                           page="/admin/personal/nuevo")
    assert response.status_code == 200
    temporary = re.search(r'class="secret">([^<]+)<', response.get_data(as_text=True))[1]
    user = staff.by_username("maria.lopez")
    assert user.full_name == "MARÍA LÓPEZ ÑÚÑEZ" and user.must_change_password
    assert [(r.role, r.unit_clues) for r in user.roles] == [(Role.JEFE_UNIDAD, "MSSSA000120")]
    assert temporary.replace("-", "") not in user.password_hash
    events = [e.action for e in db.session().scalars(
        select(AuditEvent).where(AuditEvent.object_id == "maria.lopez"))]
    assert events == ["staff.created", "staff.role_granted"]


def test_role_scope_is_required_and_checked(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)
    no_unit = client.post("/admin/personal/nuevo", {**NEW, "unit": "", **fresh(admin, clock)},
                          page="/admin/personal/nuevo")
    assert no_unit.status_code == 400 and "unidad" in no_unit.get_data(as_text=True).lower()
    bad_jur = client.post("/admin/personal/nuevo", {**NEW, "role": "enlace", "unit": "",
                                                    "jurisdiction": "IX", **fresh(admin, clock)},
                          page="/admin/personal/nuevo")
    assert bad_jur.status_code == 400
    assert staff.by_username("maria.lopez") is None


def test_roles_added_and_removed_and_session_refreshed(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)
    client.post("/admin/personal/nuevo", {**NEW, **fresh(admin, clock)},
                page="/admin/personal/nuevo")
    user = staff.by_username("maria.lopez")
    grant = client.post(f"/admin/personal/{user.id}/roles",
                        {"role": "enlace", "jurisdiction": "II", **fresh(admin, clock)},
                        page="/admin/personal")
    assert grant.status_code == 302
    duplicate = client.post(f"/admin/personal/{user.id}/roles",
                            {"role": "enlace", "jurisdiction": "II", **fresh(admin, clock)},
                            page="/admin/personal")
    assert duplicate.status_code == 409
    db.session().expire_all()
    roles = {(r.role, r.jurisdiction_code) for r in staff.by_username("maria.lopez").roles}
    assert (Role.ENLACE, "II") in roles
    role_id = next(r.id for r in staff.by_username("maria.lopez").roles if r.role == Role.ENLACE)
    removed = client.post(f"/admin/personal/{user.id}/roles/{role_id}/quitar", {},
                          page="/admin/personal")
    assert removed.status_code == 302
    db.session().expire_all()
    assert all(r.role != Role.ENLACE for r in staff.by_username("maria.lopez").roles)


def test_last_admin_cannot_be_removed(client, login_as) -> None:
    me = login_as(Role.ADMIN)
    user = staff.by_username(me.username)
    role_id = user.roles[0].id
    response = client.post(f"/admin/personal/{user.id}/roles/{role_id}/quitar", {},
                           page="/admin/personal")
    assert response.status_code == 409
    assert "último administrador" in response.get_data(as_text=True)


def test_reset_password_unlock_and_detail_view_are_audited(client, login_as, clock) -> None:
    admin = login_as(Role.ADMIN)
    client.post("/admin/personal/nuevo", {**NEW, **fresh(admin, clock)},
                page="/admin/personal/nuevo")
    user = staff.by_username("maria.lopez")
    detail = client.get(f"/admin/personal/{user.id}")
    assert detail.status_code == 200 and "maria@ssm.test" in detail.get_data(as_text=True)
    reset = client.post(f"/admin/personal/{user.id}/restablecer-contrasena",
                        fresh(admin, clock), page="/admin/personal")
    assert reset.status_code == 200 and 'class="secret"' in reset.get_data(as_text=True)
    assert client.post(f"/admin/personal/{user.id}/desbloquear", {},
                       page="/admin/personal").status_code == 302
    assert client.post(f"/admin/personal/{user.id}/nada", {},
                       page="/admin/personal").status_code == 404
    actions = [e.action for e in db.session().scalars(
        select(AuditEvent).where(AuditEvent.object_id == "maria.lopez").order_by(AuditEvent.seq))]
    assert actions[-3:] == ["staff.viewed", "staff.password_reset", "staff.unlocked"]


def test_unknown_staff_id_is_404(client, login_as) -> None:
    login_as(Role.ADMIN)
    assert client.get("/admin/personal/99999").status_code == 404


def test_cli_creates_staff(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "--username", "luis.it", "--name",
                                 "Luis Pérez", "--email", "luis@ssm.test", "--role",
                                 "informatica", "--role", "enlace:III"])
    assert result.exit_code == 0, result.output
    assert "Contraseña temporal" in result.output
    user = staff.by_username("luis.it")
    assert {(r.role, r.jurisdiction_code) for r in user.roles} == {
        (Role.INFORMATICA, None), (Role.ENLACE, "III")}
    bad = runner.invoke(args=["staff", "create", "--username", "x", "--name", "X",
                              "--email", "x@ssm.test"])
    assert bad.exit_code == 1 and "usuario" in bad.output.lower()
    listing = runner.invoke(args=["staff", "list"])
    assert "luis.it" in listing.output and "enlace:III" in listing.output
