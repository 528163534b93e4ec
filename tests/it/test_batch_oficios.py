"""IT acts on several oficios from its inbox at once: the acuse de recibo of several, and the
accounts of several received oficios in one batch. Each oficio is recorded as if acted on
alone (its own receipt and events, the same provisioning jobs); one oficio in the wrong
state, of the wrong kind or missing changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.it import services as it
from provisioning.it.models import ProvisioningBatch
from provisioning.jobs.models import Job
from provisioning.oficios.models import Oficio
from tests.support.handoff_flow import HOSPITAL, Scene, status_of, values

NAMES = [("Rosa", "Quintero", "Salas"), ("Óscar", "Velázquez", None),
         ("Fernanda", "Ocampo", "Ruiz"), ("Hilda", "Campos", "Vera")]


def events(action: str) -> list[str]:
    """The object ids of the audit events ``action``, in order."""
    return values(lambda: list(db.session().scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == action)
        .order_by(AuditEvent.seq))))


def sent_oficio(scene: Scene, n: int) -> tuple[int, int]:
    """An oficio the liaison signed with one new request (not acknowledged yet)."""
    nombres, primer, segundo = NAMES[n]
    applicant = scene.applicant(nombres, primer, segundo, ece=False,
                                unit=HOSPITAL if n % 2 else {"unit_clues": "MSSSA000120"})
    response = scene.post("enlace", "/oficios", {"request_id": str(applicant.request_id),
                                                 "subject": "Altas"}, step_up=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1]), applicant.request_id


def test_it_acknowledges_several_oficios_at_once(app, clock) -> None:
    scene = Scene(app, clock).cast()
    (first, r1), (second, r2), (third, r3) = (sent_oficio(scene, n) for n in range(3))
    inbox = scene.people["it.dept"][0].get("/informatica/oficios").get_data(as_text=True)
    assert inbox.count('name="oficio_id"') == 3
    assert "Acusar de recibido los oficios elegidos" in inbox
    path = "/informatica/oficios/acuse"

    # Refused, nothing written: the liaison (403), no selection (400), a missing oficio
    # among them (404).
    assert scene.post("enlace", path, {"oficio_id": str(first)}).status_code == 403
    empty = scene.post("it.dept", path, {})
    assert empty.status_code == 400 and "Elija al menos un oficio" in empty.get_data(
        as_text=True)
    assert scene.post("it.dept", path, {"oficio_id": [str(first), "987654"]}
                      ).status_code == 404
    assert events("oficio.acknowledged") == []

    done = scene.post("it.dept", path, {"oficio_id": [str(first), str(second)]})
    assert done.status_code == 302, done.get_data(as_text=True)
    rows = values(lambda: [(o.number, o.status, o.receipt_sha256 == o.content_sha256)
                           for o in (db.session().get(Oficio, i)
                                     for i in (first, second, third))])
    assert [(s, same) for _, s, same in rows] == [("recibido", True), ("recibido", True),
                                                  ("enviado", False)]
    numbers = [n for n, _, _ in rows]
    assert events("oficio.acknowledged") == numbers[:2]
    assert events("oficio.batch_acknowledged") == ["it.dept"]
    assert [status_of(r) for r in (r1, r2, r3)] == ["recibida_informatica"] * 2 + ["en_oficio"]

    # One already received with one waiting: 409, the waiting one is not acknowledged.
    again = scene.post("it.dept", path, {"oficio_id": [str(third), str(first)]})
    assert again.status_code == 409 and "no está en espera de acuse" in again.get_data(
        as_text=True)
    assert status_of(r3) == "en_oficio" and len(events("oficio.acknowledged")) == 2


def test_it_creates_the_accounts_of_several_oficios_at_once(dir_app, clock) -> None:
    scene = Scene(dir_app, clock).cast()
    (first, r1), (second, r2), (third, _) = (sent_oficio(scene, n) for n in range(3))
    for oficio_id in (first, second):
        assert scene.post("it.dept", f"/oficios/{oficio_id}/acuse").status_code == 302
    inbox = scene.people["it.dept"][0].get("/informatica/oficios").get_data(as_text=True)
    assert "Crear las cuentas de los oficios elegidos" in inbox
    path = "/informatica/oficios/crear-cuentas"

    def jobs() -> int:
        return values(lambda: db.session().scalar(select(func.count()).select_from(Job)
                                                  .where(Job.kind == it.KIND)))

    # A sent (not received) oficio among them: 409, nothing queued; the liaison: 403.
    refused = scene.post("it.dept", path, {"oficio_id": [str(first), str(third)]})
    assert refused.status_code == 409 and "registre primero el acuse" in refused.get_data(
        as_text=True)
    assert scene.post("enlace", path, {"oficio_id": str(first)}).status_code == 403
    assert jobs() == 0 and events("directory.queued") == []

    done = scene.post("it.dept", path, {"oficio_id": [str(first), str(second)]})
    assert done.status_code == 302, done.get_data(as_text=True)
    batch = values(lambda: db.session().scalar(select(ProvisioningBatch)))
    assert done.headers["Location"] == f"/informatica/lotes/{batch.id}"
    assert sorted(batch.request_ids) == sorted([r1, r2])
    # The same jobs the single oficio queues: one per request, by its idempotency key.
    keys = values(lambda: sorted(db.session().scalars(
        select(Job.key).where(Job.kind == it.KIND))))
    assert keys == sorted(it.job_key(r) for r in (r1, r2))
    assert len(events("directory.queued")) == 2
    numbers = values(lambda: [db.session().get(Oficio, i).number for i in (first, second)])
    assert events("oficio.provisioning_queued") == numbers

    # Again: nothing is waiting in the first oficio, so nothing is queued at all.
    assert scene.post("it.dept", path, {"oficio_id": [str(first)]}).status_code == 409
    assert jobs() == 2
