"""The report of an access review campaign, issued and verified like the lifecycle's records
(a code and a QR to ``/verificar``): its scope, the results per unit, every account with its
answer and the baja a revocation started, and IT's closing signature (TOTP, SHA-256 of the
results). A new version is issued while answers arrive; the closed one is final.
``register`` is called by the app factory."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from provisioning import timeutil
from provisioning.crypto import canonical_json, sha256_hex
from provisioning.db import get as db_get
from provisioning.documents import layouts
from provisioning.documents import services as documents
from provisioning.people.models import Person
from provisioning.reviews import services
from provisioning.reviews.models import CAMPAIGN_LABELS, DECISION_LABELS, Campaign

KIND = "revision"
NOTES = (
    "Revisión periódica de los derechos de acceso (SGSI, GIIS-A004; ISO/IEC 27002 «revisión "
    "de los derechos de acceso de los usuarios»). Cada jefe(a) de unidad confirmó o revocó "
    "las cuentas activas de su unidad con un código TOTP; cada revocación inició una baja.",
    "Las cuentas se identifican por su objectGUID. Este documento no contiene contraseñas.",
)


def _certified(campaign: Campaign) -> bytes:
    return canonical_json({
        "estado": campaign.status,
        # Closed: exactly the results that were signed; open: the results now.
        "resultados": json.loads(campaign.content) if campaign.content
        else services.results(campaign),
        "firma": {"nombre": campaign.signer_name, "cargo": campaign.signer_position,
                  "fecha": campaign.closed_at.isoformat(), "ip": campaign.signer_ip,
                  "contenido_sha256": campaign.content_sha256} if campaign.closed_at else None,
    })


def _render(campaign: Campaign, code: str, now: datetime) -> bytes:
    certified = json.loads(_certified(campaign))
    found = certified["resultados"]["unidades"]
    units = [(services.unit_name(u["clues"]), str(u["cuentas"]), str(u["confirmadas"]),
              str(u["revocadas"]), str(u["sin_respuesta"])) for u in found]
    accounts = []
    for u in found:
        for item in u["detalle"]:
            person = db_get(Person, item["persona_id"])
            accounts.append((u["clues"], item["cuenta"], person.full_name if person else "",
                             DECISION_LABELS.get(item["respuesta"], item["respuesta"]),
                             item["respondio"] or "", item["baja"] or ""))
    total = sum(u["cuentas"] for u in found)
    fields = [
        ("ALCANCE", "Todas las unidades" if campaign.all_units else "Unidades elegidas"),
        ("ABIERTA EL", timeutil.format_datetime(campaign.opened_at) if campaign.opened_at
         else ""),
        ("FECHA LÍMITE", timeutil.format_date(campaign.deadline)),
        ("RECURRENCIA", f"Cada {campaign.recurrence_months} meses"
         if campaign.recurrence_months else "Sin recurrencia"),
        ("UNIDADES / CUENTAS", f"{len(found)} / {total}"),
        ("CONFIRMADAS", str(sum(u["confirmadas"] for u in found))),
        ("REVOCADAS (BAJAS)", str(sum(u["revocadas"] for u in found))),
        ("SIN RESPUESTA", str(sum(u["sin_respuesta"] for u in found))),
        ("ESTADO", CAMPAIGN_LABELS.get(campaign.status, campaign.status).upper()),
    ]
    evidence = layouts.Evidence(
        campaign.signer_name or "", campaign.signer_position or "",
        timeutil.format_datetime(campaign.closed_at, seconds=True),
        campaign.content_sha256 or "", campaign.signer_ip) if campaign.closed_at else None
    return layouts.review_report(
        code=code, url=documents.verify_url(code), created_at=now, folio=campaign.folio,
        fields=fields, units=units, accounts=accounts,
        block=layouts.SignatureBlock("DEPARTAMENTO DE INFORMÁTICA: CIERRE DE LA REVISIÓN",
                                     evidence),
        content_sha256=sha256_hex(_certified(campaign)), notes=NOTES)


def _state(campaign: Campaign, certified: dict[str, Any]) -> tuple[bool, list[tuple[str, str]]]:
    found = (certified.get("resultados") or {}).get("unidades") or []
    facts = [("Folio", campaign.folio),
             ("Fecha límite", timeutil.format_date(campaign.deadline)),
             ("Estado", CAMPAIGN_LABELS.get(certified.get("estado") or "",
                                            campaign.status_label)),
             ("Unidades", str(len(found))),
             ("Cuentas revisadas", str(sum(u.get("cuentas", 0) for u in found))),
             ("Revocadas", str(sum(u.get("revocadas", 0) for u in found)))]
    signed = certified.get("firma")
    facts += documents.signed_facts([{"paso": "cierre", **signed}] if isinstance(signed, dict)
                                    else [], {"cierre": "Departamento de Informática"})
    intact = campaign.content is None or sha256_hex(campaign.content.encode()) == \
        campaign.content_sha256
    return intact, facts


def register() -> None:
    """Make the report issuable and verifiable (called by the app factory)."""
    documents.register(documents.Kind(
        KIND, "Informe de revisión de acceso", lambda pk: db_get(Campaign, pk), _certified,
        _render, lambda c: c.folio, _state))
