"""Custody hops in batches, with one TOTP code: the liaison's acuse of several reply oficios
and the holder's receipt of several transfers. Each item is recorded as if acted on alone
(its own receipt, history note and audit event); one item out of scope or in the wrong state,
a wrong code or an empty selection changes nothing, and wrong codes lock the account as
anywhere else (the code is checked before anything is written)."""

from __future__ import annotations

from sqlalchemy import func, select

from provisioning import db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.handoff.models import CustodyTransfer
from provisioning.notifications.models import OutboxMessage
from provisioning.oficios.models import Oficio
from provisioning.staff.models import Role, StaffUser
from tests.support.handoff_flow import HOSPITAL, Scene, values

TRIES = 5  # [security].max_failed_logins
NAMES = [("Rosa", "Quintero", "Salas"), ("Óscar", "Velázquez", None),
         ("Fernanda", "Ocampo", "Ruiz")]


def events(action: str) -> list[str]:
    """The object ids of the audit events ``action``, in order."""
    return values(lambda: list(db.session().scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == action)
        .order_by(AuditEvent.seq))))


def statuses(oficio_ids: list[int]) -> list[str]:
    return values(lambda: [db.session().get(Oficio, i).status for i in oficio_ids])


def received(transfer_ids: list[int]) -> list[bool]:
    return values(lambda: [db.session().get(CustodyTransfer, i).received
                           for i in transfer_ids])


def locked(username: str) -> bool:
    user = values(lambda: db.session().scalar(
        select(StaffUser).where(StaffUser.username == username)))
    return user.locked_until is not None and user.locked_until > timeutil.now()


def lock_out(scene: Scene, who: str, path: str, data: dict) -> None:
    """``TRIES`` wrong codes on a batch form: refused each time, then the account is locked
    (the failure count survived each refused batch)."""
    for attempt in range(TRIES):
        refused = scene.post(who, path, {**data, "code": "000000"})
        assert refused.status_code in (401, 403), (attempt, refused.status_code)
    assert locked(who) and events("staff.locked").count(who) == 1


def _replies(scene: Scene, count: int) -> tuple[list[int], list[int]]:
    """``count`` received oficios, their accounts recorded, and IT's reply to each."""
    envios, replies = [], []
    for nombres, primer, segundo in NAMES[:count]:
        applicant = scene.applicant(nombres, primer, segundo, ece=False)
        envios.append(scene.received_oficio([applicant.request_id]))
        scene.record_accounts([applicant.request_id])
        replies.append(scene.reply(envios[-1]))
    return envios, replies


def test_liaison_acknowledges_several_replies_with_one_code(app, clock) -> None:
    scene = Scene(app, clock).cast()
    scene.person("enlace.b", Role.ENLACE, jurisdiction_code="I")
    scene.person("enlace.ii", Role.ENLACE, jurisdiction_code="II")
    envios, (first, second, third) = _replies(scene, 3)
    page = scene.people["enlace"][0].get("/entregas").get_data(as_text=True)
    assert page.count('name="oficio_id"') == 3
    assert "Acusar de recibido los oficios elegidos" in page
    path = "/oficios/acuse-respuestas"
    both = {"oficio_id": [str(first), str(second)]}

    # Refused, nothing written: another jurisdiction's liaison (404, not revealed), an envío
    # among the replies (403), no selection (400), IT (403).
    assert scene.post("enlace.ii", path, both, step_up=True).status_code == 404
    mixed = scene.post("enlace", path, {"oficio_id": [str(first), str(envios[0])]},
                       step_up=True)
    assert mixed.status_code == 403 and "oficio de envío" in mixed.get_data(as_text=True)
    empty = scene.post("enlace", path, {}, step_up=True)
    assert empty.status_code == 400 and "Elija al menos un oficio" in empty.get_data(
        as_text=True)
    assert scene.post("it.dept", path, both).status_code == 403
    # Wrong codes lock the other liaison; the count survives the refused batches.
    lock_out(scene, "enlace.b", path, both)
    assert statuses([first, second, third]) == ["enviado"] * 3
    assert events("custody.received") == []

    # One code acknowledges both, each with its own acuse and custody receipt.
    done = scene.post("enlace", path, both, step_up=True)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert statuses([first, second, third]) == ["recibido", "recibido", "enviado"]
    numbers = values(lambda: [db.session().get(Oficio, i).number for i in (first, second)])
    assert events("oficio.replies_acknowledged") == ["enlace"]
    assert [n for n in events("oficio.acknowledged") if n in numbers] == numbers
    transfers = values(lambda: list(db.session().scalars(
        select(CustodyTransfer.id).where(CustodyTransfer.oficio_id.in_([first, second]))
        .order_by(CustodyTransfer.id))))
    assert events("custody.received") == [str(t) for t in transfers]
    assert received(transfers) == [True, True]
    page = scene.people["enlace"][0].get("/entregas").get_data(as_text=True)
    assert "Cuentas bajo su resguardo (2)" in page

    # One already acknowledged with one still waiting: 409, the waiting one stays so.
    again = scene.post("enlace", path, {"oficio_id": [str(third), str(first)]}, step_up=True)
    assert again.status_code == 409 and "no está en espera de acuse" in again.get_data(
        as_text=True)
    assert statuses([third]) == ["enviado"]
    assert len(events("oficio.replies_acknowledged")) == 1


def test_holder_confirms_several_transfers_with_one_code(app, clock) -> None:
    scene = Scene(app, clock).cast()
    scene.person("jefe.centro.b", Role.JEFE_UNIDAD, unit_clues="MSSSA000120")
    people = [scene.applicant("Hilda", "Campos", "Vera", ece=False),
              scene.applicant("Iván", "Zúñiga", "Ortega", ece=False),
              scene.applicant("Elena", "Bravo", "Ríos", ece=False),
              scene.applicant("Gerardo", "Pineda", "Luna", unit=HOSPITAL)]
    ids = [p.request_id for p in people]
    oficio_id = scene.received_oficio(ids)
    scene.record_accounts(ids)
    scene.acknowledge_reply(scene.reply(oficio_id))
    for request_id in ids:  # one release each: four transfers, three to the centro's head
        assert scene.release([request_id]).status_code == 302
    t1, t2, t3, hospital = values(lambda: list(db.session().scalars(
        select(CustodyTransfer.id).where(CustodyTransfer.stage == "enlace_entrega")
        .order_by(CustodyTransfer.id))))
    page = scene.people["jefe.centro"][0].get("/entregas").get_data(as_text=True)
    assert page.count('name="transfer_id"') == 3
    assert "Confirmar que recibí las entregas elegidas" in page
    path = "/entregas/recibir"
    before = len(events("custody.received"))  # the liaison's acuse of the reply

    # Refused, nothing received: another unit's transfer among them (404), no selection
    # (400), the liaison (403); wrong codes lock the other head of the unit.
    out = scene.post("jefe.centro", path, {"transfer_id": [str(t1), str(hospital)]},
                     step_up=True)
    assert out.status_code == 404
    empty = scene.post("jefe.centro", path, {}, step_up=True)
    assert empty.status_code == 400 and "Elija al menos una entrega" in empty.get_data(
        as_text=True)
    assert scene.post("enlace", path, {"transfer_id": str(t1)}).status_code == 403
    lock_out(scene, "jefe.centro.b", path, {"transfer_id": [str(t1), str(t2)]})
    assert received([t1, t2, t3, hospital]) == [False] * 4
    assert len(events("custody.received")) == before

    # One code confirms two transfers, each with its own receipt and notices.
    mails = values(lambda: db.session().scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.kind == "codigo_listo")))
    done = scene.post("jefe.centro", path, {"transfer_id": [str(t1), str(t2)]}, step_up=True)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert received([t1, t2, t3, hospital]) == [True, True, False, False]
    assert events("custody.received")[before:] == [str(t1), str(t2)]
    assert events("custody.batch_received") == ["jefe.centro"]
    assert values(lambda: db.session().scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.kind == "codigo_listo"))) == mails + 2

    # One already received with one waiting: 409, the waiting one stays waiting.
    again = scene.post("jefe.centro", path, {"transfer_id": [str(t3), str(t1)]}, step_up=True)
    assert again.status_code == 409 and "ya confirmó la recepción" in again.get_data(
        as_text=True)
    assert received([t3]) == [False]
