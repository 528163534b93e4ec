"""The printed records: the two of the procedure (DOMAIN.md §1, §6), the solicitud
FO-DPE-STI-DI-04 as filled and signed and the oficio with its annex, and the one-page record
of a baja, cambio de adscripción or prórroga."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from provisioning.documents.pdf import Document, Letterhead, latin1, qr_png

FORM_LETTERHEAD = (
    "SERVICIOS DE SALUD DE MORELOS",
    "Dirección General de Planeación y Evaluación",
    "Subdirección de Tecnologías e Información en Salud · Departamento de Informática",
)
OBSERVACIONES = (
    "1. La cuenta es personal e intransferible.",
    "2. El solicitante se compromete a usar la cuenta de correo solo con fines institucionales.",
    "3. Para expediente clínico electrónico: Dirección de Atención Médica; Subdirección de "
    "Atención Primaria a la Salud o de Hospitales.",
    "4. Oficinas Centrales indican departamento; las demás unidades, N/A.",
    "5. Las cuentas de expediente electrónico de Centros de Salud llevan nombre y firma del "
    "responsable jurisdiccional.",
    "6. Las credenciales de expediente electrónico de Centros de Salud se entregan al "
    "responsable jurisdiccional para su distribución.",
    "7. Una solicitud por persona.",
)
ESIGN_NOTE = ("Firma electrónica por autenticación de dos factores (contraseña y código TOTP) "
              "con huella SHA-256 del contenido; no es firma electrónica avanzada. Los recuadros "
              "admiten firma autógrafa y sello.")


@dataclass(frozen=True)
class Evidence:
    """An e-signature as printed: who, as what, when, from where, over which content."""

    name: str
    position: str
    signed_at: str
    content_sha256: str
    ip: str | None = None

    def lines(self) -> list[str]:
        """The evidence lines of a signature block."""
        return ["Firmado electrónicamente por:", self.name, self.position,
                f"Fecha y hora: {self.signed_at}", f"Desde: {self.ip or 'N/D'}",
                f"SHA-256: {self.content_sha256[:32]}", f"{self.content_sha256[32:]}"]


@dataclass(frozen=True)
class SignatureBlock:
    """One box of the form: its title and, once signed, the evidence."""

    title: str
    evidence: Evidence | None = None
    printed_name: str = ""


def _check(value: bool) -> str:
    return "[X]" if value else "[  ]"


def solicitud(*, code: str, url: str, created_at: datetime, folio: str, fecha: str,
              user_account: bool, email_account: bool, ece: bool,
              fields: Sequence[tuple[str, str]], blocks: Sequence[SignatureBlock],
              content_sha256: str) -> bytes:
    """Form FO-DPE-STI-DI-04 filled, with e-signature evidence in the signature blocks."""
    doc = Document(letterhead=Letterhead(FORM_LETTERHEAD), title=f"Solicitud {folio}",
                   verify_code=code, verify_url=url, created_at=created_at)
    doc.title_block("SOLICITUD DE CUENTAS DE USUARIO", "FO-DPE-STI-DI-04")
    doc.rows([("FOLIO", folio), ("FECHA", fecha)])
    doc.ln(2)
    doc.line_text(f"{_check(user_account)} CUENTA DE USUARIO        "
                  f"{_check(email_account)} CUENTA DE CORREO        EXPEDIENTE ELECTRÓNICO: "
                  f"{_check(ece)} SI  {_check(not ece)} NO", size=9.5, style="B")
    doc.ln(2)
    doc.rows(fields)
    _signatures_and_qr(doc, blocks, url, content_sha256, "OBSERVACIONES", OBSERVACIONES)
    return doc.to_bytes()


def _signatures_and_qr(doc: Document, blocks: Sequence[SignatureBlock], url: str,
                       content_sha256: str, notes_title: str, notes: Sequence[str]) -> None:
    """The signature boxes side by side, the e-signature note, then the QR beside the notes,
    the content's SHA-256 and where to verify."""
    doc.heading("Firmas")
    top = doc.get_y() + 1
    if top > doc.h - 80:
        doc.add_page()
        top = doc.get_y() + 1
    gap = 4
    width = (doc.width - gap * (len(blocks) - 1)) / len(blocks)
    height = 44
    for index, block in enumerate(blocks):
        lines = block.evidence.lines() if block.evidence else [
            block.printed_name or "", "Pendiente de firma electrónica." if not
            block.printed_name else "Firma autógrafa:"]
        doc.signature_box(doc.l_margin + index * (width + gap), top, width, height,
                          block.title, lines)
    doc.set_xy(doc.l_margin, top + height + 3)
    doc.paragraph(ESIGN_NOTE, size=7.5, height=3.6)
    qr_top = doc.get_y() + 1
    if qr_top > doc.h - 60:
        doc.add_page()
        qr_top = doc.get_y() + 1
    doc.qr(qr_png(url), doc.w - doc.r_margin - 28, qr_top, 28)
    doc.set_xy(doc.l_margin, qr_top)
    doc.set_font("helvetica", "B", 8)
    doc.multi_cell(doc.width - 32, 4, latin1(notes_title), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("helvetica", "", 7.5)
    for line in notes:
        doc.multi_cell(doc.width - 32, 3.6, latin1(line), new_x="LMARGIN", new_y="NEXT")
    doc.ln(1)
    doc.multi_cell(doc.width - 32, 3.6, latin1(f"Huella SHA-256 del contenido: {content_sha256}"),
                   new_x="LMARGIN", new_y="NEXT")
    doc.multi_cell(doc.width - 32, 3.6, latin1(f"Verifique este documento en {url}"),
                   new_x="LMARGIN", new_y="NEXT")


def record(*, code: str, url: str, created_at: datetime, title: str, subtitle: str,
           folio: str, fields: Sequence[tuple[str, str]], blocks: Sequence[SignatureBlock],
           content_sha256: str, notes: Sequence[str]) -> bytes:
    """A one-page record of the account's life after the alta (baja, cambio de adscripción,
    prórroga): the same letterhead, fields, signature evidence and QR as the solicitud."""
    doc = Document(letterhead=Letterhead(FORM_LETTERHEAD), title=f"{title} {folio}",
                   verify_code=code, verify_url=url, created_at=created_at)
    doc.title_block(title.upper(), subtitle)
    doc.rows([("FOLIO", folio), *fields])
    _signatures_and_qr(doc, blocks, url, content_sha256, "NOTAS", notes)
    return doc.to_bytes()


@dataclass(frozen=True)
class AnnexRow:
    """One request of an oficio's annex."""

    folio: str
    name: str
    unit: str
    content_sha256: str
    user_name: str | None = None  # IT's reply lists each account's user name (no password)


def oficio(*, code: str, url: str, created_at: datetime, institution: str, issuing_area: str,
           number: str, subject: str, place_and_date: str, addressee: Sequence[str],
           reference: str | None, body: str, signer: Evidence, ccp: Sequence[str],
           initials: str, annex: Sequence[AnnexRow], annex_label: str) -> bytes:
    """An oficio laid out as on paper (DOMAIN.md §6), its annex on the following pages."""
    doc = Document(letterhead=Letterhead((institution.upper(), issuing_area)),
                   title=f"Oficio {number}", verify_code=code, verify_url=url,
                   created_at=created_at)
    doc.set_font("helvetica", "B", 10)
    doc.cell(0, 5, latin1(f"Oficio No. {number}"), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("helvetica", "", 10)
    doc.multi_cell(0, 5, latin1(f"Asunto: {subject}"), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(1)
    doc.cell(0, 5, latin1(place_and_date), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    for index, line in enumerate(addressee):
        doc.line_text(line, size=10, style="B" if index == 0 else "")
    doc.line_text("P r e s e n t e", size=10, style="B")
    doc.ln(4)
    if reference:
        doc.paragraph(reference, size=10)
    doc.paragraph(body, size=10)
    doc.ln(4)
    doc.line_text("ATENTAMENTE", size=10, style="B", align="C")
    doc.ln(2)
    top = doc.get_y()
    if top > doc.h - 75:
        doc.add_page()
        top = doc.get_y()
    box_w = 100
    doc.signature_box((doc.w - box_w) / 2, top, box_w, 42, f"{signer.name}\n{signer.position}",
                      signer.lines()[3:])
    doc.qr(qr_png(url), doc.w - doc.r_margin - 26, top + 8, 26)
    doc.set_xy(doc.l_margin, top + 45)
    doc.paragraph(ESIGN_NOTE, size=7, height=3.4)
    doc.ln(1)
    doc.line_text(f"{annex_label}", size=9, style="B")
    for line in ccp:
        doc.line_text(f"C.c.p. {line}", size=8)
    doc.line_text(initials, size=8)
    doc.add_page()
    doc.line_text(f"ANEXO DEL OFICIO No. {number}", size=11, style="B", align="C")
    doc.line_text(annex_label, size=9, align="C")
    doc.ln(3)
    if any(a.user_name is not None for a in annex):
        doc.table(["#", "Folio", "Nombre", "Usuario", "Unidad (CLUES)"],
                  [8, 44, 62, 34, doc.width - 148],
                  [(str(i), a.folio, a.name, a.user_name or "", a.unit)
                   for i, a in enumerate(annex, start=1)], size=8)
        doc.ln(3)
        doc.paragraph("Este anexo no contiene contraseñas: cada persona elige la suya al activar "
                      "su cuenta con el código que se le entrega en persona.", size=8.5)
    else:
        doc.table(["#", "Folio", "Nombre", "Unidad (CLUES)", "SHA-256 (inicio)"],
                  [8, 44, 58, 30, doc.width - 140],
                  [(str(i), a.folio, a.name, a.unit, a.content_sha256[:16])
                   for i, a in enumerate(annex, start=1)], size=8)
    return doc.to_bytes()


def review_report(*, code: str, url: str, created_at: datetime, folio: str,
                  fields: Sequence[tuple[str, str]], units: Sequence[tuple[str, ...]],
                  accounts: Sequence[tuple[str, ...]], block: SignatureBlock,
                  content_sha256: str, notes: Sequence[str]) -> bytes:
    """The report of an access review campaign for the SGSI file: its data, the results per
    unit, the closing signature and QR, then every account reviewed with its answer."""
    doc = Document(letterhead=Letterhead(FORM_LETTERHEAD), title=f"Revisión de acceso {folio}",
                   verify_code=code, verify_url=url, created_at=created_at)
    doc.title_block("REVISIÓN DE DERECHOS DE ACCESO", "Informe para el expediente del SGSI")
    doc.rows([("FOLIO", folio), *fields])
    doc.heading("Resultados por unidad")
    doc.table(["Unidad", "Cuentas", "Confirmadas", "Revocadas", "Sin respuesta"],
              [doc.width - 100, 25, 25, 25, 25], units, size=8)
    doc.ln(2)
    _signatures_and_qr(doc, [block], url, content_sha256, "NOTAS", notes)
    if accounts:
        doc.add_page()
        doc.line_text(f"ANEXO: CUENTAS REVISADAS EN {folio}", size=11, style="B", align="C")
        doc.ln(3)
        doc.table(["Unidad", "Cuenta", "Nombre", "Respuesta", "Respondió", "Baja"],
                  [22, 28, doc.width - 132, 22, 28, 32], accounts, size=7)
    return doc.to_bytes()
