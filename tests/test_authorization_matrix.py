"""Authorization matrix built from the application's route table: every route, called as
anonymous and as every role, is allowed or refused exactly as the policy below says.

A new route without a line here fails ``test_every_route_has_a_policy``, so nobody adds a
page without deciding who may use it. Object scope (a unit head on another unit's request)
is checked by each domain's tests and by the scoped cases at the end.
"""

from __future__ import annotations

from typing import Any

import pytest

from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.conftest import Browser, create_staff_account, login

PUBLIC = "public"  # anyone, signed in or not
SIGNING_IN = "signing-in"  # only mid sign-in (redirects everyone else)
STAFF = "staff"  # any signed-in staff member
ALL_ROLES = list(Role)

# endpoint → who may use it (PUBLIC, SIGNING_IN, STAFF or a set of roles)
POLICY: dict[str, Any] = {
    "public.index": PUBLIC,
    "public.request_form": PUBLIC,
    "public.tracking": PUBLIC,
    "health.healthz": PUBLIC,
    "staff.login": PUBLIC,
    "staff.continue_login": PUBLIC,
    "staff.second_factor": SIGNING_IN,
    "staff.enrol": SIGNING_IN,
    "staff.after_enrolment": SIGNING_IN,
    "staff.change_password": STAFF,  # also during a forced change at sign-in
    "staff.logout": PUBLIC,
    "staff.home": STAFF,
    "staff.account": STAFF,
    "staff.renew_recovery_codes": STAFF,
    "staff.staff_list": {Role.ADMIN},
    "staff.staff_new": {Role.ADMIN},
    "staff.staff_detail": {Role.ADMIN},
    "staff.staff_grant": {Role.ADMIN},
    "staff.staff_revoke": {Role.ADMIN},
    "staff.staff_action": {Role.ADMIN},
}

SCOPES = {
    Role.JEFE_UNIDAD: {"unit_clues": "MSSSA000120"},
    Role.RESPONSABLE_JURISDICCIONAL: {"jurisdiction_code": "I"},
    Role.ENLACE: {"jurisdiction_code": "I"},
}


def url_args(endpoint: str, objects: dict[str, Any]) -> dict[str, Any]:
    """Values for the route's variables: real objects created for the test."""
    return {
        "staff.staff_detail": {"staff_id": objects["staff_id"]},
        "staff.staff_grant": {"staff_id": objects["staff_id"]},
        "staff.staff_revoke": {"staff_id": objects["staff_id"], "role_id": objects["role_id"]},
        "staff.staff_action": {"staff_id": objects["staff_id"], "action": "desbloquear"},
    }.get(endpoint, {})


def test_every_route_has_a_policy(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - set(POLICY) == set(), "routes without an authorization policy"
    assert set(POLICY) - endpoints == set(), "policy lines for routes that no longer exist"


def _routes(app) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return out


def _call(browser: Browser, app, endpoint: str, method: str, objects: dict[str, Any],
          token_page: str) -> Any:
    from flask import url_for

    with app.test_request_context():
        path = url_for(endpoint, **url_args(endpoint, objects))
    if method == "GET":
        return browser.get(path)
    return browser.post(path, {}, page=token_page)


def _allowed(policy: Any, role: Role | None) -> bool:
    if policy == PUBLIC:
        return True
    if policy in (STAFF,):
        return role is not None
    if policy == SIGNING_IN:
        return False
    return role in policy


@pytest.mark.parametrize("role", [None, *ALL_ROLES], ids=lambda r: r.value if r else "anonimo")
def test_matrix(app, clock, role: Role | None) -> None:
    target = create_staff_account("objetivo", staff.Grant(Role.AUDITOR))
    objects = {"staff_id": target.id,
               "role_id": staff.get(target.id).roles[0].id}
    browser = Browser(app.test_client())
    if role is not None:
        grant = staff.Grant(role, **SCOPES.get(role, {}))
        account = create_staff_account(f"rol.{role.value}", grant)
        login(browser, account, clock)
    for endpoint, method, rule in _routes(app):
        policy = POLICY[endpoint]
        if endpoint == "staff.logout":
            continue  # would end the session the rest of the loop needs
        response = _call(browser, app, endpoint, method, objects,
                         "/cuenta" if role else "/acceso")
        status, location = response.status_code, response.headers.get("Location", "")
        where = f"{method} {rule} as {role.value if role else 'anonimo'}"
        assert status < 500, where
        if _allowed(policy, role):
            # 401 here is a failed sign-in (empty form), not a refusal of the page.
            assert status != 403, where
            assert "/acceso" not in location or endpoint.startswith("staff."), where
        elif policy == SIGNING_IN:
            # Outside a sign-in these pages only send people on: never show or act.
            assert status in (302, 400), where
        elif role is None:
            assert status == 302 and "/acceso" in location, where
        else:
            assert status == 403, where
