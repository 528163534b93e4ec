"""Synthetic data for tests and benchmarks: hypothetical CURPs and requests already received
by IT (the signing and oficio steps are other domains' tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from provisioning import audit, counters, db, timeutil
from provisioning.account_requests.models import AccountRequest, RequestEvent
from provisioning.account_requests.workflow import RequestStatus
from provisioning.catalogs.models import Unit
from provisioning.people import services as people
from tests.support.curp import synthetic_curp


def received_request(nombres: str, primer_apellido: str, segundo_apellido: str | None = None,
                     *, curp_value: str, unit_clues: str = "MSSSA000120",
                     staff_type_code: str = "medico", wants_email: bool = False,
                     wants_ece: bool = True) -> AccountRequest:
    """A request in «recibida por Informática», flushed in the current session."""
    session = db.session()
    unit = session.scalar(select(Unit).where(Unit.clues == unit_clues,
                                             Unit.valid_to.is_(None)))
    assert unit is not None, unit_clues
    now = timeutil.now()
    today = timeutil.to_local(now).date()
    seq = counters.next_value(f"folio:{unit.clues}:{today.year}")
    central = unit.unit_type == "oficinas_centrales"
    person = people.person_for(people.Identity(
        curp=curp_value, nombres=nombres.upper(), primer_apellido=primer_apellido.upper(),
        segundo_apellido=segundo_apellido.upper() if segundo_apellido else None,
        unit_id=unit.id, unit_clues=unit.clues, jurisdiction_code=unit.jurisdiction_code,
        staff_type_code=staff_type_code), actor=audit.Actor.system("prueba"))
    request = AccountRequest(
        folio=f"{unit.clues}-{today.year}-{seq:05d}", tracking_code_hash="x",
        person_id=person.id,
        status=RequestStatus.RECIBIDA_INFORMATICA.value, submitted_at=now, updated_at=now,
        form_date=today, wants_user_account=True, wants_email_account=wants_email,
        wants_ece=wants_ece, curp=curp_value, nombres=nombres.upper(),
        primer_apellido=primer_apellido.upper(),
        segundo_apellido=segundo_apellido.upper() if segundo_apellido else None,
        unit_id=unit.id, unit_clues=unit.clues, unit_type=unit.unit_type,
        jurisdiction_code=unit.jurisdiction_code, direccion_code="DAM",
        subdireccion_code="SAPS", departamento="Informática" if central else "N/A",
        telefono="7771234567", extension=None, contact_email="persona@example.org",
        staff_type_code=staff_type_code, privacy_notice_sha256="0" * 64)
    session.add(request)
    session.flush()
    session.add(RequestEvent(request_id=request.id, occurred_at=now, event="acknowledge",
                             from_status=RequestStatus.EN_OFICIO.value,
                             to_status=request.status, actor="prueba", actor_role="prueba",
                             reason=None, public=True))
    session.flush()
    return request


NAMES = [("Juan", "López", "López"), ("María José", "Hernández", "Ruiz"),
         ("Begoña", "Ibáñez", None), ("Shaun", "O'Neill", "de la Cruz"),
         ("Maximiliano", "Hernández", "Ortiz"), ("Ana", "Pérez-Gómez", None)]


def make_requests(count: int, *, first: int = 0) -> list[int]:
    """``count`` committed requests received by IT (names from NAMES, in turn); their ids."""
    ids = []
    for i in range(count):
        given, surname1, surname2 = NAMES[i % len(NAMES)]
        ids.append(received_request(given, surname1, surname2,
                                    curp_value=synthetic_curp(first + i)).id)
    db.commit()
    return ids


def write_toml(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """Write a configuration file (tables of text, numbers, booleans, lists, inline tables)."""

    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int | float):
            return str(item)
        if isinstance(item, list | tuple):
            return "[" + ", ".join(value(v) for v in item) + "]"
        if isinstance(item, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(v)}" for k, v in item.items()) + "}"
        return json.dumps(item)  # a JSON string is a valid TOML basic string

    path.write_text("".join(f"[{name}]\n" + "".join(f"{k} = {value(v)}\n"
                                                     for k, v in table.items())
                            for name, table in sections.items()), encoding="utf-8")
    return path
