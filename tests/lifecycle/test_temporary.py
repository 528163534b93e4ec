"""Temporary staff: the request form asks residentes, internos, pasantes and eventuales for
the last day of their access (with a maximum length), the account carries it in
accountExpires on the real DC, the unit head and the person are told 15 and 3 business
days before, a prórroga signed by the unit head moves it, and once the day has passed the
baja runs by itself."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from provisioning import db, timeutil, workdays
from provisioning.account_requests.models import AccountRequest
from provisioning.directory import accounts, connection
from provisioning.directory.errors import BindRefused
from provisioning.jobs import services as jobs
from provisioning.lifecycle.models import EndNotice, Extension
from provisioning.people import rules as people_rules
from provisioning.people.models import Person
from tests.support.curp import person_curp
from tests.support.forms import VALID_FORM, submit
from tests.support.handoff_flow import Scene, ad_account, status_of, values
from tests.support.lifecycle import PASSWORD, actions, bajas_of, mails, person_id

ERRORS = re.compile(r'class="err" role="alert">([^<]+)<')


def _count(model: type) -> int:
    return values(lambda: db.session().scalar(select(func.count()).select_from(model)))


def _after_business_days(start: date, n: int) -> date:
    """The day that is ``n`` business days after ``start``."""
    day = start
    while workdays.business_days_between(start, day) < n:
        day += timedelta(days=1)
    return day


def _to_business_days_before(clock, end: date, n: int) -> None:
    """Move the clock forward to the first day with ``n`` business days left to ``end``."""
    while workdays.business_days_between(timeutil.local_today(), end) > n:
        clock.advance(days=1)


def _sweep() -> None:
    """What the worker does every few hours: the periodic task, then the jobs it queued."""
    jobs.enqueue_due_periodic()
    jobs.run_pending()


# ---------------------------------------------------------------------------------------------
# The request form


def test_temporary_staff_must_give_an_end_date_within_the_rule(client) -> None:
    requests_before, people_before = _count(AccountRequest), _count(Person)
    today = timeutil.local_today()
    cases = [
        ({"staff_type_code": "residente"}, "fecha de término"),
        ({"staff_type_code": "pasante", "fecha_termino": "31/02/2027"}, "dd/mm/aaaa"),
        ({"staff_type_code": "interno",
          "fecha_termino": timeutil.format_date(today)}, "posterior a hoy"),
        ({"staff_type_code": "eventual",
          "fecha_termino": timeutil.format_date(today + timedelta(days=200))}, "6 meses"),
        ({"staff_type_code": "residente",
          "fecha_termino": timeutil.format_date(today + timedelta(days=400))}, "12 meses"),
    ]
    for changes, expected in cases:
        response = submit(client, **changes)
        assert response.status_code == 400, changes
        shown = ERRORS.findall(response.get_data(as_text=True))
        assert any(expected in message for message in shown), (changes, shown)
    assert (_count(AccountRequest), _count(Person)) == (requests_before, people_before)


def test_the_end_date_is_kept_on_the_request_and_the_person(client) -> None:
    end = timeutil.local_today() + timedelta(days=300)
    resident = person_curp("Ana", "González", "López", born=date(1995, 1, 1), sex="M")
    response = submit(client, staff_type_code="residente", curp=resident, nombres="Ana",
                      primer_apellido="González", segundo_apellido="López",
                      fecha_termino=timeutil.format_date(end))
    assert response.status_code == 200, ERRORS.findall(response.get_data(as_text=True))
    request = values(lambda: db.session().scalar(
        select(AccountRequest).where(AccountRequest.curp == resident)))
    assert request.end_date == end
    person = values(lambda: db.session().get(Person, request.person_id))
    assert person.end_date == end
    # a médico gives none and is not asked for one
    assert submit(client).status_code == 200
    assert values(lambda: db.session().scalar(select(AccountRequest.end_date).where(
        AccountRequest.curp == VALID_FORM["curp"]))) is None


# ---------------------------------------------------------------------------------------------
# On the real DC


def _temporary_person(siempre_app, clock, end: date):
    """A resident whose account is made, activated and in SIEMPRE's group. The clock starts
    at the DC's own time, so the DC judges accountExpires against the same day."""
    clock.now = datetime.now(UTC).replace(microsecond=0)
    app, _ = siempre_app
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Sofía", "Ortega", "Luna", ece=False, staff_type="residente",
                                fecha_termino=timeutil.format_date(end))
    scene.create_accounts(scene.received_oficio([applicant.request_id]))
    directory = connection.current()
    guid = ad_account(applicant.request_id).guid
    accounts.set_password(directory, guid, PASSWORD)
    accounts.grant_siempre_access(directory, guid)
    return scene, applicant, person_id(applicant.request_id)


def _notices(pid: int) -> list[tuple[date, int]]:
    return values(lambda: [(n.end_date, n.stage) for n in db.session().scalars(
        select(EndNotice).where(EndNotice.person_id == pid).order_by(EndNotice.id))])


def test_the_account_expires_is_told_is_extended_and_ends_by_itself(siempre_app,
                                                                     clock) -> None:
    clock.now = datetime.now(UTC)
    end = _after_business_days(timeutil.local_today(), 20)
    scene, applicant, pid = _temporary_person(siempre_app, clock, end)
    account = ad_account(applicant.request_id)
    assert account.enabled and account.expires_at == people_rules.expires_at(end)
    assert account.expires_at == timeutil.start_of_day(end + timedelta(days=1))

    _sweep()  # 20 business days left: nobody is told yet
    assert _notices(pid) == [] and mails("fin_de_acceso") == []

    _to_business_days_before(clock, end, 15)
    _sweep()
    _sweep()  # again: the same notice is not sent twice
    assert _notices(pid) == [(end, 15)]
    contact = values(lambda: db.session().get(AccountRequest, applicant.request_id)
                     .contact_email)
    assert mails("fin_de_acceso") == sorted(["jefe.centro@ssm.test", contact])

    _to_business_days_before(clock, end, 3)
    _sweep()
    assert _notices(pid) == [(end, 15), (end, 3)]
    assert len(mails("fin_de_acceso")) == 4

    # The unit head signs a prórroga; a wrong date is a Spanish 400 that writes nothing.
    scene.sign_in_again("jefe.centro")
    response = scene.post("jefe.centro", f"/personas/{pid}/prorroga",
                          {"nueva_fecha": timeutil.format_date(end - timedelta(days=1))},
                          step_up=True)
    assert response.status_code == 400
    assert any("posterior al último día vigente" in m
               for m in ERRORS.findall(response.get_data(as_text=True)))
    response = scene.post("jefe.centro", f"/personas/{pid}/prorroga",
                          {"nueva_fecha": timeutil.format_date(end + timedelta(days=60))})
    assert response.status_code == 401  # no TOTP code, no signature
    assert _count(Extension) == 0
    # the head of another unit cannot even see the person
    scene.sign_in_again("jefe.hospital")
    other = scene.post("jefe.hospital", f"/personas/{pid}/prorroga",
                       {"nueva_fecha": timeutil.format_date(end + timedelta(days=60))},
                       step_up=True)
    assert other.status_code in (403, 404) and _count(Extension) == 0

    new_end = end + timedelta(days=60)
    response = scene.post("jefe.centro", f"/personas/{pid}/prorroga",
                          {"nueva_fecha": timeutil.format_date(new_end),
                           "detalle": "Segundo año de residencia"}, step_up=True)
    assert response.status_code == 302, ERRORS.findall(response.get_data(as_text=True))
    [extension] = values(lambda: list(db.session().scalars(select(Extension))))
    assert extension.folio.startswith("PRORROGA-") and extension.old_end_date == end
    assert values(lambda: db.session().get(Person, pid).end_date) == new_end
    assert ad_account(applicant.request_id).expires_at == people_rules.expires_at(end)
    jobs.run_pending()
    assert ad_account(applicant.request_id).expires_at == people_rules.expires_at(new_end)
    assert actions(extension.folio, "prorroga") == ["extension.signed", "directory.expiry_set"]
    page = scene.people["jefe.centro"][0].get(f"/personas/{pid}").get_data(as_text=True)
    assert extension.folio in page and timeutil.format_date(new_end) in page

    # Past the old end date nothing happens; the notices start again for the new one.
    clock.advance(days=(end - timeutil.local_today()).days + 2)
    _sweep()
    assert bajas_of(pid) == [] and ad_account(applicant.request_id).enabled
    _to_business_days_before(clock, new_end, 3)
    _sweep()
    assert sorted(_notices(pid)[2:]) == [(new_end, 3), (new_end, 15)]
    assert len(mails("fin_de_acceso")) == 6  # one notice for both stages, to the two

    # The day after the last one, the sweep starts the baja and it runs.
    clock.advance(days=(new_end - timeutil.local_today()).days + 1)
    _sweep()
    [baja] = bajas_of(pid)
    assert baja.reason_code == "termino_contrato" and baja.started_by == "sistema"
    assert baja.status == "ejecutada" and baja.effective_date == new_end + timedelta(days=1)
    after = ad_account(applicant.request_id)
    assert not after.enabled and after.groups == () and after.guid == account.guid
    assert after.expires_at == people_rules.expires_at(new_end)
    assert status_of(applicant.request_id) == "cancelada"  # its hand-off never happened
    _sweep()
    assert len(bajas_of(pid)) == 1


def test_an_expired_account_cannot_sign_in(siempre_app, clock) -> None:
    clock.now = datetime.now(UTC)
    end = timeutil.local_today() + timedelta(days=30)
    _, applicant, _ = _temporary_person(siempre_app, clock, end)
    account = ad_account(applicant.request_id)
    directory = connection.current()
    directory.check_credentials(account.dn, PASSWORD)  # before: it works
    accounts.set_expiry(directory, account.guid, timeutil.now() - timedelta(hours=1))
    with pytest.raises(BindRefused) as refused:
        directory.check_credentials(account.dn, PASSWORD)
    assert refused.value.reason == "expired"
