"""A cambio de adscripción and a prórroga are records like the baja: the person's data
export lists them, retention blanks what names the person 3 years after each closes
(the signed content's hash stays), and the person's CURP and names stay while any of
them is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from provisioning import db, timeutil
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.audit import Actor
from provisioning.lifecycle.models import Cambio, Extension
from provisioning.people.models import Person
from provisioning.privacy import services as privacy
from provisioning.retention.models import Disposal
from tests.support.handoff_flow import Scene, values
from tests.support.lifecycle import day, person_id

NAMED = "Wenceslao Tlacotalpan"


def _row(model: type) -> tuple:
    return values(lambda: db.session().scalar(select(model)))


def _run_retention(app) -> None:
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    db.session().expire_all()


def test_cambio_and_prorroga_are_exported_then_anonymized_in_turn(app, clock) -> None:
    scene = Scene(app, clock).cast()
    end = timeutil.local_today() + timedelta(days=200)
    applicant = scene.applicant("Wenceslao", "Tlacotalpan", "Ixtlahuaca", ece=False,
                                staff_type="residente",
                                fecha_termino=timeutil.format_date(end))
    scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    pid = person_id(applicant.request_id)

    # A cambio started and cancelled, both with reasons that name the person.
    started = scene.post("jefe.centro", f"/personas/{pid}/cambio",
                         {"unidad_destino": "MSSSA000611", "fecha_efectiva": day(5),
                          "detalle": f"{NAMED} pide su cambio"})
    assert started.status_code == 302, started.get_data(as_text=True)
    cambio = _row(Cambio)
    cancelled = scene.post("jefe.centro", f"/cambios/{cambio.id}/cancelar",
                           {"motivo_cancelacion": f"{NAMED} se queda"})
    assert cancelled.status_code == 302
    # The alta closes (its account was given back by a baja elsewhere).
    request = db.session().get(AccountRequest, applicant.request_id)
    workflow.transition(request, "close_by_baja", actor=Actor("prueba", "sistema"),
                        reason="prueba")
    db.commit()

    # A year later, the unit head signs a prórroga whose detail names the person.
    clock.advance(days=365)
    scene.sign_in_again("jefe.centro")
    signed = scene.post("jefe.centro", f"/personas/{pid}/prorroga",
                        {"nueva_fecha": timeutil.format_date(timeutil.local_today()
                                                             + timedelta(days=100)),
                         "detalle": f"{NAMED} repite el año"}, step_up=True)
    assert signed.status_code == 302, signed.get_data(as_text=True)
    extension = _row(Extension)

    # The person's export lists both.
    exported = values(lambda: privacy.personal_data(
        db.session().get(AccountRequest, applicant.request_id)))
    text = repr(exported)
    for expected in ("Sus cambios de adscripción", cambio.folio, "MSSSA000611",
                     "Prórrogas de su acceso temporal", extension.folio,
                     f"{NAMED} repite el año"):
        assert expected in text, expected

    # 3 years after the cambio closed: the solicitud and the cambio go, the prórroga (signed
    # a year later) stays, and so do the person's CURP and names.
    clock.advance(days=2 * 365 + 10)
    _run_retention(app)
    cambio_after = _row(Cambio)
    assert (cambio_after.reason_detail, cambio_after.cancel_reason) == (None, None)
    assert cambio_after.content_sha256 == cambio.content_sha256
    assert (cambio_after.folio, cambio_after.to_unit_clues) == (cambio.folio, "MSSSA000611")
    kept = _row(Extension)
    assert kept.reason_detail == f"{NAMED} repite el año" and NAMED.split()[0] in kept.content
    assert values(lambda: db.session().get(Person, pid).curp) == applicant.curp

    # A year on, the prórroga goes too, and then the person is anonymized.
    clock.advance(days=366)
    _run_retention(app)
    gone = _row(Extension)
    assert (gone.reason_detail, gone.content) == (None, "{}")
    assert gone.content_sha256 == extension.content_sha256
    assert (gone.old_end_date, gone.new_end_date) == (extension.old_end_date,
                                                      extension.new_end_date)
    person = values(lambda: db.session().get(Person, pid))
    assert not person.curp and NAMED.split()[0].upper() not in (person.full_name or "").upper()
    disposed = values(lambda: sorted(db.session().execute(
        select(Disposal.record_class, Disposal.record_key)
        .where(Disposal.record_class.in_(("cambio", "prorroga")))).all()))
    assert disposed == [("cambio", cambio.folio), ("prorroga", extension.folio)]
