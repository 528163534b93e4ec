"""A unit head signs several requests from the inbox with one TOTP code: each gets its own
signature over its own content, exactly as if signed alone; a wrong or replayed code, an
empty selection or one request outside the signer's turn signs none of them."""

from __future__ import annotations

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals import services as approvals
from provisioning.approvals.models import Signature
from provisioning.audit.models import AuditEvent
from provisioning.staff.models import Role
from tests.support.chain import CENTRO_I, HOSPITAL, fetch, new_request, person
from tests.support.curp import hypothetical_curp
from tests.support.handoff_flow import values


def _signatures() -> list[tuple[int, str, str]]:
    return values(lambda: [(s.request_id, s.step, s.content_sha256) for s in db.session()
                           .scalars(select(Signature).order_by(Signature.id))])


def test_one_code_signs_the_chosen_requests_each_on_its_own(app, client, clock) -> None:
    made = [new_request(client, curp=hypothetical_curp(n), expediente_electronico="no",
                        **CENTRO_I) for n in range(3)]
    ids, folios = [r.id for r, _, _ in made], [f for _, f, _ in made]
    other_id = new_request(client, curp=hypothetical_curp(7), **HOSPITAL)[0].id
    jefe, account = person(client, app, "jefe.lote", Role.JEFE_UNIDAD, clock,
                           unit_clues=CENTRO_I["unit_clues"])
    inbox = jefe.get("/firmas").get_data(as_text=True)
    assert 'name="request_id"' in inbox and "con un solo código" in inbox

    def batch(ids: list[int], code: str | None = None) -> object:
        clock.advance(seconds=30)
        return jefe.post("/firmas/lote", {"request_id": [str(i) for i in ids],
                                          "code": code or account.code()}, page="/firmas")

    # Refused, nothing signed: a wrong code, no selection, a request of another unit.
    wrong = batch([ids[0], ids[1]], code="000000")
    assert wrong.status_code == 401, wrong.get_data(as_text=True)[-1500:]
    assert "código" in wrong.get_data(as_text=True)
    assert batch([]).status_code == 400
    assert batch([ids[0], other_id]).status_code == 404
    assert _signatures() == []

    clock.advance(seconds=30)
    code = account.code()
    done = batch([ids[0], ids[1], ids[0]], code=code)  # a repeated id counts once
    assert done.status_code == 302
    signed = _signatures()
    assert [(r, s) for r, s, _ in signed] == [(ids[0], "jefe_unidad"), (ids[1], "jefe_unidad")]
    for request_id, _, digest in signed:
        assert digest == values(lambda rid=request_id: approvals.content_hash(
            db.session().get(AccountRequest, rid)))
    assert len({d for _, _, d in signed}) == 2  # each over its own content
    assert fetch(folios[0]).status == "lista_para_oficio"
    assert fetch(folios[2]).status == "enviada"
    event = values(lambda: db.session().scalar(
        select(AuditEvent).where(AuditEvent.action == "request.batch_signed")))
    assert folios[0] in event.details and folios[1] in event.details

    # The same code again (even for another request) is a replay: refused.
    replay = jefe.post("/firmas/lote", {"request_id": [str(ids[2])], "code": code},
                       page="/firmas")
    assert replay.status_code == 401
    assert fetch(folios[2]).status == "enviada"
