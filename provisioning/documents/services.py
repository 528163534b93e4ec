"""Issue the printed records (PDF) and verify them.

Each PDF carries a short code and a QR code linking to ``/verificar/<code>``. The first
download of a given content issues a document: its canonical content, the content's
SHA-256, the PDF bytes and their SHA-256 are stored under the code (``documents`` table) and
audited; later downloads of the same content return the same bytes. Verification checks that
the stored record is intact (both hashes), whether the object still has that content
(otherwise a newer version exists), and optionally that an uploaded file is byte-identical.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from provisioning import audit, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals import rules
from provisioning.approvals import services as approvals
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.crypto import canonical_json, new_code, sha256_hex
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.documents import layouts
from provisioning.documents.models import OFICIO, SOLICITUD, IssuedDocument
from provisioning.errors import NotFound
from provisioning.oficios import services as oficios
from provisioning.oficios.models import CANCELLED, RESPUESTA, Oficio

CODE_RE = re.compile(r"^[2-9A-HJ-NP-Z]{10}$")


def verify_url(code: str) -> str:
    """The public verification address printed and encoded in the QR."""
    return settings().app.base_url.rstrip("/") + f"/verificar/{code}"


def normalize(code: str) -> str | None:
    """A typed code as stored ('ABCDE-FGHJK'), or None if it cannot be one."""
    bare = re.sub(r"[\s-]", "", (code or "")[:40]).upper()
    return f"{bare[:5]}-{bare[5:]}" if CODE_RE.match(bare) else None


# ---------------------------------------------------------------------------------------------
# The kinds of documents: the solicitud and the oficio here; other domains register theirs
# (the lifecycle's baja, cambio and prórroga) from the app factory.


@dataclass(frozen=True)
class Kind:
    """How to issue and verify one kind of printed record."""

    name: str  # IssuedDocument.kind
    label: str  # shown on /verificar
    load: Callable[[int], Any]  # the object by primary key, or None
    certified: Callable[[Any], bytes]  # the canonical content the document certifies
    render: Callable[[Any, str, datetime], bytes]  # (object, code, now) → PDF
    reference: Callable[[Any], str]  # the public, non-personal label (folio, number)
    # (object, the version's certified content) → whether the object's signed records are
    # intact, and the public facts /verificar shows: those of that version (its
    # signatures, its state), never the object's later ones.
    state: Callable[[Any, dict[str, Any]], tuple[bool, list[tuple[str, str]]]]


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Make ``kind`` issuable and verifiable."""
    _KINDS[kind.name] = kind


def kind(name: str) -> Kind:
    """The registered kind ``name``."""
    return _KINDS[name]


# ---------------------------------------------------------------------------------------------
# What a document certifies


def certified_request(request: AccountRequest) -> dict[str, object]:
    """The solicitud as printed: the filled form plus its live signatures."""
    return {
        "solicitud": approvals.canonical_content(request),
        "firmas": [{"paso": s.step, "rol": s.signer_role, "nombre": s.signer_name,
                    "cargo": s.signer_position, "fecha": s.signed_at.isoformat(),
                    "ip": s.ip, "contenido_sha256": s.content_sha256}
                   for s in approvals.signatures(request)],
    }


# ---------------------------------------------------------------------------------------------
# Rendering


def _render_solicitud(request: AccountRequest, code: str, now: datetime) -> bytes:
    labels = catalogs.request_labels(request)
    signed = {s.step: s for s in approvals.signatures(request)}

    def evidence(step: rules.Step) -> layouts.Evidence | None:
        s = signed.get(step.code)
        if s is None:
            return None
        return layouts.Evidence(s.signer_name, s.signer_position,
                                timeutil.format_datetime(s.signed_at, seconds=True),
                                s.content_sha256, s.ip)

    blocks = [layouts.SignatureBlock("NOMBRE COMPLETO Y FIRMA DEL SOLICITANTE",
                                     printed_name=request.full_name)]
    titles = {"jefe_unidad": "NOMBRE COMPLETO, FIRMA Y SELLO DEL JEFE INMEDIATO",
              "responsable_jurisdiccional": "NOMBRE COMPLETO Y FIRMA DEL RESPONSABLE "
                                            "JURISDICCIONAL (OBSERVACIÓN 5)"}
    for step in rules.chain(request):
        blocks.append(layouts.SignatureBlock(titles.get(step.code, step.label.upper()),
                                             evidence(step)))
    extension = request.extension or "N/A"
    fields = [
        ("NOMBRE COMPLETO", request.full_name),
        ("CURP", request.curp),
        ("UNIDAD / CENTRO DE SALUD", f"{approvals.unit_name(request)} ({request.unit_clues})"),
        ("JURISDICCIÓN SANITARIA", approvals.jurisdiction_name(request.jurisdiction_code)),
        ("DIRECCIÓN DE ADSCRIPCIÓN", labels["direccion"]),
        ("SUBDIRECCIÓN", labels["subdireccion"]),
        ("DEPARTAMENTO", request.departamento),
        ("TELÉFONO / EXT.", f"{request.telefono} / {extension}"),
        ("CORREO PARA AVISOS", request.contact_email),
        ("TIPO DE PERSONAL", labels["staff_type"]),
        *([("ACCESO HASTA", timeutil.format_date(request.end_date))] if request.end_date
          else []),
    ]
    return layouts.solicitud(
        code=code, url=verify_url(code), created_at=now, folio=request.folio,
        fecha=timeutil.format_date(request.form_date), user_account=request.wants_user_account,
        email_account=request.wants_email_account, ece=request.wants_ece, fields=fields,
        blocks=blocks, content_sha256=approvals.content_hash(request))


def _render_oficio(oficio: Oficio, code: str, now: datetime) -> bytes:
    requests = oficios.requests_of(oficio, live_only=False)
    reply_to = db_get(Oficio, oficio.in_reply_to_id) if oficio.in_reply_to_id else None
    count = len(requests)
    users = oficios.user_names(requests) if oficio.kind == RESPUESTA else {}
    annex_label = (f"Anexo: {count} cuenta{'s' if count != 1 else ''} de usuario creada"
                   f"{'s' if count != 1 else ''}" if oficio.kind == RESPUESTA else
                   f"Anexo: {count} solicitud{'es' if count != 1 else ''} FO-DPE-STI-DI-04")
    return layouts.oficio(
        code=code, url=verify_url(code), created_at=now,
        institution=settings().oficios.institution, issuing_area=oficio.issuing_area_name,
        number=oficio.number, subject=oficio.subject,
        place_and_date=f"{oficio.place}, a {timeutil.format_long_date(oficio.issued_on)}",
        addressee=oficios.addressee_lines(oficio),
        reference=(f"En atención a su oficio No. {reply_to.number}." if reply_to else None),
        body=oficio.body,
        signer=layouts.Evidence(oficio.signer_name, oficio.signer_position,
                                timeutil.format_datetime(oficio.signed_at, seconds=True),
                                oficio.content_sha256, oficio.signer_ip),
        ccp=oficio.ccp_lines, initials=f"{oficios.initials(oficio.signer_name)}/alta",
        annex=[layouts.AnnexRow(r.folio, r.full_name, r.unit_clues, approvals.content_hash(r),
                                users.get(r.id, "") if oficio.kind == RESPUESTA else None)
               for r in requests],
        annex_label=annex_label)


# ---------------------------------------------------------------------------------------------
# Issuing


def issue(kind_name: str, obj: Any, *, actor: audit.Actor) -> IssuedDocument:
    """The document for ``obj``'s current content: the one issued before, or a new one.

    A new one audits ``document.issued`` with its code and both hashes.
    """
    spec = kind(kind_name)
    raw = spec.certified(obj)
    digest = sha256_hex(raw)
    db = session()
    found = db.scalar(select(IssuedDocument).where(
        IssuedDocument.kind == kind_name, IssuedDocument.object_pk == obj.id,
        IssuedDocument.content_sha256 == digest))
    if found is not None:
        return found
    code = new_code(groups=2, size=5)
    while db.scalar(select(IssuedDocument.id).where(IssuedDocument.code == code)):
        code = new_code(groups=2, size=5)  # pragma: no cover - 31^10 codes
    now = timeutil.now()
    pdf = spec.render(obj, code, now)
    document = IssuedDocument(code=code, kind=kind_name, object_pk=obj.id,
                              reference=spec.reference(obj), content_sha256=digest,
                              content=raw.decode(), pdf_sha256=sha256_hex(pdf), pdf=pdf,
                              issued_at=now, issued_by=actor.name)
    try:
        with db.begin_nested():
            db.add(document)
    except IntegrityError:
        # Someone issued the same version at the same moment: theirs counts.
        return db.scalar(select(IssuedDocument).where(
            IssuedDocument.kind == kind_name, IssuedDocument.object_pk == obj.id,
            IssuedDocument.content_sha256 == digest))
    audit.record("document.issued", actor=actor, object_type=kind_name,
                 object_id=document.reference,
                 summary=f"Documento {document.code} emitido ({spec.label} "
                         f"{document.reference})",
                 details={"document": code, "content_sha256": digest,
                          "pdf_sha256": document.pdf_sha256})
    return document


def download(kind_name: str, obj: Any, *, actor: audit.Actor) -> IssuedDocument:
    """The current document of ``obj``; audits ``document.downloaded`` (personal data)."""
    document = issue(kind_name, obj, actor=actor)
    audit.record("document.downloaded", actor=actor, object_type=kind_name,
                 object_id=document.reference,
                 summary=f"Descarga del documento {document.code} ({document.reference})",
                 details={"document": document.code})
    return document


def filename(document: IssuedDocument) -> str:
    """A safe download name, e.g. oficio-SSM-JS-I-0001-2026.pdf."""
    return f"{document.kind}-{re.sub(r'[^A-Za-z0-9-]+', '-', document.reference)}.pdf"


# ---------------------------------------------------------------------------------------------
# Verification (public: only non-personal facts)


@dataclass
class Verification:
    """What /verificar says about a code."""

    document: IssuedDocument
    record_intact: bool
    current: bool
    facts: list[tuple[str, str]] = field(default_factory=list)
    upload_matches: bool | None = None
    newest: IssuedDocument | None = None  # a later version issued, when this one is not

    @property
    def authentic(self) -> bool:
        """The record is intact (and an uploaded file, if any, is the issued one)."""
        return self.record_intact and self.upload_matches is not False


def signed_facts(signatures: list[dict[str, Any]], labels: dict[str, str]
                 ) -> list[tuple[str, str]]:
    """«Firma: <paso>» → «firmada el …» for each signature a version certifies."""
    facts = []
    for s in signatures:
        label = labels.get(s.get("paso", ""), s.get("paso") or "Firma")
        when = timeutil.format_datetime(datetime.fromisoformat(s["fecha"]))
        facts.append((f"Firma: {label}", f"firmada el {when}"))
    return facts


def _solicitud_state(request: AccountRequest, certified: dict[str, Any]
                     ) -> tuple[bool, list[tuple[str, str]]]:
    facts = [("Folio", request.folio),
             ("Unidad", f"{approvals.unit_name(request)} ({request.unit_clues})"),
             ("Fecha de la solicitud", timeutil.format_date(request.form_date))]
    facts += signed_facts(certified.get("firmas") or [],
                          {code: step.label for code, step in rules.STEPS.items()})
    intact = all(sha256_hex(s.content.encode()) == s.content_sha256
                 for s in approvals.signatures(request))
    return intact, facts


def _oficio_state(oficio: Oficio, certified: dict[str, Any]
                  ) -> tuple[bool, list[tuple[str, str]]]:
    requests = oficios.requests_of(oficio, live_only=False)
    facts = [("Número de oficio", oficio.number), ("Emite", oficio.issuing_area_name),
             ("Fecha", timeutil.format_date(oficio.issued_on)),
             ("Solicitudes anexas", str(len(requests))),
             ("Firmado electrónicamente", timeutil.format_datetime(oficio.signed_at))]
    if oficio.received_at:
        facts.append(("Acuse de recibo", timeutil.format_datetime(oficio.received_at)))
    if oficio.status == CANCELLED:
        facts.append(("Estado", "Cancelado por quien lo emitió"))
    # A signed oficio never changes: its row must still give the hash it was signed with.
    recomputed = sha256_hex(canonical_json(oficios.canonical_content(oficio, requests)))
    stored = sha256_hex(oficio.content.encode())
    return recomputed == stored == oficio.content_sha256, facts


register(Kind(SOLICITUD, "Solicitud de cuentas de usuario FO-DPE-STI-DI-04",
              lambda pk: db_get(AccountRequest, pk),
              lambda r: canonical_json(certified_request(r)), _render_solicitud,
              lambda r: r.folio, _solicitud_state))
register(Kind(OFICIO, "Oficio", lambda pk: db_get(Oficio, pk),
              lambda o: o.content.encode(), _render_oficio, lambda o: o.number, _oficio_state))


def verify(code: str, *, uploaded: bytes | None = None) -> Verification:
    """Check the document with this code (and optionally a file someone holds)."""
    normalized = normalize(code)
    document = None
    if normalized:
        document = session().scalar(select(IssuedDocument).where(
            IssuedDocument.code == normalized))
    if document is None:
        raise NotFound("Ningún documento emitido por Alta tiene ese código de verificación.")
    record_intact = (sha256_hex(document.content.encode()) == document.content_sha256
                     and sha256_hex(document.pdf) == document.pdf_sha256)
    spec = kind(document.kind)
    obj = spec.load(document.object_pk)
    current, facts = None, []
    if obj is not None:
        current = sha256_hex(spec.certified(obj))
        try:
            certified = json.loads(document.content)
        except ValueError:
            certified, record_intact = {}, False
        object_intact, facts = spec.state(obj, certified if isinstance(certified, dict)
                                          else {})
        record_intact = record_intact and object_intact
    facts = [("Tipo de documento", spec.label), *facts,
             ("Emitido", timeutil.format_datetime(document.issued_at)),
             ("SHA-256 del contenido", document.content_sha256),
             ("SHA-256 del archivo PDF", document.pdf_sha256)]
    result = Verification(document, record_intact, current == document.content_sha256, facts)
    if not result.current:
        result.newest = session().scalar(
            select(IssuedDocument).where(IssuedDocument.kind == document.kind,
                                         IssuedDocument.object_pk == document.object_pk,
                                         IssuedDocument.id > document.id)
            .order_by(IssuedDocument.id.desc()).limit(1))
    if uploaded is not None:
        result.upload_matches = sha256_hex(uploaded) == document.pdf_sha256
    return result



def remove_issued(kind: str, object_pks: list[int]) -> int:
    """Delete every issued version of these records' documents (retention); returns how many.

    The PDFs and their certified content carry personal data; the verification page then
    answers that the code does not exist.
    """
    result = session().execute(delete(IssuedDocument).where(
        IssuedDocument.kind == kind, IssuedDocument.object_pk.in_(object_pks)))
    return result.rowcount or 0
