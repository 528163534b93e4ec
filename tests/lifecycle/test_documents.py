"""The baja, the cambio de adscripción and the prórroga as printed records: a PDF with the
person, the signature evidence and a QR to /verificar, a new version when the record moves
on (the old code then says a newer one exists), a tampered signature found, and the PDFs
gone once retention disposes of the record."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from provisioning import db, timeutil
from provisioning.documents.models import IssuedDocument
from provisioning.lifecycle.models import BajaSignature, Cambio, Extension
from tests.support.documents import pdf_text, qr_texts
from tests.support.handoff_flow import Scene, values
from tests.support.lifecycle import baja_form, bajas_of, day, person_id

VERIFY = re.compile(r"/verificar/([2-9A-Z]{5}-[2-9A-Z]{5})$")


def _code(data: bytes) -> str:
    (url,) = qr_texts(data)
    match = VERIFY.search(url)
    assert match, url
    return match.group(1)


def _resident(app, clock) -> tuple[Scene, int]:
    scene = Scene(app, clock).cast()
    end = timeutil.local_today() + timedelta(days=100)
    applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False, staff_type="residente",
                                fecha_termino=timeutil.format_date(end))
    scene.received_oficio([applicant.request_id])
    scene.record_accounts([applicant.request_id])
    return scene, person_id(applicant.request_id)


def test_baja_pdf_is_verified_and_versioned(app, clock) -> None:
    scene, pid = _resident(app, clock)
    assert scene.post("jefe.centro", f"/personas/{pid}/baja", baja_form(fecha_efectiva=day(5)),
                      step_up=True).status_code == 302
    [baja] = bajas_of(pid)
    head = scene.people["jefe.centro"][0]
    response = head.get(f"/bajas/{baja.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    signature = values(lambda: db.session().scalar(select(BajaSignature)))
    for expected in (baja.folio, "BAJA DE CUENTA", "ELENA BRAVO RÍOS", "Renuncia",
                     "PROGRAMADA", signature.signer_name, signature.content_sha256[:32]):
        assert expected in text, (expected, text)
    code = _code(response.data)
    assert head.get(f"/bajas/{baja.id}/pdf").data == response.data  # same version
    page = head.get(f"/verificar/{code}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Baja de cuenta" in body and baja.folio in body
    assert "ELENA" not in body  # the public page shows no personal data

    # Cancelled: a new version; the old code says a newer one exists.
    assert scene.post("jefe.centro", f"/bajas/{baja.id}/cancelar",
                      {"motivo_cancelacion": "Se queda"}).status_code == 302
    again = head.get(f"/bajas/{baja.id}/pdf")
    assert _code(again.data) != code and "CANCELADA" in pdf_text(again.data)
    old = head.get(f"/verificar/{code}").get_data(as_text=True)
    assert "versión más reciente" in old or "más reciente" in old

    # A signature rewritten in the database is found.
    db.session().execute(update(BajaSignature).values(content='{"folio": "otro"}'))
    db.commit()
    tampered = head.get(f"/verificar/{_code(again.data)}")
    assert tampered.status_code == 409


def test_cambio_and_prorroga_pdfs(app, clock) -> None:
    scene, pid = _resident(app, clock)
    assert scene.post("jefe.centro", f"/personas/{pid}/cambio",
                      {"unidad_destino": "MSSSA000611", "fecha_efectiva": day(3),
                       "detalle": "Oficio 45/2026"}).status_code == 302
    cambio = values(lambda: db.session().scalar(select(Cambio)))
    response = scene.people["jefe.centro"][0].get(f"/cambios/{cambio.id}/pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    for expected in (cambio.folio, "CAMBIO DE ADSCRIPCIÓN", "MSSSA000120", "MSSSA000611",
                     "Oficio 45/2026", "Pendiente de firma"):
        assert expected in text, (expected, text)
    assert scene.post("jefe.centro", f"/cambios/{cambio.id}/cancelar",
                      {"motivo_cancelacion": "No se mueve"}).status_code == 302

    new_end = timeutil.local_today() + timedelta(days=200)
    assert scene.post("jefe.centro", f"/personas/{pid}/prorroga",
                      {"nueva_fecha": timeutil.format_date(new_end)},
                      step_up=True).status_code == 302
    extension = values(lambda: db.session().scalar(select(Extension)))
    page = scene.people["jefe.centro"][0].get(f"/personas/{pid}").get_data(as_text=True)
    assert f"/prorrogas/{extension.id}/pdf" in page
    pdf = scene.people["enlace"][0].get(f"/prorrogas/{extension.id}/pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    for expected in (extension.folio, "PRÓRROGA DE ACCESO", timeutil.format_date(new_end),
                     extension.signer_name, extension.content_sha256[:32]):
        assert expected in text, (expected, text)
    verified = scene.people["enlace"][0].get(f"/verificar/{_code(pdf.data)}")
    assert verified.status_code == 200 and "Prórroga de acceso" in verified.get_data(
        as_text=True)
    # the head of another unit does not even learn it exists
    assert scene.people["jefe.hospital"][0].get(
        f"/prorrogas/{extension.id}/pdf").status_code == 404

    # Retention: once the records are disposed of, their PDFs are gone too.
    clock.advance(days=3 * 366)
    result = app.test_cli_runner().invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    kinds = values(lambda: set(db.session().scalars(select(IssuedDocument.kind))))
    assert not kinds & {"cambio", "prorroga"}, kinds
