"""Helpers for tests that walk a request through the approval chain with several people."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.curp import hypothetical_curp
from tests.support.forms import folio_and_code
from tests.support.staff import StaffAccount, create_staff_account, login
from tests.support.web import Browser

HOSPITAL = {"unit_clues": "MSSSA001270", "subdireccion_code": "SH"}  # JS I
CENTRO_I = {"unit_clues": "MSSSA000120"}  # centro de salud, JS I
CENTRO_I_OTHER = {"unit_clues": "MSSSA000342"}
CENTRO_II = {"unit_clues": "MSSSA000611"}  # centro de salud, JS II
NO_ECE = {"expediente_electronico": "no"}

_CURPS = iter(["BOXW310820HNERXN09", "HEGG560427MVZRRL04", "BEML920313HMCLNS09",
               "PEGL890909MJCRMS08", "SABC560626MDFLRN01"])


def person(browser: Any, app: Any, username: str, role: Role, clock: Any = None,
           **scope: str) -> tuple[Browser, StaffAccount]:
    """A new signed-in browser for a new staff member holding ``role`` over ``scope``."""
    account = create_staff_account(username, staff.Grant(role, **scope))
    other = Browser(app.test_client())
    login(other, account, clock)
    return other, account


def new_request(client: Browser, **changes: Any) -> tuple[AccountRequest, str, str]:
    """Submit the public form; returns the stored request, its folio and tracking code."""
    from tests.support.forms import submit

    response = submit(client, **changes)
    assert response.status_code == 200, response.get_data(as_text=True)
    folio, code = folio_and_code(response)
    return fetch(folio), folio, code


def fetch(folio: str) -> AccountRequest:
    """The request as stored now (after HTTP requests changed it)."""
    db.session().expire_all()
    return db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))


def sign(browser: Browser, account: StaffAccount, request_id: int, clock: Any,
         code: str | None = None) -> Any:
    """POST the signature with a fresh TOTP code (the clock moves to a new 30-s step)."""
    clock.advance(seconds=30)
    return browser.post(f"/solicitudes/{request_id}/firmar", {"code": code or account.code()},
                        page="/panel")


def decide(browser: Browser, request_id: int, action: str, reason: str) -> Any:
    """POST devolver / rechazar with a reason."""
    return browser.post(f"/solicitudes/{request_id}/{action}", {"reason": reason}, page="/panel")


def make_ready(client: Browser, n: int, **unit: str) -> AccountRequest:
    """A request with every signature done (moved directly: the chain is tested elsewhere)."""
    from provisioning import audit
    from provisioning.account_requests import workflow

    request, _, _ = new_request(client, curp=hypothetical_curp(n), **unit)
    workflow.transition(request, "sign_unit_head", actor=audit.Actor("prueba", "jefe_unidad"),
                        to=workflow.RequestStatus.LISTA_PARA_OFICIO)
    db.commit()
    return request


def issue(browser: Browser, account: StaffAccount, clock: Any, ids: list[int],
          code: str | None = None, **extra: Any) -> Any:
    """POST a new oficio with these requests and a fresh TOTP code."""
    if clock is not None:
        clock.advance(seconds=30)
    form = {"request_id": [str(i) for i in ids], "code": code or account.code(),
            "subject": "Solicitudes de alta de usuarios de SIEMPRE", **extra}
    return browser.post("/oficios", form, page="/panel")
