"""The auditor's pages, the custodian's page and the ARCO tasks: who may see what."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from provisioning import audit, db
from provisioning.audit import export
from provisioning.audit.models import AuditCheckpoint, AuditEvent
from provisioning.staff.models import Role
from tests.support.forms import folio_and_code, submit

STAFF = audit.Actor("jefe.cuernavaca", "jefe_unidad", "10.1.1.1")

# page → roles that get 200 (others signed in get 403; anonymous is sent to sign in)
PAGES = {
    "/auditoria": {Role.AUDITOR, Role.JEFE_INFORMATICA},
    "/auditoria/objeto/request/MSSSA000120-2026-00001": {Role.AUDITOR, Role.JEFE_INFORMATICA},
    "/custodia": {Role.AUDITOR, Role.JEFE_INFORMATICA},
    "/privacidad/solicitudes": {Role.JEFE_INFORMATICA},
}
ROLES = (Role.AUDITOR, Role.JEFE_INFORMATICA, Role.ADMIN, Role.INFORMATICA, Role.JEFE_UNIDAD)


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, login_as, role) -> None:
    login_as(role)
    for page, allowed in PAGES.items():
        assert client.get(page).status_code == (200 if role in allowed else 403), page
    export = client.post("/auditoria/exportar", {"formato": "csv"}, page="/panel")
    assert export.status_code == (200 if role in PAGES["/auditoria"] else 403)
    hold = client.post("/custodia/conservaciones",
                       {"record_class": "solicitud", "record_key": "X", "reason": "r"},
                       page="/panel")
    assert hold.status_code == (400 if role == Role.JEFE_INFORMATICA else 403)


def test_anonymous_is_sent_to_sign_in(client) -> None:
    for page in (*PAGES, "/privacidad/solicitudes/1"):
        response = client.get(page)
        assert response.status_code == 302 and "/acceso" in response.headers["Location"]
    for page in ("/auditoria/exportar", "/custodia/conservaciones",
                 "/custodia/conservaciones/1/levantar"):
        response = client.post(page, {"formato": "csv"}, page="/solicitud")
        assert response.status_code == 302 and "/acceso" in response.headers["Location"]


def test_search_links_each_event_to_its_history(client, login_as) -> None:
    folio, _ = folio_and_code(submit(client))
    audit.record("request.viewed", actor=STAFF, object_type="request", object_id=folio,
                 summary=f"Consulta de la solicitud {folio}")
    db.commit()
    login_as(Role.AUDITOR)
    page = client.get(f"/auditoria?objeto={folio.lower()}&accion=request.")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert body.count(f'href="/auditoria/objeto/request/{folio}"') == 2
    assert "jefe.cuernavaca" in body and "request.submitted" in body
    assert "staff.login" not in body
    assert "Solicitud registrada<br>" in body  # the Spanish name, the code beside it
    history = client.get(f"/auditoria/objeto/request/{folio}").get_data(as_text=True)
    assert "request.submitted" in history and "request.viewed" in history
    assert "Solicitud consultada<br>" in history
    # Reading the history (it shows the applicant's IP) is itself audited on the request.
    viewed = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "audit.history_viewed", AuditEvent.object_id == folio))
    assert viewed.actor_role == "auditor"
    bad = client.get("/auditoria?desde=ayer")
    assert bad.status_code == 400 and "AAAA-MM-DD" in bad.get_data(as_text=True)


def test_search_pages_newest_first(client, login_as) -> None:
    for i in range(60):
        audit.record("prueba.pagina", actor=STAFF, object_type="prueba", object_id=str(i),
                     summary=f"evento número {i:02d}")
    db.commit()
    login_as(Role.AUDITOR)
    first = client.get("/auditoria?accion=prueba.").get_data(as_text=True)
    assert "evento número 59" in first and "evento número 10" in first
    assert "evento número 09" not in first
    link = first.split('href="/auditoria?antes=')[1].split('"')[0]
    second = client.get("/auditoria?antes=" + link.replace("&amp;", "&")).get_data(as_text=True)
    assert "evento número 09" in second and "evento número 00" in second
    assert "evento número 10" not in second


def test_export_from_the_page_is_streamed_audited_and_checkpointed(client, login_as) -> None:
    folio, _ = folio_and_code(submit(client))
    login_as(Role.JEFE_INFORMATICA)
    response = client.post("/auditoria/exportar", {"formato": "jsonl", "objeto": folio},
                           page="/auditoria")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["object_id"] for line in lines] == [folio]
    number, seq, digest = response.headers["X-Alta-Checkpoint"].split()
    mark = db.session().get(AuditCheckpoint, int(number))
    assert (mark.reason, mark.seq, mark.hash) == ("export", int(seq), digest)
    exported = db.session().get(AuditEvent, int(seq))
    assert exported.action == "audit.exported" and exported.actor_role == "jefe_informatica"
    assert json.loads(exported.details) == {"filter": {"object_id": folio}, "format": "jsonl"}
    csv_response = client.post("/auditoria/exportar", {"formato": "csv"}, page="/auditoria")
    assert csv_response.get_data(as_text=True).startswith("secuencia,fecha_hora_utc")
    bad = client.post("/auditoria/exportar", {"formato": "xml"}, page="/auditoria")
    assert bad.status_code == 400


def test_custodian_sets_and_lifts_a_hold(client, login_as) -> None:
    folio, _ = folio_and_code(submit(client))
    login_as(Role.JEFE_INFORMATICA)
    done = client.post("/custodia/conservaciones", {"record_class": "solicitud",
                                                    "record_key": folio.lower(),
                                                    "reason": "Queja ante el OIC"},
                       page="/custodia")
    assert done.status_code == 302
    page = client.get("/custodia").get_data(as_text=True)
    assert folio in page and "Queja ante el OIC" in page
    hold_id = int(page.split("/custodia/conservaciones/")[1].split("/")[0])
    missing_reason = client.post(f"/custodia/conservaciones/{hold_id}/levantar",
                                 {"reason": ""}, page="/custodia")
    assert missing_reason.status_code == 302
    assert "Queja ante el OIC" in client.get("/custodia").get_data(as_text=True)
    client.post(f"/custodia/conservaciones/{hold_id}/levantar", {"reason": "Resuelta"},
                page="/custodia")
    assert "Queja ante el OIC" not in client.get("/custodia").get_data(as_text=True)
    actions = [e.action for e in db.session().scalars(select(AuditEvent).where(
        AuditEvent.object_id == folio).order_by(AuditEvent.seq))]
    assert actions[-2:] == ["retention.hold_set", "retention.hold_lifted"]
    unknown = client.post("/custodia/conservaciones", {"record_class": "solicitud",
                                                       "record_key": "NO-EXISTE",
                                                       "reason": "x"}, page="/custodia")
    assert unknown.status_code == 400 and "Revise el folio" in unknown.get_data(as_text=True)


def test_auditor_sees_the_custody_page_without_actions(client, login_as) -> None:
    login_as(Role.AUDITOR)
    page = client.get("/custodia").get_data(as_text=True)
    assert "Vencen en los próximos 90 días" in page
    assert 'action="/custodia/conservaciones"' not in page


def test_the_auditors_search_is_itself_audited(client, login_as) -> None:
    """Who searched the log for what is evidence too (e.g. someone looking for a folio)."""
    folio, _ = folio_and_code(submit(client))
    login_as(Role.AUDITOR)

    def searches() -> list[AuditEvent]:
        return list(db.session().scalars(select(AuditEvent).where(
            AuditEvent.action == "audit.searched").order_by(AuditEvent.seq)))

    page = client.get(f"/auditoria?objeto={folio}&accion=request.&desde=2026-01-01"
                      "&usuario=jefe.cuernavaca")
    assert page.status_code == 200
    # The search does not list itself.
    assert "audit.searched" not in page.get_data(as_text=True)
    (searched,) = searches()
    assert (searched.actor_role, searched.object_type, searched.object_id) == (
        "auditor", "audit", "bitacora")
    details = json.loads(searched.details)
    assert details.pop("results") == len(export.search(export.EventFilter(
        object_id=folio, action="request.", actor="jefe.cuernavaca",
        since=date(2026, 1, 1))).events)
    assert details == {"filter": {"object_id": folio, "action": "request.",
                                  "since": "2026-01-01", "actor": "jefe.cuernavaca"}}
    # A later page and a search with a bad field are recorded too (with what was valid).
    client.get(f"/auditoria?objeto={folio}&antes=999999")
    bad = client.get("/auditoria?desde=ayer&tipo=request")
    assert bad.status_code == 400
    later, invalid = searches()[1:]
    assert json.loads(later.details)["before"] == 999999
    details = json.loads(invalid.details)
    assert details["filter"] == {"object_type": "request"} and details["invalid"] == ["desde"]
