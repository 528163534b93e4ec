"""The whole paper chain on a database that really commits: solicitud → unit head →
responsable → oficio → acuse, PDFs and e-mail; every move is audited and the chain verifies."""

from __future__ import annotations

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest, RequestEvent
from provisioning.audit.models import AuditEvent
from provisioning.jobs import services as jobs
from provisioning.oficios.models import Oficio
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.chain import CENTRO_I, sign
from tests.support.forms import VALID_FORM, folio_and_code
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser


def test_whole_chain_is_audited_and_the_audit_log_verifies(make_app, clock) -> None:
    app = make_app(mail={"port": 1})  # nothing listens there: mail stays in the outbox
    with app.app_context():
        applicant = Browser(app.test_client())
        folio, code = folio_and_code(applicant.post("/solicitud", {**VALID_FORM, **CENTRO_I},
                                                    page="/solicitud"))
        request_id = db.session().scalar(select(AccountRequest.id).where(
            AccountRequest.folio == folio))
        db.rollback()  # SQLite: the test's own reads must not hold the write lock
        people = {}
        for name, grant in (
                ("jefe.e2e", staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120")),
                ("resp.e2e", staff.Grant(Role.RESPONSABLE_JURISDICCIONAL, jurisdiction_code="I")),
                ("enlace.e2e", staff.Grant(Role.ENLACE, jurisdiction_code="I")),
                ("it.e2e", staff.Grant(Role.INFORMATICA))):
            account = create_staff_account(name, grant)
            browser = Browser(app.test_client())
            login(browser, account)
            people[name] = (browser, account)
        jefe, resp, enlace, it = (people[n] for n in ("jefe.e2e", "resp.e2e", "enlace.e2e",
                                                       "it.e2e"))
        assert sign(*jefe, request_id, clock).status_code == 302
        assert sign(*resp, request_id, clock).status_code == 302
        clock.advance(seconds=30)
        response = enlace[0].post("/oficios", {"request_id": str(request_id),
                                               "code": enlace[1].code(), "subject": "Altas"},
                                  page="/panel")
        assert response.status_code == 302
        oficio_id = db.session().scalar(select(Oficio.id))
        db.rollback()
        assert it[0].post(f"/oficios/{oficio_id}/acuse", page="/panel").status_code == 302
        assert enlace[0].get(f"/oficios/{oficio_id}/pdf").status_code == 200
        assert jefe[0].get(f"/solicitudes/{request_id}/pdf").status_code == 200
        applicant.post("/seguimiento", {"folio": folio, "code": code}, page="/seguimiento")
        jobs.run_pending()
        db.session().expire_all()
        request = db.session().get(AccountRequest, request_id)
        assert request.status == "recibida_informatica"
        moves = [e.event for e in workflow.history(request)]
        assert moves == ["submit", "sign_unit_head", "sign_responsable", "include_in_oficio",
                         "acknowledge"]
        audited = list(db.session().scalars(select(AuditEvent.action).where(
            AuditEvent.object_id == folio).order_by(AuditEvent.seq)))
        for event in moves[1:]:
            assert f"request.{event}" in audited, event
        assert {"request.submitted", "request.viewed", "document.issued",
                "document.downloaded"} <= set(audited)
        assert db.session().scalar(select(RequestEvent.id).where(
            RequestEvent.request_id == request_id, RequestEvent.event == "acknowledge"))
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output
        assert "Bitácora íntegra" in result.output
