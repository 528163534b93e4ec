"""The campaign test of issue 12 against the real DC: IT opens a review of two units; the
unit heads are reminded before the deadline (once per configured day), the responsable
jurisdiccional is told after it; a unit head confirms one account and revokes another with
one TOTP code, the revocation becomes a baja that the worker's job executes, disabling the
account on the DC; IT closes and signs the campaign (a PDF with a QR that /verificar
accepts) and its recurrence opens the next one six months later with a fresh snapshot.
Another unit's head sees and answers nothing."""

from __future__ import annotations

import re

from provisioning import db, timeutil
from provisioning.directory import accounts, connection
from provisioning.jobs import services as jobs
from provisioning.people.models import Person
from provisioning.reviews import services as reviews
from provisioning.staff.models import Role
from tests.support.documents import pdf_text, qr_texts
from tests.support.handoff_flow import CENTRO, HOSPITAL, Scene, ad_account, values
from tests.support.lifecycle import PASSWORD, actions, bajas_of, mails, person_id
from tests.support.reviews import campaigns, items_of, open_campaign, units_of

CENTRO_CLUES, HOSPITAL_CLUES = CENTRO["unit_clues"], HOSPITAL["unit_clues"]


def _sweep() -> reviews.Sweep:
    done = reviews.sweep()
    db.commit()
    return done


def test_campaign_reminds_escalates_and_revocations_disable_on_the_dc(siempre_app,
                                                                      clock) -> None:
    app, _ = siempre_app
    scene = Scene(app, clock).cast()
    scene.person("jefe.otro", Role.JEFE_UNIDAD, unit_clues="MSSSA000342")
    keep = scene.applicant("Ana", "Ruiz", "Campos", ece=False)
    leave = scene.applicant("Bruno", "Soto", "Díaz", ece=False)
    late = scene.applicant("Carla", "Mora", None, unit=HOSPITAL, ece=False)
    scene.create_accounts(scene.received_oficio([keep.request_id, leave.request_id,
                                                 late.request_id]))
    directory = connection.current()
    guid = ad_account(leave.request_id).guid
    accounts.set_password(directory, guid, PASSWORD)
    assert ad_account(leave.request_id).enabled

    # IT opens the campaign: the snapshot lists each unit's active accounts.
    assert scene.post("jefe.centro", "/revisiones", {"alcance": "todas"}).status_code == 403
    opened = open_campaign(scene, [CENTRO_CLUES, HOSPITAL_CLUES])
    assert opened.status_code == 302, opened.get_data(as_text=True)
    [campaign] = campaigns()
    assert campaign.status == "abierta" and campaign.folio.startswith("REVISION-")
    units = units_of(campaign.id)
    assert set(units) == {CENTRO_CLUES, HOSPITAL_CLUES}
    centro, hospital = units[CENTRO_CLUES], units[HOSPITAL_CLUES]
    by_person = {i.person_id: i for i in items_of(centro.id)}
    assert set(by_person) == {person_id(keep.request_id), person_id(leave.request_id)}
    assert [i.person_id for i in items_of(hospital.id)] == [person_id(late.request_id)]
    assert mails("revision_abierta") == ["jefe.centro@ssm.test", "jefe.hospital@ssm.test"]

    # Only each unit's own head sees its accounts; the responsable reads, never answers.
    head = scene.people["jefe.centro"][0]
    page = head.get(f"/revisiones/unidades/{centro.id}").get_data(as_text=True)
    assert "ANA RUIZ CAMPOS" in page and "BRUNO SOTO DÍAZ" in page
    outsider = scene.people["jefe.hospital"][0]
    assert outsider.get(f"/revisiones/unidades/{centro.id}").status_code == 404
    item = by_person[person_id(leave.request_id)]
    stolen = scene.post("jefe.hospital", f"/revisiones/unidades/{centro.id}/responder",
                        {f"decision-{item.id}": "revocar", f"motivo-{item.id}": "renuncia"},
                        step_up=True)
    assert stolen.status_code == 404
    other = scene.people["jefe.otro"][0]
    assert other.get(f"/revisiones/{campaign.id}").status_code == 404
    assert campaign.folio not in other.get("/revisiones").get_data(as_text=True)
    assert "BRUNO" not in outsider.get(f"/revisiones/{campaign.id}").get_data(as_text=True)
    assert scene.people["responsable"][0].get(
        f"/revisiones/unidades/{centro.id}").status_code == 200
    assert scene.post("responsable", f"/revisiones/unidades/{centro.id}/responder",
                      {f"decision-{item.id}": "confirmar"}, step_up=True).status_code == 403
    assert {i.decision for i in items_of(centro.id)} == {"pendiente"}

    # Reminders: none 10 days ahead; at 7 days both heads, once.
    assert _sweep().reminders == 0
    clock.advance(days=3)
    assert _sweep().reminders == 2
    assert _sweep().reminders == 0
    assert mails("revision_recordatorio") == ["jefe.centro@ssm.test", "jefe.hospital@ssm.test"]

    # The centro's head: confirms one, revokes the other, with one code.
    head = scene.sign_in_again("jefe.centro")
    board = head.get("/tablero").get_data(as_text=True)
    assert "Revisiones de acceso abiertas" in board and "0 de 2" in board
    kept = by_person[person_id(keep.request_id)]
    answered = scene.post("jefe.centro", f"/revisiones/unidades/{centro.id}/responder",
                          {f"decision-{kept.id}": "confirmar", f"decision-{item.id}": "revocar",
                           f"motivo-{item.id}": "renuncia"}, step_up=True)
    assert answered.status_code == 302, answered.get_data(as_text=True)
    decided = {i.person_id: i for i in items_of(centro.id)}
    assert decided[kept.person_id].decision == "confirmada"
    assert len(decided[kept.person_id].content_sha256) == 64
    [baja] = bajas_of(person_id(leave.request_id))
    assert decided[item.person_id].baja_id == baja.id and baja.status == "programada"
    assert baja.reason_detail.startswith(f"Revocada en la revisión de acceso {campaign.folio}")
    assert units_of(campaign.id)[CENTRO_CLUES].completed_at is not None
    jobs.run_pending()
    [baja] = bajas_of(person_id(leave.request_id))
    assert baja.status == "ejecutada"
    after = ad_account(leave.request_id)
    assert after.guid == guid and not after.enabled and "OU=Bajas" in after.dn
    assert actions(baja.folio) == ["baja.started", "baja.signed", "baja.scheduled",
                                   "handoff.codes_revoked", "directory.account_disabled",
                                   "baja.executed"]
    assert "review.item_revoked" in actions(campaign.folio, "review")
    assert "2 de 2" in scene.sign_in_again("jefe.centro").get("/tablero").get_data(as_text=True)

    # At 2 days only the hospital still has accounts pending; after the deadline its
    # responsable jurisdiccional is told, once.
    clock.advance(days=5)
    assert _sweep().reminders == 1
    clock.advance(days=3)
    done = _sweep()
    assert (done.reminders, done.escalations) == (0, 1)
    assert _sweep().escalations == 0
    assert mails("revision_escalada") == ["jefe.hospital@ssm.test", "responsable@ssm.test"]
    assert actions(campaign.folio, "review").count("review.escalated") == 1

    # IT closes and signs; the report lists the answers; /verificar knows it.
    scene.sign_in_again("jefe.it")
    closed = scene.post("jefe.it", f"/revisiones/{campaign.id}/cerrar", step_up=True)
    assert closed.status_code == 302, closed.get_data(as_text=True)
    [campaign, following] = campaigns()
    assert campaign.status == "cerrada" and len(campaign.content_sha256) == 64
    assert following.status == "programada" and following.previous_id == campaign.id
    assert following.starts_on == reviews.add_months(campaign.starts_on, 6)
    report = scene.people["jefe.it"][0].get(f"/revisiones/{campaign.id}/pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"
    text = pdf_text(report.data)
    for expected in (campaign.folio, "REVISIÓN DE DERECHOS DE ACCESO", "BRUNO SOTO DÍAZ",
                     "Revocada", "Confirmada", "Sin respuesta", baja.folio,
                     campaign.content_sha256[:32]):
        assert expected in text, expected
    (url,) = qr_texts(report.data)
    code = re.search(r"/verificar/([2-9A-Z]{5}-[2-9A-Z]{5})$", url).group(1)
    verified = scene.people["jefe.it"][0].get(f"/verificar/{code}")
    body = verified.get_data(as_text=True)
    assert verified.status_code == 200 and "Informe de revisión de acceso" in body
    assert campaign.folio in body and "BRUNO" not in body

    # Six months later the sweep opens the next one: the revoked account is gone.
    clock.advance(days=(following.starts_on - timeutil.local_today()).days + 1)
    assert _sweep().opened == [following.folio]
    units = units_of(following.id)
    assert [i.person_id for i in items_of(units[CENTRO_CLUES].id)] == [kept.person_id]


def test_answers_are_checked_before_anything_is_written(app, clock) -> None:
    scene = Scene(app, clock).cast()
    one = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
    scene.received_oficio([one.request_id])
    scene.record_accounts([one.request_id])
    bad = open_campaign(scene, [CENTRO_CLUES], days=0, recurrencia_meses="abc",
                        dias_recordatorio="siete")
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "posterior a hoy" in text and "cada cuántos meses" in text and "por comas" in text
    assert campaigns() == []
    assert open_campaign(scene, [], alcance="elegidas").status_code == 400
    assert open_campaign(scene, [CENTRO_CLUES]).status_code == 302
    [campaign] = campaigns()
    [item] = items_of(units_of(campaign.id)[CENTRO_CLUES].id)
    path = f"/revisiones/unidades/{item.review_unit_id}/responder"

    empty = scene.post("jefe.centro", path, {}, step_up=True)
    assert empty.status_code == 400 and "al menos una cuenta" in empty.get_data(as_text=True)
    no_detail = scene.post("jefe.centro", path, {f"decision-{item.id}": "revocar",
                                                 f"motivo-{item.id}": "otra"}, step_up=True)
    assert no_detail.status_code == 400
    assert "al menos 10 caracteres" in no_detail.get_data(as_text=True)
    wrong = scene.post("jefe.centro", path, {f"decision-{item.id}": "revocar",
                                             f"motivo-{item.id}": "renuncia",
                                             "code": "000000"})
    assert wrong.status_code in (400, 401)
    assert items_of(item.review_unit_id)[0].decision == "pendiente"
    assert bajas_of(item.person_id) == []

    ok = scene.post("jefe.centro", path, {f"decision-{item.id}": "confirmar"}, step_up=True)
    assert ok.status_code == 302
    # The person's data export (ARCO) shows the answer.
    [row] = values(lambda: reviews.export_rows(db.session().get(Person, item.person_id)))
    assert row["revision"] == campaign.folio and row["respuesta"] == "Confirmada"
    again = scene.post("jefe.centro", path, {f"decision-{item.id}": "revocar",
                                             f"motivo-{item.id}": "renuncia"}, step_up=True)
    assert again.status_code == 400 and "ya tiene respuesta" in again.get_data(as_text=True)
    assert bajas_of(item.person_id) == []
    # Closing needs IT and a code; a closed campaign takes no answers.
    assert scene.post("jefe.centro", f"/revisiones/{campaign.id}/cerrar",
                      step_up=True).status_code == 403
    assert scene.post("it.dept", f"/revisiones/{campaign.id}/cerrar",
                      {"code": "000000"}).status_code in (400, 401)
    assert scene.post("it.dept", f"/revisiones/{campaign.id}/cerrar",
                      step_up=True).status_code == 302
    assert scene.post("it.dept", f"/revisiones/{campaign.id}/cerrar",
                      step_up=True).status_code == 409
    assert [c.status for c in campaigns()] == ["cerrada", "programada"]


def test_accounts_in_scope_leaves_out_retired_and_leaving_people(app, clock) -> None:
    from provisioning.lifecycle import services as lifecycle
    from provisioning.staff import services as staff

    scene = Scene(app, clock).cast()
    people = [scene.applicant(n, "Vega", "Luna", ece=False) for n in ("Rita", "Saúl")]
    no_account = scene.applicant("Tomás", "Vega", "Luna", ece=False)
    scene.received_oficio([p.request_id for p in people] + [no_account.request_id])
    scene.record_accounts([p.request_id for p in people])
    it = staff.principal_for(staff.by_username("it.dept"))
    leaving = db.session().get(Person, person_id(people[1].request_id))
    lifecycle.start(it, leaving, lifecycle.BajaInput("renuncia", None,
                                                     timeutil.local_today()), ip=None)
    db.commit()
    found = reviews.accounts_in_scope(CENTRO_CLUES)
    assert [s.person.id for s in found] == [person_id(people[0].request_id)]
    assert reviews.accounts_in_scope(HOSPITAL_CLUES) == []
    assert reviews.add_months(timeutil.local_today().replace(month=8, day=31), 6).day == 28
    assert reviews.add_months(timeutil.local_today().replace(month=1, day=31), 1) \
        == timeutil.local_today().replace(month=2, day=28)


def test_the_sweep_command_reminds_like_the_worker(app, clock) -> None:
    scene = Scene(app, clock).cast()
    one = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
    scene.received_oficio([one.request_id])
    scene.record_accounts([one.request_id])
    assert open_campaign(scene, [CENTRO_CLUES], days=2).status_code == 302
    result = app.test_cli_runner().invoke(args=["reviews", "sweep"])
    assert result.exit_code == 0, result.output
    assert "recordatorios: 1" in result.output
    assert mails("revision_recordatorio") == ["jefe.centro@ssm.test"]
    again = app.test_cli_runner().invoke(args=["reviews", "sweep"])
    assert "recordatorios: 0" in again.output
