"""PDFs of the solicitud and the oficio: text (folio, accented names, number, signer), the QR
code, and the public /verificar page (authentic, newer version, tampered, other file)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from sqlalchemy import select, text

from provisioning import db
from provisioning.audit.models import AuditEvent
from provisioning.documents.models import IssuedDocument
from provisioning.oficios.models import Oficio
from provisioning.staff.models import Role, StaffUser
from tests.support.chain import (
    CENTRO_I,
    HOSPITAL,
    Browser,
    fetch,
    issue,
    make_ready,
    new_request,
    person,
    sign,
)
from tests.support.documents import qr_texts

VERIFY = re.compile(r"http://localhost/verificar/([2-9A-Z]{5}-[2-9A-Z]{5})")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def rename(username: str, full_name: str, position: str) -> None:
    user = db.session().scalar(select(StaffUser).where(StaffUser.username == username))
    user.full_name, user.position = full_name, position
    db.commit()


def documents() -> list[IssuedDocument]:
    db.session().expire_all()
    return list(db.session().scalars(select(IssuedDocument).order_by(IssuedDocument.id)))


def test_signed_solicitud_pdf_text_qr_and_verification(app, client, clock) -> None:
    request, folio, _ = new_request(client, **CENTRO_I)
    jefe, jefe_account = person(client, app, "jefe.pdf", Role.JEFE_UNIDAD, clock,
                                unit_clues="MSSSA000120")
    resp, resp_account = person(client, app, "resp.pdf", Role.RESPONSABLE_JURISDICCIONAL,
                                clock, jurisdiction_code="I")
    rename("jefe.pdf", "ROSA MARÍA PEÑA ÁVILA", "Directora del Centro de Salud")
    rename("resp.pdf", "MARTHA ELENA SALGADO RÍOS", "Responsable jurisdiccional")
    sign(jefe, jefe_account, request.id, clock)
    sign(resp, resp_account, request.id, clock)
    response = jefe.get(f"/solicitudes/{request.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.data
    content = pdf_text(data)
    for expected in (folio, "LUIS ÁNGEL BERNAL MUÑOZ", "FO-DPE-STI-DI-04",
                     "ROSA MARÍA PEÑA ÁVILA", "MARTHA ELENA SALGADO RÍOS",
                     "Centro de Salud Urbano Cuernavaca", "RESPONSABLE JURISDICCIONAL",
                     "JEFE INMEDIATO", "BEML920313HMCLNS09", "Página 1 de 1"):
        assert expected in content, (expected, content)
    signature_hash = fetch(folio) and db.session().scalar(text(
        "SELECT content_sha256 FROM signatures WHERE request_id = :r ORDER BY id LIMIT 1"),
        {"r": request.id})
    assert signature_hash[:32] in content
    (url,) = qr_texts(data)
    code = VERIFY.fullmatch(url).group(1)
    assert code in content
    # Same content, same document: the second download is byte-identical.
    assert jefe.get(f"/solicitudes/{request.id}/pdf").data == data
    assert len(documents()) == 1
    public = Browser(app.test_client())
    page = public.get(f"/verificar/{code}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Documento auténtico" in body and folio in body
    assert "versión más reciente" not in body
    for personal in ("LUIS", "BERNAL", "BEML920313HMCLNS09", "ROSA", "luis.bernal"):
        assert personal not in body, personal
    # A code typed in lower case without the hyphen works too.
    assert public.get(f"/verificar/{code.replace('-', '').lower()}").status_code == 200
    # Uploading the file: identical, then altered.
    same = public.post(f"/verificar/{code}", {"archivo": (io.BytesIO(data), "s.pdf")},
                       page="/verificar", content_type="multipart/form-data")
    assert same.status_code == 200 and "idéntico" in same.get_data(as_text=True)
    altered = data + b"\n% una linea agregada\n"
    other = public.post(f"/verificar/{code}", {"archivo": (io.BytesIO(altered), "s.pdf")},
                        page="/verificar", content_type="multipart/form-data")
    assert other.status_code == 409 and "NO coincide" in other.get_data(as_text=True)
    actions = set(db.session().scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == folio)))
    assert {"document.issued", "document.downloaded"} <= actions


def test_tampered_hash_fails_verification(app, client, clock) -> None:
    request, folio, _ = new_request(client, **HOSPITAL)
    jefe, _ = person(client, app, "jefe.tamper", Role.JEFE_UNIDAD, clock,
                     unit_clues="MSSSA001270")
    data = jefe.get(f"/solicitudes/{request.id}/pdf").data
    code = VERIFY.fullmatch(qr_texts(data)[0]).group(1)
    db.session().execute(text("UPDATE documents SET content_sha256 = :h WHERE code = :c"),
                         {"h": "0" * 64, "c": code})
    db.commit()
    page = Browser(app.test_client()).get(f"/verificar/{code}")
    assert page.status_code == 409 and "NO válido" in page.get_data(as_text=True)


def test_new_signature_makes_a_new_version(app, client, clock) -> None:
    request, folio, _ = new_request(client, **HOSPITAL)
    jefe, account = person(client, app, "jefe.version", Role.JEFE_UNIDAD, clock,
                           unit_clues="MSSSA001270")
    before = jefe.get(f"/solicitudes/{request.id}/pdf").data
    assert "Pendiente de firma" in pdf_text(before)
    old_code = VERIFY.fullmatch(qr_texts(before)[0]).group(1)
    sign(jefe, account, request.id, clock)
    after = jefe.get(f"/solicitudes/{request.id}/pdf").data
    new_code = VERIFY.fullmatch(qr_texts(after)[0]).group(1)
    assert new_code != old_code and len(documents()) == 2
    page = Browser(app.test_client()).get(f"/verificar/{old_code}").get_data(as_text=True)
    assert "Documento auténtico" in page and "versión más reciente" in page
    # The old version shows what it carried (no signature yet) and links the newest.
    assert "firmada el" not in page
    assert f'href="/verificar/{new_code}"' in page
    newest = Browser(app.test_client()).get(f"/verificar/{new_code}").get_data(as_text=True)
    assert "firmada el" in newest and "versión más reciente" not in newest


def test_applicant_downloads_own_solicitud_only_after_tracking(app, client, clock) -> None:
    request, folio, code = new_request(client, **HOSPITAL)
    applicant = Browser(app.test_client())
    assert applicant.get("/seguimiento/solicitud.pdf").status_code == 403
    applicant.post("/seguimiento", {"folio": folio, "code": code}, page="/seguimiento")
    response = applicant.get("/seguimiento/solicitud.pdf")
    assert response.status_code == 200 and folio in pdf_text(response.data)


def test_pdfs_respect_scope(app, client, clock) -> None:
    request, _, _ = new_request(client, **CENTRO_I)
    other, _ = person(client, app, "jefe.ajena", Role.JEFE_UNIDAD, clock,
                      unit_clues="MSSSA000342")
    assert other.get(f"/solicitudes/{request.id}/pdf").status_code == 404
    assert other.get("/solicitudes/999999/pdf").status_code == 404
    assert other.get("/oficios/1/pdf").status_code == 403
    assert Browser(app.test_client()).get("/verificar/AAAAA-BBBBB").status_code == 404
    assert Browser(app.test_client()).get("/verificar/../../etc").status_code == 404


def test_oficio_pdf(app, client, clock) -> None:
    first = make_ready(client, 1, **HOSPITAL, nombres="José", primer_apellido="Núñez",
                       segundo_apellido="Peña")
    second = make_ready(client, 2, **CENTRO_I)
    enlace, account = person(client, app, "enlace.pdf", Role.ENLACE, clock,
                             jurisdiction_code="I")
    rename("enlace.pdf", "CARLOS IBÁÑEZ MUÑOZ", "Enlace informático, Jurisdicción Sanitaria I")
    issue(enlace, account, clock, [first.id, second.id])
    oficio = db.session().scalar(select(Oficio))
    response = enlace.get(f"/oficios/{oficio.id}/pdf")
    assert response.status_code == 200
    data = response.data
    content = pdf_text(data)
    for expected in ("SSM/JS-I/0001/2026", "Cuernavaca, Mor., a 4 de marzo de 2026",
                     "CARLOS IBÁÑEZ MUÑOZ", "TITULAR DEL DEPARTAMENTO DE INFORMÁTICA",
                     "ATENTAMENTE", "Anexo: 2 solicitudes FO-DPE-STI-DI-04",
                     "Jurisdicción Sanitaria I Cuernavaca", first.folio, second.folio,
                     "JOSÉ NÚÑEZ PEÑA", "C.c.p.", "Página 1 de 2", "Página 2 de 2",
                     oficio.content_sha256[:32]):
        assert expected in content, (expected, content)
    (url,) = qr_texts(data)
    code = VERIFY.fullmatch(url).group(1)
    page = Browser(app.test_client()).get(f"/verificar/{code}").get_data(as_text=True)
    assert "Documento auténtico" in page and "SSM/JS-I/0001/2026" in page
    assert "JOSÉ" not in page and "CARLOS" not in page
    # The liaison of another jurisdiction cannot download it.
    two, _ = person(client, app, "enlace.otra", Role.ENLACE, clock, jurisdiction_code="II")
    assert two.get(f"/oficios/{oficio.id}/pdf").status_code == 404
    # Tampering with the signed oficio row is detected.
    db.session().execute(text("UPDATE oficios SET subject = 'Otro asunto', version = version "
                              "WHERE id = :i"), {"i": oficio.id})
    db.commit()
    page = Browser(app.test_client()).get(f"/verificar/{code}")
    assert page.status_code == 409 and "NO válido" in page.get_data(as_text=True)
