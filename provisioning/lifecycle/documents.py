"""The printed records of the lifecycle, issued and verified like the solicitud (a code
and a QR to ``/verificar``): the baja, the cambio de adscripción and the prórroga. Each
certifies what was signed and what became of it (executed, cancelled); a new version is
issued when that changes. ``register`` is called by the app factory."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from provisioning import timeutil
from provisioning.catalogs import services as catalogs
from provisioning.crypto import canonical_json, sha256_hex
from provisioning.db import get as db_get
from provisioning.documents import layouts
from provisioning.documents import services as documents
from provisioning.lifecycle import cambios, rules
from provisioning.lifecycle import services as bajas
from provisioning.lifecycle.models import (
    CAMBIO_STATUS_LABELS,
    STATUS_LABELS,
    Baja,
    BajaSignature,
    Cambio,
    Extension,
)
from provisioning.people.models import Person

BAJA, CAMBIO, PRORROGA = "baja", "cambio", "prorroga"
NOTES = (
    "La cuenta del directorio se identifica por su objectGUID; nunca se borra en el acto: "
    "las reglas de conservación deciden (3 años).",
    "Este documento no contiene contraseñas ni códigos de activación.",
)


def _unit(clues: str) -> str:
    unit = catalogs.unit_by_clues(clues)
    return f"{unit.name} ({clues})" if unit else clues


def _when(moment: datetime | None) -> str:
    return timeutil.format_datetime(moment, seconds=True) if moment else ""


def _evidence(name: str, position: str, signed_at: datetime, digest: str,
              ip: str | None) -> layouts.Evidence:
    return layouts.Evidence(name, position, _when(signed_at), digest, ip)


def _intact(content: str | None, digest: str | None) -> bool:
    return content is None or sha256_hex(content.encode()) == digest


# ---------------------------------------------------------------------------------------------
# Baja


def _baja_certified(baja: Baja) -> bytes:
    return canonical_json({
        "baja": bajas.canonical_content(baja), "estado": baja.status,
        "firmas": [{"paso": s.step, "nombre": s.signer_name, "cargo": s.signer_position,
                    "fecha": s.signed_at.isoformat(), "ip": s.ip,
                    "contenido_sha256": s.content_sha256} for s in bajas.signatures(baja)],
        "ejecutada_el": baja.executed_at.isoformat() if baja.executed_at else None,
        "cancelada_el": baja.cancelled_at.isoformat() if baja.cancelled_at else None,
    })


def _baja_blocks(baja: Baja) -> list[layouts.SignatureBlock]:
    signed: dict[str, BajaSignature] = {s.step: s for s in bajas.signatures(baja)}
    steps = (rules.URGENT,) if baja.urgent else rules.chain(baja.reason_code)
    if baja.started_by == "sistema":
        return [layouts.SignatureBlock(
            "SIN FIRMA: FIN DEL ACCESO TEMPORAL",
            printed_name="El último día se firmó con la solicitud o su prórroga.")]
    blocks = []
    for step in steps:
        s = signed.get(step.code)
        blocks.append(layouts.SignatureBlock(step.label.upper(), _evidence(
            s.signer_name, s.signer_position, s.signed_at, s.content_sha256, s.ip)
            if s else None))
    return blocks


def _baja_render(baja: Baja, code: str, now: datetime) -> bytes:
    person = bajas.person_of(baja)
    fields = [("NOMBRE COMPLETO", person.full_name), ("CURP", person.curp or ""),
              ("CUENTA", baja.sam_account_name), ("OBJECTGUID", baja.object_guid),
              ("UNIDAD", _unit(baja.unit_clues)),
              ("MOTIVO", rules.REASONS.get(baja.reason_code, baja.reason_code)),
              ("DETALLE", baja.reason_detail or ""),
              ("FECHA EFECTIVA", timeutil.format_date(baja.effective_date)),
              ("URGENTE", "SÍ" if baja.urgent else "NO"),
              ("ESTADO", baja.status_label.upper()),
              ("EJECUTADA EL", _when(baja.executed_at)),
              *([("CANCELADA EL", _when(baja.cancelled_at))] if baja.cancelled_at else [])]
    return layouts.record(
        code=code, url=documents.verify_url(code), created_at=now, title="Baja de cuenta",
        subtitle="Fin del acceso", folio=baja.folio, fields=fields, blocks=_baja_blocks(baja),
        content_sha256=sha256_hex(_baja_certified(baja)), notes=NOTES)


def _status(labels: dict[str, str], certified: dict[str, Any], fallback: str) -> str:
    return labels.get(certified.get("estado") or "", fallback)


def _baja_state(baja: Baja, certified: dict[str, Any]) -> tuple[bool, list[tuple[str, str]]]:
    facts = [("Folio", baja.folio), ("Unidad", _unit(baja.unit_clues)),
             ("Fecha efectiva", timeutil.format_date(baja.effective_date)),
             ("Estado", _status(STATUS_LABELS, certified, baja.status_label))]
    facts += documents.signed_facts(certified.get("firmas") or [],
                                    {rules.UNIT_HEAD.code: rules.UNIT_HEAD.label,
                                     rules.URGENT.code: rules.URGENT.label})
    intact = all(_intact(s.content, s.content_sha256) for s in bajas.signatures(baja))
    return intact, facts


# ---------------------------------------------------------------------------------------------
# Cambio de adscripción


def _cambio_certified(cambio: Cambio) -> bytes:
    return canonical_json({
        "cambio": cambios.canonical_content(cambio), "estado": cambio.status,
        "firma": {"nombre": cambio.signer_name, "cargo": cambio.signer_position,
                  "fecha": cambio.signed_at.isoformat(), "ip": cambio.signer_ip,
                  "contenido_sha256": cambio.content_sha256} if cambio.signed_at else None,
        "ejecutado_el": cambio.executed_at.isoformat() if cambio.executed_at else None,
        "cancelado_el": cambio.cancelled_at.isoformat() if cambio.cancelled_at else None,
    })


def _cambio_render(cambio: Cambio, code: str, now: datetime) -> bytes:
    person = db_get(Person, cambio.person_id)
    fields = [("NOMBRE COMPLETO", person.full_name if person else ""),
              ("CURP", (person.curp or "") if person else ""),
              ("OBJECTGUID", cambio.object_guid),
              ("DE LA UNIDAD", _unit(cambio.from_unit_clues)),
              ("A LA UNIDAD", _unit(cambio.to_unit_clues)),
              ("DETALLE", cambio.reason_detail or ""),
              ("FECHA EFECTIVA", timeutil.format_date(cambio.effective_date)),
              ("ESTADO", cambio.status_label.upper()),
              ("EJECUTADO EL", _when(cambio.executed_at)),
              *([("CANCELADO EL", _when(cambio.cancelled_at))] if cambio.cancelled_at else [])]
    evidence = _evidence(cambio.signer_name or "", cambio.signer_position or "",
                         cambio.signed_at, cambio.content_sha256 or "",
                         cambio.signer_ip) if cambio.signed_at else None
    return layouts.record(
        code=code, url=documents.verify_url(code), created_at=now,
        title="Cambio de adscripción", subtitle="Recibe: jefe(a) de la unidad de destino",
        folio=cambio.folio, fields=fields,
        blocks=[layouts.SignatureBlock("JEFE(A) DE LA UNIDAD QUE RECIBE", evidence)],
        content_sha256=sha256_hex(_cambio_certified(cambio)), notes=NOTES)


def _cambio_state(cambio: Cambio, certified: dict[str, Any]
                  ) -> tuple[bool, list[tuple[str, str]]]:
    facts = [("Folio", cambio.folio), ("De la unidad", _unit(cambio.from_unit_clues)),
             ("A la unidad", _unit(cambio.to_unit_clues)),
             ("Fecha efectiva", timeutil.format_date(cambio.effective_date)),
             ("Estado", _status(CAMBIO_STATUS_LABELS, certified, cambio.status_label))]
    signed = certified.get("firma")
    facts += documents.signed_facts(
        [{"paso": "recibe", **signed}] if isinstance(signed, dict) else [],
        {"recibe": "jefe(a) de la unidad que recibe"})
    return _intact(cambio.content, cambio.content_sha256), facts


# ---------------------------------------------------------------------------------------------
# Prórroga


def _extension_certified(extension: Extension) -> bytes:
    return canonical_json({
        "prorroga": extension.content, "contenido_sha256": extension.content_sha256,
        "firma": {"nombre": extension.signer_name, "cargo": extension.signer_position,
                  "fecha": extension.signed_at.isoformat(), "ip": extension.signer_ip},
        "aplicada_el": extension.executed_at.isoformat() if extension.executed_at else None,
    })


def _extension_render(extension: Extension, code: str, now: datetime) -> bytes:
    person = db_get(Person, extension.person_id)
    fields = [("NOMBRE COMPLETO", person.full_name if person else ""),
              ("CURP", (person.curp or "") if person else ""),
              ("OBJECTGUID", extension.object_guid), ("UNIDAD", _unit(extension.unit_clues)),
              ("ÚLTIMO DÍA ANTERIOR", timeutil.format_date(extension.old_end_date)),
              ("NUEVO ÚLTIMO DÍA", timeutil.format_date(extension.new_end_date)),
              ("DETALLE", extension.reason_detail or ""),
              ("APLICADA EN EL DIRECTORIO", _when(extension.executed_at))]
    return layouts.record(
        code=code, url=documents.verify_url(code), created_at=now,
        title="Prórroga de acceso", subtitle="Personal temporal", folio=extension.folio,
        fields=fields, blocks=[layouts.SignatureBlock("JEFE(A) DE LA UNIDAD", _evidence(
            extension.signer_name, extension.signer_position, extension.signed_at,
            extension.content_sha256, extension.signer_ip))],
        content_sha256=sha256_hex(_extension_certified(extension)), notes=NOTES)


def _extension_state(extension: Extension, certified: dict[str, Any]
                     ) -> tuple[bool, list[tuple[str, str]]]:
    facts = [("Folio", extension.folio), ("Unidad", _unit(extension.unit_clues)),
             ("Nuevo último día", timeutil.format_date(extension.new_end_date)),
             ("Firma", f"firmada el {timeutil.format_datetime(extension.signed_at)}")]
    return _intact(extension.content, extension.content_sha256), facts


def register() -> None:
    """Make the three records issuable and verifiable (called by the app factory)."""
    documents.register(documents.Kind(
        BAJA, "Baja de cuenta", lambda pk: db_get(Baja, pk), _baja_certified, _baja_render,
        lambda b: b.folio, _baja_state))
    documents.register(documents.Kind(
        CAMBIO, "Cambio de adscripción", lambda pk: db_get(Cambio, pk), _cambio_certified,
        _cambio_render, lambda c: c.folio, _cambio_state))
    documents.register(documents.Kind(
        PRORROGA, "Prórroga de acceso", lambda pk: db_get(Extension, pk),
        _extension_certified, _extension_render, lambda x: x.folio, _extension_state))
