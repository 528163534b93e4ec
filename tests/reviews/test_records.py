"""An access review campaign is a record like the baja: 3 years after it closes retention
blanks the account names and the results signed at closing (their SHA-256 stays), removes
the report PDFs, and anonymizes the person once nothing else of theirs is kept; a legal hold
keeps all of it, the person's CURP and names too, until it is lifted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from provisioning import db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.documents.models import IssuedDocument
from provisioning.people.models import Person
from provisioning.privacy import services as privacy
from provisioning.retention import services as retention
from tests.support.app import TEST_ACTOR
from tests.support.handoff_flow import CENTRO, Scene, values
from tests.support.lifecycle import actions, person_id
from tests.support.reviews import campaigns, items_of, open_campaign, units_of

THREE_YEARS = timedelta(days=3 * 365 + 2)


def _run_retention(app) -> str:
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session().expire_all()
    return result.output


def _reports() -> list[str]:
    return values(lambda: list(db.session().scalars(select(IssuedDocument.code).where(
        IssuedDocument.kind == "revision"))))


def test_a_closed_campaign_is_kept_held_then_anonymized(app, clock) -> None:
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Wenceslao", "Tlacotalpan", "Ixtlahuaca", ece=False)
    scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    pid = person_id(applicant.request_id)
    assert open_campaign(scene, [CENTRO["unit_clues"]]).status_code == 302
    [campaign] = campaigns()
    unit = units_of(campaign.id)[CENTRO["unit_clues"]]
    [item] = items_of(unit.id)
    assert scene.post("jefe.centro", f"/revisiones/unidades/{unit.id}/responder",
                      {f"decision-{item.id}": "confirmar"}, step_up=True).status_code == 302
    assert scene.post("it.dept", f"/revisiones/{campaign.id}/cerrar",
                      step_up=True).status_code == 302
    it = scene.people["it.dept"][0]
    assert it.get(f"/revisiones/{campaign.id}/pdf").status_code == 200
    [code] = _reports()
    [campaign, _following] = campaigns()
    [item] = items_of(unit.id)
    unit = units_of(campaign.id)[CENTRO["unit_clues"]]
    assert unit.completed_at is not None
    # The alta closes the same day (the account was given back elsewhere).
    db.session().execute(update(AccountRequest).where(AccountRequest.id == applicant.request_id)
                         .values(status="acceso_activo", closed_at=timeutil.now()))
    db.commit()
    # An investigation: the head of IT holds the campaign on the custody page (its folio in
    # any case).
    held = scene.post("jefe.it", "/custodia/conservaciones", {
        "record_class": "revision", "record_key": campaign.folio.lower(),
        "reason": "Auditoría del órgano interno de control"})
    assert held.status_code == 302, held.get_data(as_text=True)
    custody = scene.people["jefe.it"][0].get("/custodia").get_data(as_text=True)
    assert campaign.folio in custody and "Revisión de acceso" in custody
    assert "retention.hold_set" in actions(campaign.folio, "review")

    # 3 years on: the solicitud goes; the held campaign stays whole, and the person too.
    clock.advance(days=THREE_YEARS.days)
    _run_retention(app)
    assert values(lambda: retention.disposal_of("solicitud", applicant.folio)) is not None
    assert values(lambda: retention.disposal_of("revision", campaign.folio)) is None
    assert items_of(unit.id)[0].sam_account_name == item.sam_account_name
    assert campaigns()[0].content == campaign.content and _reports() == [code]
    assert values(lambda: db.session().get(Person, pid).curp) == applicant.curp

    # Lifted: the next run anonymizes it; evidence stays.
    hold = values(lambda: retention.hold_for("revision", campaign.folio))
    retention.lift_hold(hold.id, "Concluyó la auditoría", actor=TEST_ACTOR)
    db.commit()
    _run_retention(app)
    [after] = items_of(unit.id)
    assert after.sam_account_name == ""
    assert (after.object_guid, after.decision, after.decided_at, after.decided_by,
            after.content_sha256) == (item.object_guid, "confirmada", item.decided_at,
                                      item.decided_by, item.content_sha256)
    gone = campaigns()[0]
    assert gone.content == "{}" and gone.content_sha256 == campaign.content_sha256
    assert (gone.status, gone.closed_at, gone.signer_name) == (
        "cerrada", campaign.closed_at, campaign.signer_name)
    assert units_of(campaign.id)[CENTRO["unit_clues"]].completed_at == unit.completed_at
    assert _reports() == []
    person = values(lambda: db.session().get(Person, pid))
    assert person.curp is None and "WENCESLAO" not in person.full_name.upper()
    tombstone = values(lambda: retention.disposal_of("revision", campaign.folio))
    assert tombstone.disposition == "anonimizado"
    assert tombstone.retention_started_at == campaign.closed_at
    assert "retention.disposed" in actions(campaign.folio, "review")
    # The report is gone for good (410, in Spanish), its code no longer verifies; the
    # campaign's page still shows its counts.
    it = scene.sign_in_again("it.dept")
    report = it.get(f"/revisiones/{campaign.id}/pdf")
    assert report.status_code == 410
    assert "plazo de conservación" in report.get_data(as_text=True)
    assert _reports() == []
    assert it.get(f"/verificar/{code}").status_code == 404
    assert it.get(f"/revisiones/{campaign.id}").status_code == 200
    assert it.get(f"/revisiones/unidades/{unit.id}").status_code == 200
    # The person's data export still lists the review, without the account's name.
    exported = values(lambda: privacy.personal_data(
        db.session().get(AccountRequest, applicant.request_id)))
    [section] = [s for s in exported["otras_secciones"] if campaign.folio in repr(s)]
    assert section["filas"][0]["cuenta"] == "" and section["filas"][0]["respuesta"] == \
        "Confirmada"
    assert item.sam_account_name not in repr(exported)
    # A disposed campaign cannot be held any more.
    assert values(lambda: retention.record_class("revision").exists(campaign.folio)) is False
