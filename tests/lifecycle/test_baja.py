"""The baja through its pages: started by a unit head (who signs it with the same code), by
the liaison (the unit head signs it later) or urgent by IT; executed by the job on its
effective date against the real DC; scoped, refused twice, cancellable, and every bad input
answered in Spanish with a 4xx and nothing written."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select, update

from provisioning import audit, db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.it import services as it
from provisioning.jobs import services as jobs
from provisioning.jobs.models import CANCELLED, QUEUED, Job
from provisioning.people.accounts import DirectoryAccount
from provisioning.staff.models import Role
from tests.support.factories import received_request
from tests.support.handoff_flow import (
    Scene,
    activate,
    ad_account,
    code_row,
    delivered_scene,
    error_text,
    status_of,
    values,
)
from tests.support.lifecycle import PASSWORD, actions, baja_form, bajas_of, day, mails, person_id


def test_unit_head_signs_and_the_job_disables_on_the_effective_date(on_dc, clock) -> None:
    scene, applicant, pid = on_dc
    before = ad_account(applicant.request_id)
    assert before.enabled and before.groups
    listing = scene.people["jefe.centro"][0].get("/personas?q=bravo")
    assert listing.status_code == 200 and "ELENA BRAVO RÍOS" in listing.get_data(as_text=True)
    page = scene.people["jefe.centro"][0].get(f"/personas/{pid}")
    assert page.status_code == 200 and "Habilitada" in page.get_data(as_text=True)

    response = scene.post("jefe.centro", f"/personas/{pid}/baja",
                          baja_form(fecha_efectiva=day(2)), step_up=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    [baja] = bajas_of(pid)
    assert baja.status == "programada" and baja.folio.startswith("BAJA-")
    jobs.run_pending()
    assert ad_account(applicant.request_id).enabled  # not before its date

    clock.advance(days=2)
    jobs.run_pending()
    [baja] = bajas_of(pid)
    assert baja.status == "ejecutada"
    after = ad_account(applicant.request_id)
    assert after.guid == before.guid and not after.enabled
    assert after.groups == ()
    assert "OU=Bajas" in after.dn
    assert after.expires_at == timeutil.start_of_day(baja.effective_date)
    # the alta was still waiting for its hand-off: the baja closes it before the DC step
    assert actions(baja.folio) == ["baja.started", "baja.signed", "baja.scheduled",
                                   "handoff.codes_revoked", "directory.account_disabled",
                                   "baja.executed"]
    assert status_of(applicant.request_id) == "cancelada"
    assert mails("baja_ejecutada") == ["jefe.centro@ssm.test"]
    page = scene.sign_in_again("jefe.centro").get(f"/personas/{pid}")
    text = page.get_data(as_text=True)
    assert "Deshabilitada" in text and baja.folio in text and "OU=Bajas" in text

    jobs.run_pending()  # run again: nothing more is done or recorded
    assert actions(baja.folio).count("baja.executed") == 1


def test_urgent_baja_runs_at_once_and_tells_the_unit_head(on_dc) -> None:
    scene, applicant, pid = on_dc
    refused = scene.post("jefe.centro", f"/personas/{pid}/baja-urgente",
                         baja_form(detalle="Credencial robada el fin de semana"), step_up=True)
    assert refused.status_code == 403
    no_reason = scene.post("it.dept", f"/personas/{pid}/baja-urgente", baja_form(),
                           step_up=True)
    assert no_reason.status_code == 400
    assert "al menos 10 caracteres" in no_reason.get_data(as_text=True)
    wrong_code = scene.post("it.dept", f"/personas/{pid}/baja-urgente",
                            {**baja_form(detalle="Credencial robada"), "code": "000000"})
    assert wrong_code.status_code in (400, 401, 403)
    assert bajas_of(pid) == []

    response = scene.post("it.dept", f"/personas/{pid}/baja-urgente",
                          baja_form(motivo="otra", detalle="Credencial robada en turno"),
                          step_up=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert mails("baja_urgente") == ["jefe.centro@ssm.test"]
    jobs.run_pending()
    [baja] = bajas_of(pid)
    assert baja.urgent and baja.status == "ejecutada"
    assert not ad_account(applicant.request_id).enabled
    with pytest.raises(Exception):  # noqa: B017 - whichever refusal the DC gives
        connection.current().check_credentials(ad_account(applicant.request_id).dn, PASSWORD)


def test_liaison_starts_the_unit_head_signs_and_others_see_nothing(with_account) -> None:
    scene, pid = with_account
    scene.person("jefe.otro", Role.JEFE_UNIDAD, unit_clues="MSSSA000611")
    scene.person("enlace.ii", Role.ENLACE, jurisdiction_code="II")
    response = scene.post("enlace", f"/personas/{pid}/baja", baja_form(fecha_efectiva=day(5)))
    assert response.status_code == 302, response.get_data(as_text=True)
    [baja] = bajas_of(pid)
    assert baja.status == "solicitada" and baja.started_role == "enlace"
    assert mails("baja_por_firmar") == ["jefe.centro@ssm.test"]

    for outsider in ("jefe.otro", "enlace.ii"):
        browser = scene.people[outsider][0]
        assert browser.get(f"/personas/{pid}").status_code == 404
        assert browser.get(f"/bajas/{baja.id}").status_code == 404
        assert scene.post(outsider, f"/bajas/{baja.id}/cancelar",
                          {"motivo_cancelacion": "No procede"}).status_code == 404
        assert baja.folio not in browser.get("/bajas").get_data(as_text=True)
    assert scene.post("jefe.otro", f"/bajas/{baja.id}/firmar", step_up=True).status_code == 404
    assert scene.post("enlace", f"/bajas/{baja.id}/firmar", step_up=True).status_code == 403

    again = scene.post("enlace", f"/personas/{pid}/baja", baja_form())
    assert again.status_code == 409
    assert "ya tiene una baja en curso" in again.get_data(as_text=True)
    assert len(bajas_of(pid)) == 1

    wrong = scene.post("jefe.centro", f"/bajas/{baja.id}/firmar", {"code": "000000"})
    assert wrong.status_code in (400, 401, 403) and bajas_of(pid)[0].status == "solicitada"
    inbox = scene.people["jefe.centro"][0].get("/bajas").get_data(as_text=True)
    assert "Por firmar" in inbox and baja.folio in inbox
    board = scene.people["jefe.centro"][0].get("/tablero").get_data(as_text=True)
    assert re.search(r"Bajas que esperan su firma</dt><dd><a href=\"/bajas\">1<", board)
    board = scene.people["jefe.otro"][0].get("/tablero").get_data(as_text=True)
    assert re.search(r"Bajas por firmar</dt><dd><a href=\"/bajas\">0<", board)
    signed = scene.post("jefe.centro", f"/bajas/{baja.id}/firmar", step_up=True)
    assert signed.status_code == 302
    [baja] = bajas_of(pid)
    assert baja.status == "programada"
    job = values(lambda: db.session().scalar(select(Job).where(Job.key == f"baja:{baja.id}")))
    assert job.status == QUEUED
    assert job.run_after == timeutil.start_of_day(baja.effective_date)

    no_reason = scene.post("jefe.centro", f"/bajas/{baja.id}/cancelar", {})
    assert no_reason.status_code == 400 and "al menos 5 caracteres" in error_text(no_reason)
    cancelled = scene.post("jefe.centro", f"/bajas/{baja.id}/cancelar",
                           {"motivo_cancelacion": "Se reincorpora a la unidad"})
    assert cancelled.status_code == 302
    assert bajas_of(pid)[0].status == "cancelada"
    assert values(lambda: db.session().get(Job, job.id).status) == CANCELLED
    # Cancelled: a new baja may be started.
    assert scene.post("enlace", f"/personas/{pid}/baja", baja_form()).status_code == 302
    # Her data export (ARCO) lists both, with the signature.
    applicant = scene.applicant_of
    assert applicant.browser.post("/mis-datos", {"folio": applicant.folio,
                                                 "code": applicant.tracking_code},
                                  page="/mis-datos").status_code == 302
    export = json.loads(applicant.browser.get("/mis-datos/descarga.json").get_data(as_text=True))
    (section,) = [s for s in export["otras_secciones"] if s["titulo"].startswith("Sus bajas")]
    assert [r["estado"] for r in section["filas"]] == ["Por firmar", "Cancelada"]
    assert "PERSONA JEFE.CENTRO" in section["filas"][1]["firmas"]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"motivo": "despido"}, "motivo", "Elija el motivo"),
    ({"fecha_efectiva": "31/02/2026"}, "fecha_efectiva", "dd/mm/aaaa"),
    ({"fecha_efectiva": "01/01/2020"}, "fecha_efectiva", "anterior a hoy"),
    ({"fecha_efectiva": "01/01/2099"}, "fecha_efectiva", "próximo año"),
    ({"motivo": "otra"}, "detalle", "Especifique el motivo"),
    ({"detalle": "x" * 501}, "detalle", "como máximo 500"),
    ({"detalle": "hola\u202emundo largo"}, "detalle", "caracteres"),
])
def test_bad_input_is_a_spanish_400_and_writes_nothing(with_account, changes, field,
                                                       message) -> None:
    scene, pid = with_account
    events = values(lambda: db.session().scalar(select(func.count()).select_from(AuditEvent)))
    response = scene.post("jefe.centro", f"/personas/{pid}/baja", baja_form(**changes),
                          step_up=True)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert f'id="{field}"' in response.get_data(as_text=True)
    assert bajas_of(pid) == []
    # Only the read of the page that answered is audited.
    new = values(lambda: list(db.session().scalars(
        select(AuditEvent.action).where(AuditEvent.seq > events))))
    assert "baja.started" not in new


def test_no_recorded_account_no_baja(app, clock) -> None:
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Rosa", "Quintero", "Salas", ece=False)
    pid = person_id(applicant.request_id)
    response = scene.post("jefe.centro", f"/personas/{pid}/baja", baja_form(), step_up=True)
    assert response.status_code == 409
    assert "no hay nada que dar de baja" in response.get_data(as_text=True)
    assert bajas_of(pid) == []


def test_reingreso_links_the_disabled_account_only_after_it_confirms(on_dc, clock) -> None:
    scene, applicant, pid = on_dc
    assert scene.post("it.dept", f"/personas/{pid}/baja-urgente",
                      baja_form(detalle="Término anticipado del contrato"),
                      step_up=True).status_code == 302
    jobs.run_pending()
    retired = ad_account(applicant.request_id)
    assert not retired.enabled and "OU=Bajas" in retired.dn and retired.expires_at
    # Her first alta ended long ago; she comes back with a new request, received by IT.
    db.session().execute(update(AccountRequest).where(AccountRequest.id == applicant.request_id)
                         .values(status="acceso_activo", closed_at=timeutil.now()))
    again = received_request("Elena", "Bravo", "Ríos", curp_value=applicant.curp,
                             wants_ece=False)
    db.commit()
    assert again.person_id == pid  # the same person: her history stays one
    it.queue_provisioning([again.id], actor=audit.Actor("lucia", "informatica"))
    db.commit()
    jobs.run_pending()

    # Never silently: the job waits for IT, and the account is untouched.
    job = values(lambda: db.session().scalar(select(Job).where(Job.key == it.job_key(again.id))))
    assert job.status == "waiting"
    assert ad_account_by_guid(retired.guid).dn == retired.dn
    page = scene.people["it.dept"][0].get(f"/informatica/solicitudes/{again.id}/vinculo")
    assert page.status_code == 200 and "está deshabilitada" in page.get_data(as_text=True)
    confirmed = scene.post("it.dept", f"/informatica/solicitudes/{again.id}/vinculo/confirmar",
                           step_up=True)
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    jobs.run_pending()

    back = ad_account_by_guid(retired.guid)
    assert back.guid == retired.guid
    assert "OU=Bajas" not in back.dn
    assert back.dn.lower().endswith(connection.current().absolute(
        connection.current().settings.users_ou).lower())
    assert back.expires_at is None
    assert not back.enabled  # enabled only by her activation, through the custody chain
    row = values(lambda: db.session().scalar(select(DirectoryAccount).where(
        DirectoryAccount.request_id == again.id)))
    assert (row.object_guid, row.origin, row.person_id) == (retired.guid, "linked", pid)
    assert values(lambda: db.session().get(AccountRequest, again.id).status) == "cuenta_creada"
    record = scene.sign_in_again("jefe.centro").get(f"/personas/{pid}").get_data(as_text=True)
    assert again.folio in record and applicant.folio in record and "BAJA-" in record


def ad_account_by_guid(guid: str) -> accounts.Account:
    return accounts.get(connection.current(), guid)


def test_a_search_with_control_characters_is_a_spanish_400(with_account) -> None:
    scene, _ = with_account
    browser = scene.people["jefe.centro"][0]
    for bad in ("bravo\x00", "\u202ebravo"):
        response = browser.get("/personas", query_string={"q": bad})
        assert response.status_code == 400
        assert "Revise la búsqueda" in response.get_data(as_text=True)
    assert browser.get("/personas", query_string={"q": "BRAVO ríos"}).status_code == 200


def test_a_baja_stops_a_credential_still_in_custody(dir_app, clock) -> None:
    """The person leaves while their activation code is in their unit head's hands: the
    executed baja revokes the code and closes the alta, so the code can never enable the
    retired account, and no new code can be issued for it."""
    scene, (person,) = delivered_scene(dir_app, clock, ("Elena", "Bravo", "Ríos"))
    code = scene.deliver("jefe.centro", person.request_id)
    pid = person_id(person.request_id)
    response = scene.post("it.dept", f"/personas/{pid}/baja-urgente",
                          baja_form(motivo="otra", detalle="Dejó la unidad antes de activar"),
                          step_up=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    jobs.run_pending()
    [baja] = bajas_of(pid)
    assert baja.status == "ejecutada"
    assert status_of(person.request_id) == "cancelada"
    assert code_row(person.request_id).revoked_at is not None
    assert "handoff.codes_revoked" in actions(baja.folio)

    refused = activate(person, code)
    assert refused.status_code == 400
    assert not ad_account(person.request_id).enabled
    reissued = scene.post("jefe.centro", f"/entregas/cuentas/{person.request_id}/reemitir",
                          {"id_document": "ine", "identity": "on",
                           "reason": "La persona perdió su código"}, step_up=True)
    assert reissued.status_code == 409
