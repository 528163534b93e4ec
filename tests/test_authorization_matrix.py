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
APPLICANT = "applicant"  # only with a session verified by folio + tracking code
PERSON = "person"  # only after signing in with the new domain account (pre-registration)
ALL_ROLES = list(Role)
SIGNERS = {Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL}
IT = {Role.INFORMATICA, Role.JEFE_INFORMATICA}
SERVICE_WIDE = {r for r in Role if r.scope is None}
RECORDS = {Role.AUDITOR, Role.JEFE_INFORMATICA}  # the log's readers; admins are not
DELIVERERS = {Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL}  # deliver in person

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
    # The applicant's pages after folio + code (their own session, no staff role).
    "approvals.correct": APPLICANT,
    "approvals.cancel": APPLICANT,
    "documents.tracked_pdf": APPLICANT,
    "documents.verify": PUBLIC,
    "documents.verify_form": PUBLIC,
    "approvals.inbox": SIGNERS,
    "approvals.sign": SIGNERS,
    "approvals.return_request": SIGNERS,
    "approvals.reject": SIGNERS,
    "approvals.detail": STAFF,  # every role, each within its own scope
    "documents.request_pdf": STAFF,
    "dashboard.index": STAFF,
    "oficios.index": {Role.ENLACE, *SERVICE_WIDE},
    "oficios.detail": {Role.ENLACE, *SERVICE_WIDE},
    "documents.oficio_pdf": {Role.ENLACE, *SERVICE_WIDE},
    "oficios.issue": {Role.ENLACE},
    "oficios.cancel": {Role.ENLACE},
    "oficios.it_inbox": IT,
    "oficios.acknowledge": IT,
    "audit.search": RECORDS,
    "audit.history": RECORDS,
    "audit.download": RECORDS,
    "retention.custody": RECORDS,
    "retention.set_hold": {Role.JEFE_INFORMATICA},
    "retention.lift_hold": {Role.JEFE_INFORMATICA},
    "privacy.notice": PUBLIC,
    "privacy.mine": PUBLIC,
    "privacy.leave": PUBLIC,
    "privacy.download": APPLICANT,
    "privacy.rectification": APPLICANT,
    "privacy.cancellation": APPLICANT,
    "privacy.tasks": {Role.JEFE_INFORMATICA},
    "privacy.task": {Role.JEFE_INFORMATICA},
    "api.person_status": PUBLIC,  # bearer token, no session: tests/api checks the token
    "api.openapi_document": PUBLIC,
    "api.clients": {Role.ADMIN},
    "api.revoke": {Role.ADMIN},
    "directory.queue_page": IT,
    "directory.queue_selected": IT,
    "directory.batch_page": IT,
    "directory.request_action": IT,
    "oficios.acknowledge_reply": {Role.ENLACE},
    "oficios.it_accounts": IT,
    "oficios.it_provision": IT,
    "oficios.it_reply_form": IT,
    "oficios.it_reply_sign": {Role.JEFE_INFORMATICA},
    "handoff.inbox": {Role.ENLACE, *DELIVERERS},
    "handoff.release": {Role.ENLACE},
    "handoff.receive": DELIVERERS,
    "handoff.delivery": DELIVERERS,
    "handoff.deliver": DELIVERERS,
    "handoff.reissue": DELIVERERS,
    "handoff.activate": PUBLIC,
    "preregistration.sign_in": PUBLIC,
    "preregistration.sign_out": PUBLIC,
    "preregistration.form": PERSON,
    "preregistration.confirmation": PERSON,
}

SCOPES = {
    Role.JEFE_UNIDAD: {"unit_clues": "MSSSA000120"},
    Role.RESPONSABLE_JURISDICCIONAL: {"jurisdiction_code": "I"},
    Role.ENLACE: {"jurisdiction_code": "I"},
}


def url_args(endpoint: str, objects: dict[str, Any]) -> dict[str, Any]:
    """Values for the route's variables: real objects created for the test."""
    # Ids of objects that do not exist: an allowed role gets 404, a refused one 403, because
    # the role is checked before anything is looked up. Scope on real objects is tested by
    # each domain (tests/approvals, tests/oficios).
    missing = 987654
    return {
        "approvals.detail": {"request_id": missing},
        "approvals.sign": {"request_id": missing},
        "approvals.return_request": {"request_id": missing},
        "approvals.reject": {"request_id": missing},
        "documents.request_pdf": {"request_id": missing},
        "documents.oficio_pdf": {"oficio_id": missing},
        "documents.verify": {"code": "ABCDEFGHJK"},
        "oficios.detail": {"oficio_id": missing},
        "oficios.cancel": {"oficio_id": missing},
        "oficios.acknowledge": {"oficio_id": missing},
        "audit.history": {"object_type": "request", "object_id": "MSSSA000120-2026-00001"},
        "retention.lift_hold": {"hold_id": missing},
        "privacy.download": {"fmt": "json"},
        "privacy.task": {"arco_id": missing},
        "directory.batch_page": {"batch_id": missing},
        "api.person_status": {"curp": "BEML920313HMCLNS09"},
        "api.revoke": {"client_id": missing},
        "directory.request_action": {"request_id": missing, "action": "reintentar"},
        "oficios.acknowledge_reply": {"oficio_id": missing},
        "oficios.it_accounts": {"oficio_id": missing},
        "oficios.it_provision": {"oficio_id": missing},
        "oficios.it_reply_form": {"oficio_id": missing},
        "oficios.it_reply_sign": {"oficio_id": missing},
        "handoff.receive": {"transfer_id": missing},
        "handoff.delivery": {"request_id": missing},
        "handoff.deliver": {"request_id": missing},
        "handoff.reissue": {"request_id": missing},
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
    if policy in (SIGNING_IN, APPLICANT, PERSON):
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
        elif policy in (APPLICANT, PERSON):
            # Staff roles give no access to a person's request: folio + tracking code, or
            # the person's own domain credentials, only.
            assert status == 403, where
        elif policy == SIGNING_IN:
            # Outside a sign-in these pages only send people on: never show or act.
            assert status in (302, 400), where
        elif role is None:
            assert status == 302 and "/acceso" in location, where
        else:
            assert status == 403, where
