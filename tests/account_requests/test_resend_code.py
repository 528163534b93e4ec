"""A lost tracking code: folio + CURP send a new one to the request's e-mail (a real SMTP
server on loopback), the old one stops working, and a stranger learns nothing."""

from __future__ import annotations

from email import message_from_string

from sqlalchemy import select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.jobs import services as jobs
from provisioning.notifications.models import OutboxMessage
from provisioning.notifications.services import SEALED_BODY_SENT
from tests.support.forms import VALID_FORM, folio_and_code, submit
from tests.support.mail import Inbox, SmtpServer
from tests.support.secrets import all_database_text
from tests.support.web import Browser, free_port

ANSWER = "Si el folio y la CURP corresponden a una solicitud en trámite"


def resend(browser: Browser, folio: str, curp: str) -> str:
    response = browser.post("/seguimiento/reenviar", {"folio": folio, "curp": curp},
                            page="/seguimiento/reenviar")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def tracks(browser: Browser, folio: str, code: str) -> bool:
    response = browser.post("/seguimiento", {"folio": folio, "code": code},
                            page="/seguimiento")
    return response.status_code == 200


def code_mails() -> list[tuple[str, bool, str, str]]:
    """(recipient, body sealed, status, body) of each tracking-code mail; the read ends its
    transaction (the app's requests write on SQLite)."""
    db.session().expire_all()
    rows = [(m.recipient, m.body_sealed, m.status, m.body) for m in db.session().scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "codigo_seguimiento"))]
    db.rollback()
    return rows


def test_a_lost_tracking_code_is_replaced_by_mail(make_app, clock) -> None:
    port = free_port()
    app = make_app(mail={"port": port, "sender": "Alta SSM <alta@ssm.test>"})
    inbox = Inbox()
    server = SmtpServer(inbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with app.app_context():
            browser = Browser(app.test_client())
            folio, old_code = folio_and_code(submit(browser))
            assert "¿Perdió su código de seguimiento?" in browser.get(
                "/seguimiento").get_data(as_text=True)
            # A wrong CURP, an unknown folio and the right pair get the same answer.
            answers = {resend(browser, folio, "PEGL890909MJCRMS08"),
                       resend(browser, "MSSSA000120-2026-99999", VALID_FORM["curp"])}
            assert len(answers) == 1 and ANSWER in answers.pop()
            assert code_mails() == [] and tracks(browser, folio, old_code)
            assert ANSWER in resend(browser, folio, VALID_FORM["curp"].lower())
            ((recipient, sealed, _status, _body),) = code_mails()
            assert recipient == VALID_FORM["contact_email"] and sealed
            assert not tracks(browser, folio, old_code)  # the lost one stops working
            # Until sent, the new code is nowhere in the database in clear.
            text = all_database_text()
            db.rollback()
            jobs.run_pending()
            bodies = [(rcpt, message_from_string(raw).get_payload(decode=True).decode())
                      for _sender, rcpt, raw in inbox.messages]
            ((recipients, received),) = [b for b in bodies if "Su código nuevo es:" in b[1]]
            assert recipients == [VALID_FORM["contact_email"]]
            new_code = received.split("Su código nuevo es:", 1)[1].split()[0]
            assert new_code not in text and tracks(browser, folio, new_code)
            ((_recipient, _sealed, status, body),) = code_mails()
            assert status == "sent" and body == SEALED_BODY_SENT
            # Asked again right away: nothing more is sent (no mail bombing).
            resend(browser, folio, VALID_FORM["curp"])
            assert len(code_mails()) == 1 and tracks(browser, folio, new_code)
            actions = list(db.session().scalars(select(AuditEvent.action).where(
                AuditEvent.action.like("request.tracking_code_resen%"))
                .order_by(AuditEvent.seq)))
            assert actions == ["request.tracking_code_resend_refused",
                               "request.tracking_code_resent"]
            assert new_code not in "".join(db.session().scalars(select(AuditEvent.details)))
    finally:
        server.stop()
