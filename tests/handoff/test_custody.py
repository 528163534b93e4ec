"""The chain of custody against the real DC: IT → liaison → unit head or responsable
(observación 6), each hop with TOTP, scoped, visible in the history and the audit log."""

from __future__ import annotations

from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import RequestEvent
from provisioning.audit.models import AuditEvent
from provisioning.dashboard import reminders
from provisioning.handoff.models import CustodyTransfer
from provisioning.notifications.models import OutboxMessage
from provisioning.staff.models import Role
from tests.support.handoff_flow import HOSPITAL, Scene, values


def transfers() -> list[tuple[str, str | None, str | None, int, bool]]:
    """(to_role, unit, jurisdiction, how many accounts, received) of the second hops."""
    return values(lambda: [
        (t.to_role, t.to_unit_clues, t.to_jurisdiction_code, len(t.items), t.received)
        for t in db.session().scalars(select(CustodyTransfer).where(
            CustodyTransfer.stage == "enlace_entrega").order_by(CustodyTransfer.id))])


def history(request_id: int) -> list[tuple[str, str, bool, str | None]]:
    return values(lambda: [(e.event, e.actor, e.public, e.reason) for e in db.session().scalars(
        select(RequestEvent).where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.id))])


def test_liaison_releases_to_each_holder_who_confirms_with_totp(dir_app, clock) -> None:
    scene = Scene(dir_app, clock).cast()
    ece_centro = scene.applicant("Fernanda", "Ocampo", "Ruiz")
    ece_hospital = scene.applicant("Gerardo", "Pineda", "Luna", unit=HOSPITAL)
    plain_centro = scene.applicant("Hilda", "Campos", "Vera", ece=False)
    ids = [ece_centro.request_id, ece_hospital.request_id, plain_centro.request_id]
    oficio_id = scene.received_oficio(ids)
    scene.create_accounts(oficio_id)
    reply_id = scene.reply(oficio_id)

    # Before the acuse of the reply the accounts are not in the liaison's care yet.
    early = scene.release(ids)
    assert early.status_code == 409 and "acuse" in early.get_data(as_text=True)
    scene.acknowledge_reply(reply_id)
    page = scene.people["enlace"][0].get("/entregas").get_data(as_text=True)
    assert "Cuentas bajo su resguardo (3)" in page
    assert "el responsable jurisdiccional de la Jurisdicción Sanitaria I" in page
    assert "el jefe(a) de la unidad Hospital" in page

    # Out of scope and wrong roles are refused; a wrong code releases nothing.
    other = scene.person("enlace.ii", Role.ENLACE, jurisdiction_code="II")
    clock.advance(seconds=30)
    assert other.post("/entregas/liberar", {"request_id": str(ids[0]),
                                            "code": scene.people["enlace.ii"][1].code()},
                      page="/panel").status_code == 404
    assert scene.post("it.dept", "/entregas/liberar", {"request_id": str(ids[0])}
                      ).status_code == 403
    assert scene.post("jefe.centro", "/entregas/liberar", {"request_id": str(ids[0])}
                      ).status_code == 403
    assert scene.post("enlace", "/entregas/liberar", {"request_id": [str(i) for i in ids],
                                                      "code": "000000"}).status_code == 401
    assert transfers() == []

    # One release, one transfer per receiver (observación 6 for the ECE centro de salud).
    assert scene.release(ids).status_code == 302
    assert transfers() == [
        ("jefe_unidad", "MSSSA000120", "I", 1, False),
        ("jefe_unidad", "MSSSA001270", "I", 1, False),
        ("responsable_jurisdiccional", None, "I", 1, False)]
    assert scene.release(ids).status_code == 409  # not in the liaison's care any more
    assert "Cuentas bajo su resguardo (0)" in scene.people["enlace"][0].get(
        "/entregas").get_data(as_text=True)

    # Each receiver sees only their own transfer, and confirms it with TOTP.
    by_receiver = values(lambda: {(t.to_role, t.to_unit_clues): t.id for t in
                                  db.session().scalars(select(CustodyTransfer).where(
                                      CustodyTransfer.stage == "enlace_entrega"))})
    hospital_transfer = by_receiver[("jefe_unidad", "MSSSA001270")]
    centro_transfer = by_receiver[("jefe_unidad", "MSSSA000120")]
    responsable_transfer = by_receiver[("responsable_jurisdiccional", None)]
    page = scene.people["jefe.centro"][0].get("/entregas").get_data(as_text=True)
    assert plain_centro.folio in page and ece_centro.folio not in page
    assert scene.post("jefe.hospital", f"/entregas/{centro_transfer}/recibir",
                      step_up=True).status_code == 404
    assert scene.post("responsable", f"/entregas/{hospital_transfer}/recibir",
                      step_up=True).status_code == 404
    assert scene.post("enlace", f"/entregas/{centro_transfer}/recibir",
                      step_up=True).status_code == 403
    assert scene.post("jefe.centro", f"/entregas/{centro_transfer}/recibir",
                      {"code": "000000"}).status_code == 401
    assert scene.post("jefe.centro", f"/entregas/{centro_transfer}/recibir",
                      step_up=True).status_code == 302
    assert scene.post("jefe.centro", f"/entregas/{centro_transfer}/recibir",
                      step_up=True).status_code == 409
    assert scene.post("responsable", f"/entregas/{responsable_transfer}/recibir",
                      step_up=True).status_code == 302
    page = scene.people["jefe.centro"][0].get("/entregas").get_data(as_text=True)
    assert "Por entregar en persona (1)" in page
    assert f"/entregas/cuentas/{plain_centro.request_id}" in page

    # Every hop is on the request's history (shown to the applicant) and in the audit log.
    steps = history(plain_centro.request_id)
    assert [s[0] for s in steps][-4:] == ["reply_oficio", "custody_received",
                                          "custody_released", "custody_received"]
    assert steps[-1][1] == "jefe.centro" and steps[-1][2] is True
    assert "Recibida por el jefe(a) de la unidad" in steps[-1][3]
    tracking = plain_centro.browser.post(
        "/seguimiento", {"folio": plain_centro.folio, "code": plain_centro.tracking_code},
        page="/seguimiento").get_data(as_text=True)
    assert "Recibida por el jefe(a) de la unidad" in tracking
    assert "Enviada por el enlace jurisdiccional" in tracking
    audited = values(lambda: [(e.action, e.actor, e.actor_role) for e in db.session().scalars(
        select(AuditEvent).where(AuditEvent.action.like("custody.%")).order_by(AuditEvent.seq))])
    assert ("custody.released", "jefe.it", "jefe_informatica") in audited
    assert ("custody.received", "enlace", "enlace") in audited
    assert ("custody.released", "enlace", "enlace") in audited
    assert ("custody.received", "jefe.centro", "jefe_unidad") in audited
    assert ("custody.received", "responsable", "responsable_jurisdiccional") in audited

    # The holders were told; each applicant learns to come in person (never a code).
    mails = values(lambda: [(m.kind, m.recipient, m.body) for m in db.session().scalars(
        select(OutboxMessage).where(OutboxMessage.kind.in_(["custodia", "codigo_listo"])))])
    assert ("custodia", "jefe.hospital@ssm.test") in [(k, r) for k, r, _ in mails]
    ready = [b for k, r, b in mails if k == "codigo_listo" and plain_centro.folio in b]
    assert len(ready) == 1 and "identificación oficial" in ready[0] and "/activar" in ready[0]
    assert not [b for k, r, b in mails if k == "codigo_listo" and ece_hospital.folio in b]

    # Accounts left waiting show up in the holders' daily reminder.
    clock.advance(days=7)
    waiting = values(lambda: {w.reference: w.recipients for w in reminders.overdue()})
    assert waiting[plain_centro.folio] == ("jefe.centro@ssm.test",)
    assert waiting[ece_hospital.folio] == ("jefe.hospital@ssm.test",)
    assert waiting[ece_centro.folio] == ("responsable@ssm.test",)
