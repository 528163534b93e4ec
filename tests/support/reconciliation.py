"""Imported directory accounts written straight to the database, for page tests that need
rows without the DC (the import itself is tested against the real DC)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from provisioning import audit, db, timeutil
from provisioning.catalogs.models import Unit
from provisioning.people import services as people
from provisioning.people.models import Person
from provisioning.reconciliation.models import (
    CANDIDATE,
    COMPLETE,
    PROPOSED,
    UNLINKED,
    ImportedAccount,
    ImportRun,
    LinkCandidate,
)
from tests.support.curp import import_fixture_curp

BASE = "DC=ssm,DC=test"


def person(n: int, nombres: str, primer: str, segundo: str | None,
           unit_clues: str = "MSSSA000120") -> Person:
    """A person Alta knows without any request (a fixture CURP numbered ``n``), flushed."""
    unit = db.session().scalar(select(Unit).where(Unit.clues == unit_clues,
                                                  Unit.valid_to.is_(None)))
    return people.person_for(people.Identity(
        curp=import_fixture_curp(160_000 + n), nombres=nombres, primer_apellido=primer,
        segundo_apellido=segundo, unit_id=unit.id, unit_clues=unit.clues,
        jurisdiction_code=unit.jurisdiction_code, staff_type_code="medico"),
        actor=audit.Actor.system("prueba"))


def import_run() -> ImportRun:
    """The newest run, or a complete one made now (flushed)."""
    run = db.session().scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
    if run is None:
        now = timeutil.now()
        run = ImportRun(base_dn=BASE, status=COMPLETE, started_at=now, finished_at=now,
                        started_by="prueba")
        db.session().add(run)
        db.session().flush()
    return run


def imported_account(sam: str, *, ou: str = f"OU=Cuernavaca,{BASE}", enabled: bool = True,
                     given: str | None = None, surname: str | None = None,
                     last_logon_at: datetime | None = None,
                     when_created: datetime | None = None,
                     expires_at: datetime | None = None,
                     candidates: tuple[tuple[int, int], ...] = ()) -> ImportedAccount:
    """An imported account (flushed), with name candidates as (person id, score)."""
    run = import_run()
    dn = f"CN={sam},{ou}"
    account = ImportedAccount(
        object_guid=str(uuid.uuid4()), sam_account_name=sam, dn=dn, dn_key=dn.lower(),
        ou=ou, enabled=enabled, groups_json="[]", when_created=when_created or timeutil.now(),
        last_logon_at=last_logon_at, expires_at=expires_at, curp=None, given_name=given,
        surname=surname, display_name=" ".join(filter(None, (given, surname))) or None,
        first_seen_run_id=run.id, last_seen_run_id=run.id, last_seen_at=timeutil.now(),
        link_status=PROPOSED if candidates else UNLINKED)
    db.session().add(account)
    db.session().flush()
    for person_id, score in candidates:
        db.session().add(LinkCandidate(account_id=account.id, person_id=person_id,
                                       score=score, reason="nombre completo",
                                       status=CANDIDATE, created_at=timeutil.now()))
    db.session().flush()
    return account
