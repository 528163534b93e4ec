"""Provisioning never silently takes over a risky existing account, against the real DC.

When the person's CURP is already on an account that is disabled, has adminCount=1 or lives
outside the OUs Alta manages, the job does not link or touch it: the request waits for IT,
whose page shows the account's DN, state and why; an IT user confirms (fresh TOTP) or
rejects it, audited, and after a confirmation the job links it."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from provisioning import audit, db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.directory.connection import Directory
from provisioning.it import services
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.people.accounts import DirectoryAccount
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.curp import person_curp, random_birth
from tests.support.factories import received_request
from tests.support.handoff_flow import values
from tests.support.staff import StaffAccount, create_staff_account, login
from tests.support.web import Browser

IT = audit.Actor("lucia", "informatica", "10.0.0.7")
# (OU of the existing account under the test's OU, enabled, adminCount=1, what IT reads)
CASES = {
    "disabled": ("OU=alta", False, False, "está deshabilitada"),
    "admin": ("OU=alta", True, True, "adminCount=1"),
    "outside_ou": ("OU=otra", True, False, "fuera de las unidades organizativas"),
}
SNAPSHOT = ["*", "uSNChanged", "memberOf", "userAccountControl", "adminCount"]


@pytest.fixture
def group_dn(directory: Directory, test_ou: str) -> str:
    """A group every new (or linked) account joins: linking writes to the directory."""
    ou = directory.absolute(f"OU=grupos,{test_ou}")
    accounts.ensure_ou(directory, ou)
    dn = f"CN=todos-{uuid.uuid4().hex[:6]},{ou}"
    directory.add(dn, ["top", "group"], {"sAMAccountName": f"todos-{uuid.uuid4().hex[:8]}"})
    return dn


@pytest.fixture
def link_app(make_app: Any, directory_config: dict[str, Any], test_ou: str,
             group_dn: str) -> Any:
    """A committing app whose Alta OU is OU=alta under the test's OU (OU=otra is not Alta's)."""
    app = make_app(directory={**directory_config, "users_ou": f"OU=alta,{test_ou}",
                              "groups": [group_dn]})
    with app.app_context():
        yield app


def new_request() -> int:
    """A committed request received by IT, with a CURP of this run only."""
    given, first, second = "Rocío", "Villaseñor", "Arce"
    request = received_request(given, first, second, curp_value=person_curp(
        given, first, second, born=random_birth()))
    db.commit()
    return request.id


def existing_account(dc: Directory, request_id: int, test_ou: str, case: str
                     ) -> accounts.Account:
    """The person's account as IT left it long before Alta: same CURP, another folio."""
    ou, enabled, admin, _ = CASES[case]
    person = dataclasses.replace(values(lambda: services.person_for(request_id)),
                                 folio="MSSSA000120-2019-00007")
    ou_dn = dc.absolute(f"{ou},{test_ou}")
    accounts.ensure_ou(dc, ou_dn)
    made = accounts.create(dc, person, f"prev{secrets.token_hex(4)}", ou_dn)
    if enabled:
        made = accounts.set_enabled(dc, made.guid, True)
    if admin:
        dc.modify(made.dn, {"adminCount": [("replace", [1])]})
    return made


def snapshot(dc: Directory, guid: str) -> dict[str, list[bytes]]:
    """Every attribute of the account as the DC has it now (uSNChanged moves on any write)."""
    entry = dc.read(f"<GUID={guid}>", SNAPSHOT)
    assert entry is not None
    return {key.lower(): sorted(values) for key, values in entry.raw.items()}


def job_of(request_id: int) -> Job:
    return values(lambda: db.session().scalar(select(Job).where(
        Job.key == services.job_key(request_id))))


def account_row(request_id: int) -> DirectoryAccount | None:
    return values(lambda: db.session().scalar(select(DirectoryAccount).where(
        DirectoryAccount.request_id == request_id)))


def reviews(request_id: int) -> list[Any]:
    from provisioning.it.models import LinkReview

    return values(lambda: list(db.session().scalars(select(LinkReview).where(
        LinkReview.request_id == request_id).order_by(LinkReview.id))))


def audit_actions(request_id: int) -> list[str]:
    def read() -> list[str]:
        folio = db.session().get(AccountRequest, request_id).folio
        return list(db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == folio).order_by(AuditEvent.seq)))
    return values(read)


def it_user(app: Flask, clock: Any, name: str = "lucia") -> tuple[Browser, StaffAccount]:
    account = create_staff_account(name, staff.Grant(Role.INFORMATICA))
    browser = Browser(app.test_client())
    login(browser, account, clock)
    return browser, account


def provision(request_id: int) -> None:
    services.queue_provisioning([request_id], actor=IT)
    db.commit()
    jobs.run_pending()


@pytest.mark.parametrize("case", list(CASES))
def test_risky_account_is_untouched_until_it_confirms(case, link_app, test_ou, group_dn,
                                                      clock) -> None:
    request_id = new_request()
    dc = connection.current()
    existing = existing_account(dc, request_id, test_ou, case)
    before = snapshot(dc, existing.guid)
    provision(request_id)

    # Nothing linked, nothing written on the DC, the request still with IT.
    assert values(lambda: db.session().get(AccountRequest, request_id).status) == \
        "recibida_informatica"
    assert account_row(request_id) is None
    assert snapshot(dc, existing.guid) == before
    assert len(accounts.find_by_curp(dc, existing.curp)) == 1  # no second account either
    assert job_of(request_id).status == "waiting"
    (review,) = reviews(request_id)
    assert (review.status, review.object_guid, review.reasons) == ("pending", existing.guid,
                                                                  case)
    assert review.sam_account_name == existing.sam_account_name
    assert "directory.link_held" in audit_actions(request_id)

    # IT's pages say so, with the account's DN, state and why.
    browser, it = it_user(link_app, clock)
    queue = browser.get("/informatica/cuentas").get_data(as_text=True)
    assert "Espera confirmación de Informática" in queue
    assert f"/informatica/solicitudes/{request_id}/vinculo" in queue
    page = browser.get(f"/informatica/solicitudes/{request_id}/vinculo")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert existing.sam_account_name in html and CASES[case][3] in html
    assert existing.dn in html
    assert ("Deshabilitada" if case == "disabled" else "Habilitada") in html
    assert "request.viewed" in audit_actions(request_id)

    # Confirming needs a fresh TOTP code; a wrong or missing one changes nothing.
    path = f"/informatica/solicitudes/{request_id}/vinculo/confirmar"
    assert browser.post(path, {"code": ""}, page="/informatica/cuentas").status_code == 401
    assert browser.post(path, {"code": "000000"}, page="/informatica/cuentas").status_code == 401
    assert [r.status for r in reviews(request_id)] == ["pending"]
    clock.advance(seconds=30)
    done = browser.post(path, {"code": it.code()}, page="/informatica/cuentas")
    assert done.status_code == 302, done.get_data(as_text=True)
    (review,) = reviews(request_id)
    assert (review.status, review.decided_by_name) == ("confirmed", "PERSONA LUCIA")
    assert job_of(request_id).status == "queued"
    assert snapshot(dc, existing.guid) == before  # the decision itself writes nothing
    # The worker goes on: linked, as IT confirmed it.
    jobs.run_pending()
    row = account_row(request_id)
    assert row is not None and (row.object_guid, row.origin) == (existing.guid, "linked")
    assert values(lambda: db.session().get(AccountRequest, request_id).status) == \
        "cuenta_creada"
    after = accounts.get(dc, existing.guid)
    assert group_dn.lower() in {g.lower() for g in after.groups}
    assert after.enabled == (case != "disabled")  # enabled only when the person activates
    actions = audit_actions(request_id)
    assert actions.index("directory.link_held") < actions.index("directory.link_confirmed") \
        < actions.index("directory.account_linked")
    # Confirming twice is a clear conflict.
    clock.advance(seconds=30)
    again = browser.post(path, {"code": it.code()}, page="/informatica/cuentas")
    assert again.status_code == 409


def test_rejected_link_stops_the_job_and_a_retry_asks_again(link_app, test_ou,
                                                            clock) -> None:
    request_id = new_request()
    dc = connection.current()
    existing = existing_account(dc, request_id, test_ou, "disabled")
    before = snapshot(dc, existing.guid)
    provision(request_id)
    browser, _ = it_user(link_app, clock)
    path = f"/informatica/solicitudes/{request_id}/vinculo/rechazar"
    empty = browser.post(path, {"reason": ""}, page="/informatica/cuentas")
    assert empty.status_code == 400 and "Este dato es obligatorio" in empty.get_data(as_text=True)
    assert browser.post(path, {"reason": "Es la cuenta de otra persona; se revisa en sitio"},
                        page="/informatica/cuentas").status_code == 302
    (review,) = reviews(request_id)
    assert review.status == "rejected" and "otra persona" in review.decision_reason
    assert job_of(request_id).status == "cancelled"
    assert account_row(request_id) is None and snapshot(dc, existing.guid) == before
    assert "directory.link_rejected" in audit_actions(request_id)
    page = browser.get("/informatica/cuentas").get_data(as_text=True)
    assert "Vínculo rechazado" in page
    # Sending it again finds the same account and asks again (never links on its own).
    assert browser.post(f"/informatica/solicitudes/{request_id}/reintentar", {},
                        page="/informatica/cuentas").status_code == 302
    jobs.run_pending()
    assert [r.status for r in reviews(request_id)] == ["rejected", "pending"]
    assert account_row(request_id) is None and snapshot(dc, existing.guid) == before


def test_a_confirmation_covers_only_what_it_saw(link_app, test_ou, clock) -> None:
    request_id = new_request()
    dc = connection.current()
    existing = existing_account(dc, request_id, test_ou, "disabled")
    provision(request_id)
    browser, it = it_user(link_app, clock)
    clock.advance(seconds=30)
    assert browser.post(f"/informatica/solicitudes/{request_id}/vinculo/confirmar",
                        {"code": it.code()}, page="/informatica/cuentas").status_code == 302
    # Before the worker runs, someone makes the account privileged.
    dc.modify(existing.dn, {"adminCount": [("replace", [1])]})
    before = snapshot(dc, existing.guid)
    jobs.run_pending()
    assert account_row(request_id) is None and snapshot(dc, existing.guid) == before
    assert [(r.status, r.reasons) for r in reviews(request_id)] == [
        ("confirmed", "disabled"), ("pending", "admin,disabled")]
    assert job_of(request_id).status == "waiting"


def test_an_enabled_account_in_alta_ou_is_still_linked_without_asking(link_app, test_ou,
                                                                      group_dn,
                                                                      clock) -> None:
    request_id = new_request()
    dc = connection.current()
    existing = existing_account(dc, request_id, test_ou, "disabled")
    accounts.set_enabled(dc, existing.guid, True)
    provision(request_id)
    row = account_row(request_id)
    assert row is not None and (row.object_guid, row.origin) == (existing.guid, "linked")
    assert reviews(request_id) == []
    assert group_dn.lower() in {g.lower() for g in accounts.get(dc, existing.guid).groups}


def test_an_account_that_changes_while_waiting_is_asked_about_again(link_app, test_ou,
                                                                    clock) -> None:
    request_id = new_request()
    dc = connection.current()
    existing = existing_account(dc, request_id, test_ou, "outside_ou")
    provision(request_id)
    job = job_of(request_id)
    # The same account, unchanged: running the job again keeps the one pending review.
    services.retry(values(lambda: db.session().get(AccountRequest, request_id)), actor=IT)
    db.commit()
    jobs.run_pending()
    assert [(r.status, r.reasons) for r in reviews(request_id)] == [("pending", "outside_ou")]
    # Someone disables it meanwhile: IT is asked about what the DC shows now.
    accounts.set_enabled(dc, existing.guid, False)
    services.retry(values(lambda: db.session().get(AccountRequest, request_id)), actor=IT)
    db.commit()
    jobs.run_pending()
    assert [(r.status, r.reasons) for r in reviews(request_id)] == [
        ("superseded", "outside_ou"), ("pending", "disabled,outside_ou")]
    assert job_of(request_id).id == job.id and job_of(request_id).status == "waiting"
    assert account_row(request_id) is None
