"""Finding, updating and reading people: by CURP, within a staff member's scope, and the
history of everything they own."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select, update

from provisioning import audit, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.crypto import pseudonym
from provisioning.db import session
from provisioning.people.models import Person


@dataclass(frozen=True)
class Identity:
    """What a case says about its person (a request, as filed)."""

    curp: str
    nombres: str
    primer_apellido: str
    segundo_apellido: str | None
    unit_id: int
    unit_clues: str
    jurisdiction_code: str
    staff_type_code: str
    end_date: date | None = None  # temporary staff (people.rules)


_FIELDS = ("nombres", "primer_apellido", "segundo_apellido", "unit_id", "unit_clues",
           "jurisdiction_code", "staff_type_code", "end_date")


def by_curp(curp: str) -> Person | None:
    """The person with this CURP, if Alta knows them."""
    return session().scalar(select(Person).where(Person.curp == curp))


def person_for(identity: Identity, *, actor: audit.Actor) -> Person:
    """The person of ``identity.curp``, created on first sight, else brought up to date with
    this newest case (names, unit, staff type). Audits ``person.created`` or
    ``person.updated`` (with the changed field names and the CURP's keyed hash, never the
    values). The caller holds the transaction (a concurrent first case for the same CURP
    fails its insert on the unique CURP)."""
    now = timeutil.now()
    person = by_curp(identity.curp)
    if person is None:
        person = Person(curp=identity.curp, created_at=now, updated_at=now,
                        **{name: getattr(identity, name) for name in _FIELDS})
        session().add(person)
        session().flush()
        audit.record("person.created", actor=actor, object_type="person",
                     object_id=person.id, summary=f"Persona {person.id} registrada",
                     details={"curp_hmac": pseudonym("curp", identity.curp),
                              "unit_clues": identity.unit_clues})
        return person
    changed = sorted(name for name in _FIELDS
                     if getattr(person, name) != getattr(identity, name))
    if changed:
        for name in changed:
            setattr(person, name, getattr(identity, name))
        person.updated_at = now
        session().flush()
        audit.record("person.updated", actor=actor, object_type="person",
                     object_id=person.id, summary=f"Persona {person.id} actualizada",
                     details={"fields": changed, "unit_clues": person.unit_clues,
                              "curp_hmac": pseudonym("curp", identity.curp)})
    return person


def move_to(person: Person, *, unit_id: int, unit_clues: str, jurisdiction_code: str,
            actor: audit.Actor) -> None:
    """The person now works in another unit (a cambio de adscripción was executed).
    Audits ``person.updated`` with the new unit (never names or CURP)."""
    person.unit_id, person.unit_clues = unit_id, unit_clues
    person.jurisdiction_code, person.updated_at = jurisdiction_code, timeutil.now()
    session().flush()
    details = {"fields": ["jurisdiction_code", "unit_clues", "unit_id"],
               "unit_clues": unit_clues}
    if person.curp:
        details["curp_hmac"] = pseudonym("curp", person.curp)
    audit.record("person.updated", actor=actor, object_type="person", object_id=person.id,
                 summary=f"Persona {person.id} adscrita a {unit_clues}", details=details)


def in_scope(person: Person, *, units: Iterable[str] = (),
             jurisdictions: Iterable[str] = (), service_wide: bool = False) -> bool:
    """True when a staff member with these scopes may see ``person`` (a unit head: their
    units; a liaison: their jurisdictions; IT and audit: everyone)."""
    return (service_wide or person.unit_clues in set(units)
            or person.jurisdiction_code in set(jurisdictions))


# Reads audited on every page view: in the history they would bury what happened (a record
# opened a thousand times showed a thousand lines, and took seconds to draw). They stay in
# the audit log, where auditors search them.
ROUTINE_READS = ("person.viewed", "request.viewed", "oficio.viewed", "preregistration.viewed")
TIMELINE_LIMIT = 200


def timeline(person: Person, cases: Iterable[tuple[str, str]] = ()) -> list[AuditEvent]:
    """The person's history from the audit log, oldest first: the events about the person
    and about each of their cases (``(object_type, object_id)``, e.g. their requests), but
    routine reads; the newest ``TIMELINE_LIMIT`` of them."""
    wanted = [and_(AuditEvent.object_type == "person",
                   AuditEvent.object_id == str(person.id))]
    wanted += [and_(AuditEvent.object_type == kind, AuditEvent.object_id == key)
               for kind, key in cases]
    newest = session().scalars(select(AuditEvent).where(
        or_(*wanted), AuditEvent.action.not_in(ROUTINE_READS))
        .order_by(AuditEvent.seq.desc()).limit(TIMELINE_LIMIT))
    return list(reversed(newest.all()))


def anonymize(person_ids: Iterable[int]) -> int:
    """Blank the CURP and names of these people (retention: none of their records is kept
    any more). The row stays, so the anonymized cases still belong to one person."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    result = session().execute(
        update(Person).where(Person.id.in_(ids))
        .values(curp=None, nombres="", primer_apellido="", segundo_apellido=None,
                search_text="", end_date=None, updated_at=timeutil.now())
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def remove_unused(person_id: int, *, actor: audit.Actor) -> None:
    """Delete a person no case refers to any more (the caller checked): a CURP typed by
    mistake and corrected must not stay behind in clear. Audits ``person.removed``."""
    person = session().get(Person, person_id)
    if person is None:
        return
    details = {"curp_hmac": pseudonym("curp", person.curp)} if person.curp else {}
    session().delete(person)
    session().flush()
    audit.record("person.removed", actor=actor, object_type="person", object_id=person_id,
                 summary=f"Persona {person_id} eliminada: su CURP se corrigió en la solicitud",
                 details=details)


def export_rows(person: Person | None) -> list[dict[str, str]]:
    """The person's own record for their data export (ARCO access)."""
    if person is None or person.curp is None:
        return []
    return [{"curp": person.curp, "nombre": person.full_name,
             "unidad_actual": person.unit_clues,
             "jurisdiccion_actual": person.jurisdiction_code,
             "tipo_de_personal": person.staff_type_code,
             "acceso_hasta": timeutil.format_date(person.end_date) if person.end_date else "",
             "registrada_el": timeutil.format_datetime(person.created_at, seconds=True),
             "actualizada_el": timeutil.format_datetime(person.updated_at, seconds=True)}]
