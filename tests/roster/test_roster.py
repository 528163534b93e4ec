"""The staff roster: row-by-row validation (all or nothing, CSV and XLSX), the report of
leavers, people without an account, movers and end dates, and its links into the baja and
cambio forms of the lifecycle."""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import Workbook
from sqlalchemy import func, select

from provisioning import audit, db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.lifecycle.models import Baja, Cambio
from provisioning.retention import services as retention
from provisioning.roster import services
from provisioning.roster.models import RosterLine, RosterUpload
from provisioning.spreadsheet import csv_text
from provisioning.staff.models import Role
from tests.support.chain import CENTRO_I, HOSPITAL
from tests.support.curp import hypothetical_curp
from tests.support.handoff_flow import Scene, values
from tests.support.lifecycle import person_id

HEADER = ["CURP", "Nombres", "Primer apellido", "Segundo apellido", "CLUES de la unidad",
          "Tipo de personal", "Fecha de término"]
CENTRO, HOSP = CENTRO_I["unit_clues"], HOSPITAL["unit_clues"]


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> tuple[io.BytesIO, str]:
    return io.BytesIO(csv_text([header, *rows]).encode()), "padron.csv"


def as_xlsx(rows: list[list[str]]) -> tuple[io.BytesIO, str]:
    book = Workbook()
    sheet = book.active
    for row in [HEADER, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out, "padron.xlsx"


def upload(browser, file: tuple[io.BytesIO, str]):
    return browser.post("/padron", {"archivo": file}, page="/padron")


def count(model) -> int:
    return values(lambda: db.session().scalar(select(func.count()).select_from(model)))


def actions() -> list[str]:
    return values(lambda: list(db.session().scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("roster.%"))
        .order_by(AuditEvent.seq))))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_every_bad_row_is_named_and_nothing_is_imported(app, client, login_as) -> None:
    login_as(Role.INFORMATICA)
    good = hypothetical_curp(1)
    rows = [[good, "Ana", "Ruiz", "", CENTRO, "medico", ""],
            ["ABCD123", "Luis", "Paz", "", CENTRO, "medico", ""],
            [hypothetical_curp(2), "Eva", "Sol", "", "XXSSA999999", "medico", ""],
            [hypothetical_curp(3), "Ian", "Mar", "", CENTRO, "medico", "31/02/2027"],
            [good, "Ana", "Ruiz", "", CENTRO, "medico", ""],
            [hypothetical_curp(4), "Noé", "Gil", "", CENTRO, "astronauta", ""],
            [hypothetical_curp(5), "", "Vera", "", CENTRO, "medico", ""]]
    response = upload(client, as_csv(rows))
    assert response.status_code == 400
    page = re.sub(r"\s+", " ", text(response)).replace("&#34;", '"')
    assert "No se importó el padrón: se encontró 6 errores" in page
    for expected in ("Fila 3, columna «CURP»", "Fila 4, columna «CLUES de la unidad»",
                     "Fila 5, columna «fecha de término»",
                     f"Fila 6, columna «CURP»: la CURP {good} ya aparece en la fila 2",
                     "Fila 7, columna «tipo de personal»", "Fila 8, columna «nombres»"):
        assert expected in page
    assert "Fila 2," not in page
    assert count(RosterUpload) == count(RosterLine) == 0
    assert actions() == []

    missing = upload(client, as_csv([[good, "Ana", "Ruiz", CENTRO, "medico"]],
                                    header=["CURP", "Nombres", "Primer apellido",
                                            "CLUES", "Tipo de personal"]))
    assert missing.status_code == 302  # «segundo apellido» and «fecha de término» optional
    no_clues = upload(client, as_csv([[good, "Ana", "Ruiz", "medico"]],
                                     header=["CURP", "Nombres", "Primer apellido",
                                             "Tipo de personal"]))
    assert no_clues.status_code == 400
    assert "Falta la columna «CLUES de la unidad»." in text(no_clues)
    assert "1 error;" in text(no_clues)
    assert upload(client, (io.BytesIO(b"no"), "padron.pdf")).status_code == 400
    assert upload(client, (io.BytesIO(b"PK\x03\x04roto"), "padron.xlsx")).status_code == 400
    assert client.post("/padron", {}, page="/padron").status_code == 400
    assert count(RosterUpload) == 1  # only the file with every required column


def test_roster_report_finds_leavers_movers_and_missing(app, clock) -> None:
    scene = Scene(app, clock).cast()
    stays = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
    leaves = scene.applicant("Mario", "Luna", "Paz", ece=False)
    moves = scene.applicant("Rosa", "Nava", None, ece=False)
    waits = scene.applicant("Iván", "Soto", "Gómez", ece=False)  # no account yet
    with_accounts = [stays.request_id, leaves.request_id, moves.request_id]
    scene.received_oficio(with_accounts)
    scene.record_accounts(with_accounts)
    outsider = hypothetical_curp(9)
    # A date cell, as Excel saves it.
    rows = [[stays.curp, "Elena", "Bravo", "Ríos", CENTRO, "medico", date(2027, 12, 31)],
            [moves.curp, "Rosa", "Nava", "", HOSP, "medico", ""],
            [waits.curp, "Iván", "Soto", "Gómez", CENTRO, "medico", ""],
            [outsider, "Sara", "Vela", "", HOSP, "enfermeria", ""]]
    it = scene.person("it.dept", Role.INFORMATICA)
    response = upload(it, as_xlsx(rows))
    assert response.status_code == 302, text(response)
    roster_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert count(RosterLine) == 4

    page = it.get(f"/padron/{roster_id}")
    assert page.status_code == 200
    report = values(lambda: services.report(services.get(roster_id),
                                            actor=audit.Actor("prueba", "prueba")))
    ids = {name: person_id(a.request_id) for name, a in
           (("stays", stays), ("leaves", leaves), ("moves", moves), ("waits", waits))}
    assert [f.person.id for f in report.leavers] == [ids["leaves"]]
    assert [(f.line.curp, f.person and f.person.id) for f in report.without_account] == [
        (waits.curp, ids["waits"]), (outsider, None)]
    assert [(f.person.id, f.line.unit_clues) for f in report.movers] == [(ids["moves"], HOSP)]
    assert [(f.person.id, f.line.end_date) for f in report.end_dates] == [
        (ids["stays"], date(2027, 12, 31))]
    assert actions() == ["roster.uploaded", "roster.report_viewed"]

    # One click from a line into the lifecycle's own forms, prefilled for that person.
    html = text(page)
    baja_link = f"/personas/{ids['leaves']}?accion=baja#baja"
    cambio_link = f"/personas/{ids['moves']}?unidad_destino={HOSP}#cambio"
    assert baja_link in html.replace("&amp;", "&")
    assert cambio_link in html.replace("&amp;", "&")
    baja_form = text(it.get(baja_link.split("#")[0]))
    assert 'id="baja"' in baja_form and "No aparece en el padrón de personal." in baja_form
    cambio_form = text(it.get(cambio_link.split("#")[0].replace("&amp;", "&")))
    assert f'<option value="{HOSP}" selected>' in cambio_form
    today = timeutil.format_date(timeutil.local_today())
    started = scene.post("it.dept", f"/personas/{ids['leaves']}/baja", {
        "motivo": "termino_contrato", "detalle": "No aparece en el padrón de personal.",
        "fecha_efectiva": today})
    assert started.status_code == 302, text(started)
    moved = scene.post("it.dept", f"/personas/{ids['moves']}/cambio", {
        "unidad_destino": HOSP, "detalle": "", "fecha_efectiva": today})
    assert moved.status_code == 302, text(moved)
    assert values(lambda: [b.person_id for b in db.session().scalars(select(Baja))]) == [
        ids["leaves"]]
    assert values(lambda: [(c.person_id, c.to_unit_clues)
                           for c in db.session().scalars(select(Cambio))]) == [
        (ids["moves"], HOSP)]


def test_a_unit_head_is_refused(app, client, login_as) -> None:
    """Every other role too: tests/test_authorization_matrix.py."""
    login_as(Role.JEFE_UNIDAD)
    assert client.get("/padron").status_code == 403


def test_a_roster_is_deleted_a_year_after_its_upload(app, clock) -> None:
    curp = hypothetical_curp(7)
    roster = services.upload(csv_text([HEADER, [curp, "Ana", "Ruiz", "", CENTRO, "medico",
                                                ""]]).encode(), "padron.csv",
                             actor=audit.Actor("prueba", "informatica"))
    db.commit()
    key = str(roster.id)
    clock.advance(days=360)
    assert _run_retention(app) and count(RosterUpload) == 1
    clock.advance(days=8)
    _run_retention(app)
    assert count(RosterUpload) == count(RosterLine) == 0
    tombstone = values(lambda: retention.disposal_of("padron", key))
    assert tombstone.disposition == "eliminado"
    assert curp not in tombstone.details


def _run_retention(app) -> str:
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session().expire_all()
    return result.output
