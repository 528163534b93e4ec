"""The lifecycle's records for retention (``records.classes``): bajas, cambios de
adscripción and prórrogas are kept 3 years from their closure like the alta's paperwork;
then what names the person goes (the account name, written reasons, what was signed —
its SHA-256 stays) while dates, units, reason codes and signers stay as evidence. The
person's CURP and names are kept while any of these records is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal, select, update

from provisioning.db import session
from provisioning.lifecycle.models import Baja, BajaSignature, Cambio, Extension


@dataclass(frozen=True)
class Kind:
    """One kind of lifecycle record: its model, when it closed, what retention blanks."""

    name: str  # the record class name (Disposal.record_class)
    label: str
    model: Any
    closed: Any  # SQL expression: when it closed (NULL while open)
    blank: dict[str, Any] = field(default_factory=dict)  # column → value once disposed of


BAJA = Kind("baja", "Baja", Baja, func.coalesce(Baja.executed_at, Baja.cancelled_at),
            {"sam_account_name": "", "reason_detail": None, "cancel_reason": None})
CAMBIO = Kind("cambio", "Cambio de adscripción", Cambio,
              func.coalesce(Cambio.executed_at, Cambio.cancelled_at),
              {"reason_detail": None, "cancel_reason": None, "content": "{}"})
# A prórroga is closed once signed: it grants a later end date, nothing stays open.
PRORROGA = Kind("prorroga", "Prórroga", Extension, Extension.signed_at,
                {"reason_detail": None, "content": "{}"})
KINDS = (BAJA, CAMBIO, PRORROGA)


def closed_before(kind: Kind, moment: datetime) -> list[tuple[str, datetime, str]]:
    """Records of ``kind`` closed before ``moment``: (folio, closed at, status)."""
    model = kind.model
    status = getattr(model, "status", None)
    shown = status if status is not None else literal("firmada")
    return [(folio, at, state) for folio, at, state in session().execute(
        select(model.folio, kind.closed, shown).where(kind.closed <= moment)
        .order_by(kind.closed, model.id))]


def exists(kind: Kind, folio: str, disposed: Any) -> bool:
    """Whether ``folio`` is a record of ``kind`` not yet disposed of (``disposed``: a select
    of the disposed folios)."""
    model = kind.model
    return session().scalar(select(func.count()).select_from(model).where(
        model.folio == folio, model.folio.not_in(disposed))) == 1


def ids_of(kind: Kind, folios: list[str]) -> list[int]:
    """The primary keys of these records (their issued documents are keyed by them)."""
    return list(session().scalars(select(kind.model.id).where(kind.model.folio.in_(folios))))


def forget(kind: Kind, folios: list[str]) -> set[int]:
    """Blank what names the person in these records; returns their people's ids."""
    model = kind.model
    ids = ids_of(kind, folios)
    session().execute(update(model).where(model.id.in_(ids)).values(**kind.blank)
                      .execution_options(synchronize_session=False))
    if kind is BAJA:
        session().execute(update(BajaSignature).where(BajaSignature.baja_id.in_(ids))
                          .values(content="{}").execution_options(synchronize_session=False))
    return set(session().scalars(select(model.person_id).where(model.id.in_(ids))))


def people_kept(person_ids: set[int], disposed: Any,
                ignoring: tuple[str, list[str]] | None = None) -> set[int]:
    """Those of ``person_ids`` with a lifecycle record not yet disposed of: their CURP and
    names are still needed. ``disposed(name)`` selects the disposed folios of a record
    class; ``ignoring``: (record class name, folios) being disposed of in this run (not
    recorded yet)."""
    kept: set[int] = set()
    for kind in KINDS:
        model = kind.model
        query = select(model.person_id).where(model.person_id.in_(person_ids),
                                              model.folio.not_in(disposed(kind.name)))
        if ignoring is not None and ignoring[0] == kind.name:
            query = query.where(model.folio.not_in(ignoring[1]))
        kept |= set(session().scalars(query))
    return kept
