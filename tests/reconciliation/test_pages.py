"""IT's directory pages without the DC: rows written straight to the database. Who may see
them, the decisions and the bulk confirm, the orphans report and its CSV, the person's
record and the dashboard; the name scoring."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from provisioning import db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.jobs.models import Job
from provisioning.people.models import Person
from provisioning.reconciliation import services, tasks
from provisioning.reconciliation.models import LINKED, PROPOSED, SERVICE, ImportedAccount
from provisioning.staff.models import Role
from tests.support.reconciliation import imported_account, person

PAGES = ("/informatica/directorio", "/informatica/directorio/conciliacion",
         "/informatica/directorio/huerfanas", "/informatica/directorio/huerfanas.csv")


def _actions(prefix: str) -> list[str]:
    return [e.action for e in db.session().scalars(
        select(AuditEvent).where(AuditEvent.action.like(f"{prefix}%"))
        .order_by(AuditEvent.seq))]


@pytest.mark.parametrize("role", [Role.JEFE_UNIDAD, Role.ENLACE, Role.AUDITOR, Role.ADMIN])
def test_only_it_reaches_the_directory_pages(app, client, login_as, role) -> None:
    login_as(role)
    for page in PAGES:
        assert client.get(page).status_code == 403, page


def test_it_starts_an_import_job_once_and_sees_it(app, client, login_as) -> None:
    login_as(Role.INFORMATICA)
    page = client.get("/informatica/directorio")
    assert page.status_code == 200 and "Todavía no se ha importado" in page.get_data(True)
    for _ in range(2):
        answer = client.post("/informatica/directorio/importar",
                             page="/informatica/directorio")
        assert answer.status_code == 302
    live = db.session().scalars(select(Job).where(Job.kind == tasks.KIND)).all()
    assert len(live) == 1 and live[0].status == "queued"  # one import at a time
    html = client.get("/informatica/directorio").get_data(True)
    assert f"({live[0].id}): En cola" in html and 'http-equiv="refresh"' in html
    assert _actions("directory.import_requested") == ["directory.import_requested"] * 2


def test_decisions_bulk_confirm_person_record_and_dashboard(app, client, login_as) -> None:
    ana = person(1, "ANA MARÍA", "NÚÑEZ", "PEÑA")
    twin1, twin2 = person(2, "LUIS", "GARCÍA", "DÍAZ"), person(3, "LUIS", "GARCÍA", "DÍAZ")
    exact = imported_account("anunez", given="Ana María", surname="Núñez Peña",
                             candidates=((ana.id, 100),))
    twins = imported_account("lgarcia", given="Luis", surname="García Díaz",
                             candidates=((twin1.id, 100), (twin2.id, 100)))
    other = imported_account("impresora", ou="OU=Equipos,DC=ssm,DC=test")
    db.session().flush()
    login_as(Role.INFORMATICA)
    html = client.get("/informatica/directorio/conciliacion").get_data(True)
    assert "anunez" in html and "ANA MARÍA NÚÑEZ PEÑA" in html and "3 cuentas" in html
    filtered = client.get("/informatica/directorio/conciliacion",
                          query_string={"ubicacion": "OU=Equipos,DC=ssm,DC=test"})
    assert "impresora" in filtered.get_data(True) and "anunez" not in filtered.get_data(True)
    # Only a location of the list filters: anything else (a NUL once reached PostgreSQL and
    # failed there) gets a Spanish message.
    for bad in ("\x00", "OU=Nadie,DC=ssm,DC=test"):
        refused = client.get("/informatica/directorio/conciliacion",
                             query_string={"ubicacion": bad})
        assert refused.status_code == 400 and "elija una de la lista" in refused.get_data(True)
    # Bulk: one POST; the account with two exact candidates is left to IT.
    answer = client.post("/informatica/directorio/conciliacion/exactas",
                         {"cuenta": [str(exact.id), str(twins.id)]},
                         page="/informatica/directorio/conciliacion")
    assert answer.status_code == 302
    db.session().expire_all()
    assert (exact.link_status, exact.person_id) == (LINKED, ana.id)
    assert twins.link_status == PROPOSED
    client.post(f"/informatica/directorio/cuentas/{twins.id}/rechazar",
                {"persona": str(twin1.id)}, page="/informatica/directorio/conciliacion")
    client.post(f"/informatica/directorio/cuentas/{twins.id}/confirmar",
                {"persona": str(twin2.id)}, page="/informatica/directorio/conciliacion")
    client.post(f"/informatica/directorio/cuentas/{other.id}/servicio", {},
                page="/informatica/directorio/conciliacion")
    db.session().expire_all()
    assert (twins.link_status, twins.person_id) == (LINKED, twin2.id)
    assert other.link_status == SERVICE and other.person_id is None
    # Someone not a candidate cannot be confirmed: a Spanish message, nothing written.
    refused = client.post(f"/informatica/directorio/cuentas/{other.id}/confirmar",
                          {"persona": str(ana.id)}, page="/informatica/directorio/conciliacion",
                          follow_redirects=True)
    assert "no es candidata" in refused.get_data(True)
    assert client.post("/informatica/directorio/cuentas/987654/servicio", {},
                       page="/informatica/directorio").status_code == 404
    decided = [a for a in _actions("reconciliation.") if a != "reconciliation.list_viewed"]
    assert "reconciliation.list_viewed" in _actions("reconciliation.")
    assert decided == [
        "reconciliation.confirmar", "reconciliation.rechazar", "reconciliation.confirmar",
        "reconciliation.servicio"]
    record = client.get(f"/personas/{ana.id}").get_data(True)
    assert "anunez (importada del directorio" in record
    board = client.get("/tablero").get_data(True)
    assert "Personas con una cuenta importada del directorio vinculada" in board


def test_orphans_report_and_csv(app, client, login_as) -> None:
    old = timeutil.now() - timedelta(days=400)
    imported_account("nadie")  # no person, used never, created now: not dormant
    imported_account("dormida", when_created=old, last_logon_at=old)
    imported_account("nuncausada", when_created=old)
    imported_account("vencida", expires_at=datetime(2020, 1, 2, 12, tzinfo=UTC),
                     last_logon_at=timeutil.now())
    imported_account("apagada", enabled=False, when_created=old)
    login_as(Role.JEFE_INFORMATICA)
    html = client.get("/informatica/directorio/huerfanas").get_data(True)
    assert "Sin persona: 4 cuentas" in html and "Sin uso en 90 días" in html
    assert "Vencidas pero habilitadas: 1 cuenta" in html and "apagada" not in html
    csv = client.get("/informatica/directorio/huerfanas.csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("hallazgo,usuario")
    dormant = sorted(line.split(",")[1] for line in lines if line.startswith("sin uso"))
    assert dormant == ["dormida", "nuncausada"]
    assert any(line.startswith("vencida y habilitada,vencida,") and ",02/01/2020," in line
               for line in lines)
    events = db.session().scalars(select(AuditEvent).where(
        AuditEvent.action.like("reconciliation.orphans%")).order_by(AuditEvent.seq)).all()
    assert [e.action for e in events] == ["reconciliation.orphans_viewed",
                                          "reconciliation.orphans_exported"]
    assert json.loads(events[1].details)["sin_persona"] == 4
    assert "dormida" not in events[1].summary + events[1].details


def _folded(given: str, first: str, second: str) -> tuple[str, str, str]:
    from provisioning.naming import fold

    return fold(given), fold(first), fold(second)


@pytest.mark.parametrize(("names", "expected"), [
    (("Ana María", "Núñez", "Peña"), 100),  # accents and case folded away
    (("ANA MARIA", "NUNEZ", ""), 90),  # no second surname in the directory
    (("Ana", "Núñez", "Peña"), 80),  # first given name only
    (("Alma", "Núñez", "Peña"), 60),  # same initial and surnames
    (("Ana María", "Peña", "Núñez"), 0),  # surnames swapped: no candidate
    (("Beatriz", "Núñez", "Peña"), 0),
])
def test_name_score(names, expected) -> None:
    someone = Person(nombres="ANA MARÍA", primer_apellido="NÚÑEZ", segundo_apellido="PEÑA")
    assert services.score(_folded(*names), someone)[0] == expected


def test_unlinked_account_names_come_from_given_name_or_display_name() -> None:
    account = ImportedAccount(given_name="José Luis", surname="López Ruiz")
    assert services._account_names(account) == ("joseluis", "lopez", "ruiz")
    shown = ImportedAccount(display_name="María Pérez López")
    assert services._account_names(shown) == ("maria", "perez", "lopez")
    # Compound surnames stay whole, so "DE LA CRUZ" can be a person's first surname.
    compound = ImportedAccount(given_name="Rosa", surname="de la Cruz Pérez")
    assert services._account_names(compound) == ("rosa", "delacruz", "perez")
    rosa = Person(nombres="ROSA", primer_apellido="DE LA CRUZ", segundo_apellido="PÉREZ")
    assert services.score(services._account_names(compound), rosa) == (100, "nombre completo")
    shown = ImportedAccount(display_name="Rosa de la Cruz Pérez")
    assert services.score(services._account_names(shown), rosa)[0] == 100
