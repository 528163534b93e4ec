"""/preregistro is no password oracle: only a pending pre-registration may sign in, wrong
passwords back off per user name (counted in the database, before any bind), and a name
that may not sign in gets the answer a wrong password gets, after a bind of a DN that does
not exist (so it costs the same). Binds are counted on the real test DC through the
adapter's observers."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.jobs import services as jobs
from provisioning.people.accounts import DirectoryAccount
from tests.support.handoff_flow import Applicant, Scene, user_name, values
from tests.support.preregistration import (
    PASSWORD,
    good_form,
    ready_to_preregister,
    sign_in,
)
from tests.support.web import Browser

REFUSED = "Usuario o contraseña incorrectos, o la cuenta todavía no está activada"
WAIT = "Demasiados intentos fallidos con este usuario"
MAX_FAILURES = 3  # the default of [handoff].preregistration_max_failures


@pytest.fixture
def binds(dir_app) -> list[str]:
    """Every DN Alta binds to check a person's password, in order (never the password)."""
    seen: list[str] = []
    connection.current().bind_observers.append(seen.append)
    return seen


def account_dn(person: Applicant) -> str:
    """The person's DN as the DC gives it now."""
    guid = values(lambda: db.session().scalar(select(DirectoryAccount.object_guid).where(
        DirectoryAccount.request_id == person.request_id)))
    return accounts.get(connection.current(), guid).dn


def answer(response, typed: str) -> tuple[int, str]:
    """Status and page, with what differs by construction (the typed name echoed back in
    the form and its link to /activar, the CSRF token) taken out."""
    page = response.get_data(as_text=True)
    assert str(escape(typed)) in page  # the name is echoed; nothing else may differ
    page = re.sub(r'name="usuario" value="[^"]*"', "", page)
    page = re.sub(r'usuario=[^"]*"', "", page)
    return response.status_code, re.sub(r'name="csrf_token" value="[^"]+"', "", page)


def alert(response) -> str:
    return " ".join(re.findall(r'role="alert">([^<]+)<', response.get_data(as_text=True)))


def audit_actions(folio: str) -> list[str]:
    return values(lambda: list(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == folio).order_by(AuditEvent.seq))))


def test_wrong_passwords_back_off_and_stop_binding(dir_app, clock, binds) -> None:
    person = ready_to_preregister(Scene(dir_app, clock).cast())
    user, dn = user_name(person.request_id), account_dn(person)
    attacker = Browser(dir_app.test_client())
    for n in range(1, MAX_FAILURES):
        response = sign_in(attacker, user, f"Adivina-{n}-2026")
        assert response.status_code == 401 and REFUSED in alert(response)
    # The last allowed failure starts the wait (1 minute), and says so.
    response = sign_in(attacker, user, "Adivina-3-2026")
    assert response.status_code == 429 and WAIT in alert(response)
    assert binds == [dn] * MAX_FAILURES
    # While it lasts nothing reaches the DC, not even the right password (from anywhere).
    for browser in (attacker, Browser(dir_app.test_client())):
        for password in ("Adivina-4-2026", PASSWORD):
            response = sign_in(browser, user, password)
            assert response.status_code == 429 and WAIT in alert(response)
    assert len(binds) == MAX_FAILURES
    # Each further failure doubles the wait: 1, 2, 4 minutes.
    clock.advance(minutes=1, seconds=1)
    assert sign_in(attacker, user, "Adivina-5-2026").status_code == 429
    assert len(binds) == MAX_FAILURES + 1
    clock.advance(minutes=1, seconds=30)
    assert sign_in(attacker, user, PASSWORD).status_code == 429  # 2 minutes not over yet
    assert len(binds) == MAX_FAILURES + 1
    clock.advance(seconds=31)
    assert sign_in(attacker, user, "Adivina-6-2026").status_code == 429
    clock.advance(minutes=3, seconds=59)
    assert sign_in(attacker, user, PASSWORD).status_code == 429
    assert len(binds) == MAX_FAILURES + 2
    # The person, once the wait is over, signs in; that clears the count.
    clock.advance(seconds=2)
    response = sign_in(Browser(dir_app.test_client()), user)
    assert response.status_code == 302 and response.headers["Location"] == "/preregistro/datos"
    assert len(binds) == MAX_FAILURES + 3
    again = Browser(dir_app.test_client())
    assert [sign_in(again, user, f"Otra-{n}-2026").status_code
            for n in range(MAX_FAILURES)] == [401] * (MAX_FAILURES - 1) + [429]
    actions = audit_actions(person.folio)
    assert actions.count("preregistration.sign_in_refused") == 2 * MAX_FAILURES + 2
    assert actions.count("preregistration.sign_in_throttled") == 6
    assert actions.count("preregistration.sign_in_backoff") == 4
    assert "preregistration.signed_in" in actions


def test_a_finished_preregistration_no_longer_signs_in(dir_app, clock, binds) -> None:
    person = ready_to_preregister(Scene(dir_app, clock).cast())
    user, dn = user_name(person.request_id), account_dn(person)
    browser = Browser(dir_app.test_client())
    assert sign_in(browser, user).status_code == 302
    assert browser.post("/preregistro/datos", good_form(person),
                        page="/preregistro/datos").status_code == 302
    assert binds == [dn]
    # Done (the SIEMPRE access still on its way, then active): the right password is
    # refused like a wrong one, and the account itself is never bound again.
    for run_jobs in (False, True):
        if run_jobs:
            jobs.run_pending()
        binds.clear()
        response = sign_in(Browser(dir_app.test_client()), user)
        assert response.status_code == 401 and REFUSED in alert(response)
        assert len(binds) == 1 and binds[0] != dn
        assert connection.current().read(binds[0], ["objectGUID"]) is None  # no such entry
    # The session that did it may still read its confirmation.
    assert browser.get("/preregistro/confirmacion").status_code == 200


def test_names_that_may_not_sign_in_answer_like_a_wrong_password(dir_app, clock,
                                                                 binds) -> None:
    scene = Scene(dir_app, clock).cast()
    waiting = scene.applicant("Quetzalli", "Ramos", "Ortiz", ece=False)
    scene.to_holders([waiting])  # its account exists on the DC, not activated yet
    person = ready_to_preregister(scene)
    user, dn = user_name(person.request_id), account_dn(person)
    cases = {
        "wrong password": (user, "Adivina-1-2026"),
        "no such name": ("nadie.aqui", PASSWORD),
        "not activated yet": (user_name(waiting.request_id), PASSWORD),
        "not even a name": ("<b>x</b>@@", PASSWORD),
    }
    answers, bound = {}, {}
    for case, (typed, password) in cases.items():
        binds.clear()
        answers[case] = answer(sign_in(Browser(dir_app.test_client()), typed, password),
                               typed)
        bound[case] = list(binds)
    first = answers["wrong password"]
    assert first[0] == 401 and REFUSED in first[1]
    assert all(a == first for a in answers.values()), {
        case: a for case, a in answers.items() if a != first}
    # One bind each: the account's own DN only for the account that may sign in; a DN
    # that does not exist for every other name.
    assert bound["wrong password"] == [dn]
    for case in ("no such name", "not activated yet", "not even a name"):
        (other,) = bound[case]
        assert other != dn and connection.current().read(other, ["objectGUID"]) is None
    # Unknown names back off like known ones, with the same answer: the wait tells nothing.
    walls = {}
    for typed in (user, "nadie.aqui"):
        browser = Browser(dir_app.test_client())
        for _ in range(MAX_FAILURES - 1):
            sign_in(browser, typed, "Adivina-9-2026")
        walls[typed] = answer(sign_in(browser, typed, "Adivina-9-2026"), typed)
    assert walls[user] == walls["nadie.aqui"] and walls[user][0] == 429
    # The name is matched however it is written (it is the same account).
    binds.clear()
    response = sign_in(Browser(dir_app.test_client()), f"SSM\\{user.upper()}")
    assert response.status_code == 429 and binds == []


def test_a_directory_outage_does_not_count_against_the_person(make_app, dc, clock) -> None:
    # The DC does not answer (nothing listens there): any name gets «try again later», and
    # the attempts are given back: Alta's outage does not make the person wait.
    app = make_app(directory={**dc, "url": "ldaps://127.0.0.1:1"})
    with app.app_context():
        browser = Browser(app.test_client())
        for _ in range(MAX_FAILURES + 2):
            response = sign_in(browser, "nadie.aqui", "Adivina-1-2026")
            assert response.status_code == 503
            assert "no podemos comunicarnos con el directorio" in alert(response)
        audited = values(lambda: list(db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("preregistration.%")))))
        assert audited == []  # nothing was refused: nothing was checked
