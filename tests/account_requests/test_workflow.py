"""The state machine: allowed and refused moves, history, closing, concurrent moves."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from provisioning import audit, db
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import MOVES, RequestStatus
from provisioning.audit.models import AuditEvent
from provisioning.errors import Conflict
from tests.support.forms import VALID_FORM, folio_and_code, submit
from tests.support.web import Browser

ACTOR = audit.Actor("jefe", "jefe_unidad", "10.1.1.1")


def new_request(client) -> AccountRequest:
    folio, _ = folio_and_code(submit(client))
    return db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))


def test_every_state_has_a_label_and_is_reachable() -> None:
    reachable = {RequestStatus.ENVIADA}
    for move in MOVES.values():
        reachable |= move.targets
    assert reachable == set(RequestStatus)
    assert all(status.label for status in RequestStatus)


def test_allowed_move_updates_state_history_and_audit(client, clock) -> None:
    request = new_request(client)
    clock.advance(hours=2)
    workflow.transition(request, "sign_unit_head", actor=ACTOR,
                        to=RequestStatus.LISTA_PARA_OFICIO)
    db.commit()
    assert request.status == "lista_para_oficio"
    assert request.updated_at == clock.now and request.closed_at is None
    moves = [(e.event, e.from_status, e.to_status) for e in workflow.history(request)]
    assert moves == [("submit", None, "enviada"),
                     ("sign_unit_head", "enviada", "lista_para_oficio")]
    event = db.session().scalar(select(AuditEvent).where(
        AuditEvent.action == "request.sign_unit_head"))
    assert event.object_id == request.folio and event.actor == "jefe"


def test_refused_move_is_a_conflict_and_changes_nothing(client) -> None:
    request = new_request(client)
    with pytest.raises(Conflict, match="no se puede acusar de recibido"):
        workflow.transition(request, "acknowledge", actor=ACTOR)
    db.rollback()
    db.session().expire_all()
    assert db.session().get(AccountRequest, request.id).status == "enviada"


def test_final_states_close_the_request_and_free_the_curp(client, clock) -> None:
    request = new_request(client)
    workflow.transition(request, "reject", actor=ACTOR, reason="Datos incompletos")
    db.commit()
    assert request.closed_at == clock.now
    with pytest.raises(Conflict):
        workflow.transition(request, "sign_unit_head", actor=ACTOR,
                            to=RequestStatus.FIRMADA_JEFE)
    db.rollback()
    # Observación 7 counts open requests only: the person may apply again.
    assert submit(client).status_code == 200


def test_reason_is_shown_on_tracking_page(client) -> None:
    response = submit(client)
    folio, code = folio_and_code(response)
    request = db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
    workflow.transition(request, "return", actor=ACTOR, reason="Falta el segundo apellido")
    db.commit()
    page = client.post("/seguimiento", {"folio": folio, "code": code},
                       page="/seguimiento").get_data(as_text=True)
    assert "Devuelta para corrección" in page and "Falta el segundo apellido" in page


def test_explicit_target_must_be_allowed(client) -> None:
    request = new_request(client)
    with pytest.raises(ValueError):
        workflow.transition(request, "sign_unit_head", actor=ACTOR)
    with pytest.raises(ValueError):
        workflow.transition(request, "sign_unit_head", actor=ACTOR,
                            to=RequestStatus.ACCESO_ACTIVO)


def test_two_people_moving_the_same_request_at_once_one_wins(make_app) -> None:
    app = make_app()
    browser = Browser(app.test_client())
    folio, _ = folio_and_code(browser.post("/solicitud", dict(VALID_FORM), page="/solicitud"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(event: str, to: RequestStatus) -> None:
        with app.app_context():
            sqlite = db.database().dialect == "sqlite"
            if sqlite:
                # SQLite: the first reader holds the write lock, so meet before reading.
                barrier.wait()
            request = db.session().scalar(
                select(AccountRequest).where(AccountRequest.folio == folio))
            if not sqlite:
                # PostgreSQL: both read version 1, then race to write it.
                barrier.wait()
            try:
                workflow.transition(request, event, actor=ACTOR, to=to)
                db.commit()
                outcomes.append("ok")
            except Conflict:
                db.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=act, args=("sign_unit_head",
                                                  RequestStatus.LISTA_PARA_OFICIO)),
               threading.Thread(target=act, args=("reject", RequestStatus.RECHAZADA))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "ok"]
    with app.app_context():
        request = db.session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
        assert len(workflow.history(request)) == 2
