"""The person: one per CURP, owning requests and directory accounts, kept up to date by each
new case, anonymized with their records, and built from existing data by migration 0700."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy import select

from provisioning import audit, db
from provisioning.account_requests import forms, workflow
from provisioning.account_requests import services as requests
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals import services as approvals
from provisioning.audit.models import AuditEvent
from provisioning.crypto import pseudonym
from provisioning.people import services as people
from provisioning.people.models import Person
from tests.support.forms import VALID_FORM, folio_and_code, submit
from tests.support.web import Browser

OTHER_CURP = "HEGG560427MVZRRL04"


def request_of(folio: str) -> AccountRequest:
    return db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))


def events(action: str) -> list[AuditEvent]:
    return list(db.session().scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_request_belongs_to_its_person_and_the_next_one_updates_them(app, client) -> None:
    first = request_of(folio_and_code(submit(client))[0])
    person = db.session().get(Person, first.person_id)
    assert (person.curp, person.full_name, person.unit_clues, person.staff_type_code) == (
        VALID_FORM["curp"], "LUIS ÁNGEL BERNAL MUÑOZ", "MSSSA000120", "medico")
    created = events("person.created")
    assert [e.object_id for e in created] == [str(person.id)]
    # The log keeps the CURP's keyed hash, never the CURP or the names.
    details = json.loads(created[0].details)
    assert details["curp_hmac"] == pseudonym("curp", VALID_FORM["curp"])
    assert VALID_FORM["curp"] not in created[0].details + created[0].summary
    # The request closes; a new one for the same CURP, from another unit and with a fixed
    # surname, is the same person's, and brings them up to date.
    approvals.cancel_by_applicant(first, ip=None)
    db.commit()
    second = request_of(folio_and_code(submit(client, primer_apellido="Beltrán",
                                              unit_clues="MSSSA000611"))[0])
    assert second.person_id == first.person_id
    db.session().refresh(person)
    assert (person.primer_apellido, person.unit_clues) == ("BELTRÁN", "MSSSA000611")
    updated = events("person.updated")
    fields = set(json.loads(updated[0].details)["fields"])
    assert {"primer_apellido", "unit_clues", "unit_id"} <= fields
    assert fields <= {"primer_apellido", "unit_clues", "unit_id", "jurisdiction_code"}
    assert "BELTRÁN" not in updated[0].details
    assert db.session().scalar(select(sa.func.count()).select_from(Person)) == 1
    # The timeline has the person's events and both requests'.
    seen = {(e.action, e.object_id) for e in requests.person_timeline(person)}
    assert {("person.created", str(person.id)), ("request.submitted", first.folio),
            ("request.submitted", second.folio), ("request.cancel", first.folio)} <= seen


def test_a_corrected_curp_moves_the_request_to_its_person(app, client) -> None:
    # The applicant typed someone else's CURP... no: a mistyped one; the unit head returns
    # the request and the correction fixes it. The mistyped CURP must not stay behind.
    folio, _ = folio_and_code(submit(client, curp=OTHER_CURP))
    request = request_of(folio)
    mistyped = request.person_id
    workflow.transition(request, "return", actor=audit.Actor("jefe", "jefe_unidad", None),
                        reason="La CURP no corresponde")
    data = forms.parse({**VALID_FORM}, allow_sex_x=False)
    requests.correct_and_resubmit(request, data, ip=None)
    db.commit()
    person = people.by_curp(VALID_FORM["curp"])
    assert person is not None and request.person_id == person.id != mistyped
    assert db.session().get(Person, mistyped) is None
    assert people.by_curp(OTHER_CURP) is None
    assert [e.object_id for e in events("person.removed")] == [str(mistyped)]


def test_scope_of_a_person(app, client) -> None:
    person = db.session().get(Person, request_of(folio_and_code(submit(client))[0]).person_id)
    assert people.in_scope(person, units=["MSSSA000120"])
    assert not people.in_scope(person, units=["MSSSA000611"])
    assert people.in_scope(person, jurisdictions=[person.jurisdiction_code])
    assert not people.in_scope(person, jurisdictions=["XX"])
    assert people.in_scope(person, service_wide=True)


def test_migration_links_every_existing_request_to_one_person_per_curp(make_app) -> None:
    # A database from before people: two requests of one CURP (the newest names win), one
    # of another CURP with a directory account, and one already anonymized by retention.
    app = make_app()
    url = app.extensions["alta.settings"].database.url
    with app.app_context():
        browser = Browser(app.test_client())
        old = folio_and_code(submit(browser, nombres="Luis"))[0]
        approvals.cancel_by_applicant(request_of(old), ip=None)
        db.commit()  # (SQLite: an open read would lock the next request out)
        new = folio_and_code(submit(browser, nombres="Luis Ángel"))[0]
        other = folio_and_code(submit(browser, curp=OTHER_CURP))[0]
        gone = folio_and_code(submit(browser, curp="SABC560626MDFLRN01",
                                     contact_email="j@example.org"))[0]
        ids = {name: request_of(folio).id for name, folio in
               {"old": old, "new": new, "other": other, "gone": gone}.items()}
        db.rollback()
    app.extensions["alta.db"].engine.dispose()
    db.downgrade(url, "0661")
    engine = db.make_engine(url)
    history = "SELECT COUNT(*) FROM request_events"
    with engine.connect() as connection:
        moves = connection.execute(sa.text(history)).scalar()
    assert moves >= 5
    with engine.begin() as connection:
        connection.execute(sa.text(
            "UPDATE account_requests SET curp = '', nombres = '' WHERE id = :id"),
            {"id": ids["gone"]})
        connection.execute(sa.text(
            "INSERT INTO directory_accounts (request_id, sam_account_name, user_principal_name,"
            " object_guid, dn, origin, created_at) VALUES (:id, 'hegg', 'hegg@ssm', "
            "'00000000-0000-0000-0000-000000000001', 'CN=x', 'created', :now)"),
            {"id": ids["other"], "now": "2026-01-01 00:00:00"})
    db.upgrade(url)
    with engine.connect() as connection:
        owner = dict(connection.execute(sa.text(
            "SELECT id, person_id FROM account_requests")).all())
        people_rows = {row.id: row for row in connection.execute(sa.text(
            "SELECT id, curp, nombres FROM people"))}
        account_owner = connection.execute(sa.text(
            "SELECT person_id FROM directory_accounts WHERE request_id = :id"),
            {"id": ids["other"]}).scalar()
    assert owner[ids["old"]] == owner[ids["new"]] != owner[ids["other"]]
    assert people_rows[owner[ids["new"]]].nombres == "LUIS ÁNGEL"
    assert people_rows[owner[ids["new"]]].curp == VALID_FORM["curp"]
    assert people_rows[owner[ids["other"]]].curp == OTHER_CURP
    # The account and the history survived the rebuilt tables (SQLite batch: no cascade).
    assert account_owner == owner[ids["other"]]
    with engine.connect() as connection:
        assert connection.execute(sa.text(history)).scalar() == moves
    anonymized = people_rows[owner[ids["gone"]]]
    assert anonymized.curp is None and anonymized.nombres == ""
    assert len(people_rows) == 3
    # Down and up again keeps the requests.
    db.downgrade(url, "0661")
    db.upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text(
            "SELECT COUNT(*) FROM account_requests WHERE person_id IS NULL")).scalar() == 0
    engine.dispose()


def test_the_data_export_has_the_person_record(app, client) -> None:
    from provisioning.privacy import services as privacy

    request = request_of(folio_and_code(submit(client))[0])
    sections = {s["titulo"]: s["filas"]
                for s in privacy.personal_data(request)["otras_secciones"]}
    (row,) = sections["Su registro como persona en Alta"]
    assert (row["curp"], row["nombre"], row["unidad_actual"]) == (
        VALID_FORM["curp"], "LUIS ÁNGEL BERNAL MUÑOZ", "MSSSA000120")


def test_anonymizing_a_person_blanks_them_and_keeps_the_row(app, client) -> None:
    request = request_of(folio_and_code(submit(client))[0])
    assert people.anonymize([request.person_id]) == 1
    person = db.session().get(Person, request.person_id, populate_existing=True)
    assert (person.curp, person.nombres, person.primer_apellido) == (None, "", "")
    assert people.export_rows(person) == []
    assert people.by_curp(VALID_FORM["curp"]) is None


def test_the_history_leaves_out_routine_reads_and_keeps_the_newest(app, client,
                                                                   monkeypatch) -> None:
    """A record opened a thousand times listed a thousand «Consulta del expediente» lines
    (and took seconds to draw under load); the reads stay in the audit log."""
    first = request_of(folio_and_code(submit(client))[0])
    person = db.session().get(Person, first.person_id)
    reader = audit.Actor("jefe", "jefe_unidad", None)
    for _ in range(3):
        audit.record("person.viewed", actor=reader, object_type="person",
                     object_id=str(person.id), summary="Consulta")
        audit.record("request.viewed", actor=reader, object_type="request",
                     object_id=first.folio, summary="Consulta")
    db.commit()  # audit events are written at commit
    actions = [e.action for e in requests.person_timeline(person)]
    assert "person.created" in actions and "request.submitted" in actions
    assert "person.viewed" not in actions and "request.viewed" not in actions
    assert len(events("person.viewed")) == 3  # still audited
    monkeypatch.setattr(people, "TIMELINE_LIMIT", 2)
    newest = requests.person_timeline(person)
    assert [e.seq for e in newest] == sorted(e.seq for e in newest)  # oldest first
    assert newest[-1].action == actions[-1] and len(newest) == 2
