"""The directory import and the links of imported accounts to people.

``import_directory`` streams every user account under a base (``directory.imports``) and
upserts them by objectGUID in chunks; the caller's ``checkpoint`` (the CLI: a commit) runs
after each chunk, so memory stays flat and the page shows progress. ``link_accounts`` links
by CURP and proposes name candidates. Services flush, never commit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import func, insert, literal, select, update

from provisioning import audit, db, timeutil
from provisioning.config import current as settings
from provisioning.directory.connection import Directory, normalized_dn
from provisioning.directory.errors import DirectoryError, InvalidValue
from provisioning.directory.imports import ImportedEntry, Stream, dn_key
from provisioning.errors import NotFound, ValidationError
from provisioning.naming import fold, split_full_name, split_surnames
from provisioning.people import accounts as person_accounts
from provisioning.people.accounts import DirectoryAccount
from provisioning.people.models import Person
from provisioning.reconciliation.models import (
    BY_ALTA,
    BY_CURP,
    BY_HAND,
    BY_NAME,
    CANDIDATE,
    COMPLETE,
    DELETED,
    FAILED,
    LINKED,
    PROPOSED,
    REAPPEARED,
    REJECTED,
    RENAMED,
    RUNNING,
    SERVICE,
    SHARED,
    UNLINKED,
    ImportChange,
    ImportedAccount,
    ImportRun,
    LinkCandidate,
)

CHUNK = 500
# Per-change audit events (renames, disappearances) per run; beyond, the run event counts them.
MAX_CHANGE_EVENTS = 100
EXACT = 100


@dataclass
class Progress:
    """What a run has done so far (printed by the CLI)."""

    seen: int = 0


def latest_run() -> ImportRun | None:
    """The newest import run."""
    return db.session().scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))


def runs(limit: int = 20) -> list[ImportRun]:
    """The newest import runs first."""
    return list(db.session().scalars(select(ImportRun).order_by(ImportRun.id.desc())
                                     .limit(limit)))


def start_run(base_dn: str, *, actor: audit.Actor) -> ImportRun:
    """A new running import run (flushed)."""
    run = ImportRun(base_dn=base_dn, status=RUNNING, started_at=timeutil.now(),
                    started_by=actor.name[:120])
    db.session().add(run)
    db.session().flush()
    return run


def _chunks(items: Iterable[ImportedEntry], size: int) -> Iterator[list[ImportedEntry]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_directory(directory: Directory, *, actor: audit.Actor, base: str | None = None,
                     checkpoint: Callable[[ImportRun], None] = lambda run: None,
                     chunk: int = CHUNK, page_size: int = 500) -> ImportRun:
    """Read every user account under ``base`` (default: the domain) and record it.

    Accounts are keyed by objectGUID: a re-run updates them, a new sAMAccountName or DN is
    a rename, an account seen before under this base and missing from a complete run is
    deleted, one seen again after that has reappeared. Audits one ``directory.import_run``
    event with the counts and, for the first ``MAX_CHANGE_EVENTS`` changes, one event each
    (objectGUID only). ``checkpoint(run)`` runs after each chunk (the caller commits there).
    A DC error marks the run failed (no deletions) and is raised again.
    """
    stream = Stream(directory, base, page_size=page_size)
    run = start_run(stream.base, actor=actor)
    checkpoint(run)
    run_id = run.id
    change_events = 0
    try:
        for entries in _chunks(stream, chunk):
            run = db.get(ImportRun, run_id)
            change_events = _upsert(run, entries, actor, change_events)
            db.session().flush()
            checkpoint(run)
            db.session().expunge_all()
    except DirectoryError as exc:
        db.rollback()
        run = db.get(ImportRun, run_id)
        run.status, run.error, run.finished_at = FAILED, exc.message[:500], timeutil.now()
        _record_run(run, actor)
        checkpoint(run)
        raise
    run = db.get(ImportRun, run_id)
    _mark_deleted(run, actor, change_events)
    run.status, run.finished_at = COMPLETE, timeutil.now()
    _record_run(run, actor)
    db.session().flush()
    return run


def _record_run(run: ImportRun, actor: audit.Actor) -> None:
    audit.record("directory.import_run", actor=actor, object_type="directory_import",
                 object_id=run.id,
                 summary=f"Importación del directorio {run.id}: {run.status_label.lower()} "
                         f"({run.seen} cuentas)",
                 details={"status": run.status, "seen": run.seen, "added": run.added,
                          "updated": run.updated, "renamed": run.renamed,
                          "deleted": run.deleted})


def _change(run: ImportRun, account: ImportedAccount, kind: str, actor: audit.Actor,
            events: int, *, old_sam: str | None = None, old_dn: str | None = None) -> int:
    db.session().add(ImportChange(
        run_id=run.id, account_id=account.id, kind=kind, old_sam_account_name=old_sam,
        new_sam_account_name=account.sam_account_name if kind != DELETED else None,
        old_dn=old_dn, new_dn=account.dn if kind != DELETED else None,
        occurred_at=timeutil.now()))
    if events < MAX_CHANGE_EVENTS:
        audit.record(f"directory.account_{kind}", actor=actor, object_type="directory_account",
                     object_id=account.object_guid,
                     summary=f"Cuenta del directorio {account.object_guid}: {kind}",
                     details={"run": run.id, "object_guid": account.object_guid})
    return events + 1


def _values(entry: ImportedEntry) -> dict[str, object]:
    return {"sam_account_name": entry.sam_account_name, "dn": entry.dn,
            "dn_key": dn_key(entry.dn)[:1000], "ou": entry.ou[:1000],
            "enabled": entry.enabled, "groups_json": json.dumps(list(entry.groups)),
            "when_created": entry.created_at, "last_logon_at": entry.last_logon_at,
            "expires_at": entry.expires_at, "curp": (entry.curp or None) and entry.curp[:40],
            "given_name": entry.given_name, "surname": entry.surname,
            "display_name": entry.display_name}


def _upsert(run: ImportRun, entries: list[ImportedEntry], actor: audit.Actor,
            events: int) -> int:
    now = timeutil.now()
    known = {a.object_guid: a for a in db.session().scalars(
        select(ImportedAccount).where(ImportedAccount.object_guid.in_(
            [e.guid for e in entries])))}
    created = dict(db.session().execute(
        select(DirectoryAccount.object_guid, DirectoryAccount.person_id).where(
            DirectoryAccount.object_guid.in_([e.guid for e in entries]))).all())
    # New accounts go in as one bulk INSERT of plain rows: building an ORM object for each
    # was a fifth of a first import's time.
    new_rows: list[dict[str, object]] = []
    for entry in entries:
        values = _values(entry)
        account = known.get(entry.guid)
        run.seen += 1
        if account is None:
            row = {"object_guid": entry.guid, "first_seen_run_id": run.id,
                   "last_seen_run_id": run.id, "last_seen_at": now, "link_status": UNLINKED,
                   "person_id": None, "link_method": None, "link_score": None,
                   "linked_at": None, "linked_by": None, **values}
            if created.get(entry.guid) is not None:  # Alta made it: already linked
                row.update(person_id=created[entry.guid], link_status=LINKED,
                           link_method=BY_ALTA, link_score=EXACT, linked_at=now,
                           linked_by=actor.name[:120])
            new_rows.append(row)
            run.added += 1
            continue
        old_sam, old_dn, old_key = account.sam_account_name, account.dn, account.dn_key
        changed = any(getattr(account, k) != v for k, v in values.items() if k != "dn")
        for key, value in values.items():
            setattr(account, key, value)
        account.last_seen_run_id, account.last_seen_at = run.id, now
        if changed:
            run.updated += 1
        if account.deleted_at is not None:
            account.deleted_at = None
            events = _change(run, account, REAPPEARED, actor, events)
        elif old_sam.lower() != entry.sam_account_name.lower() or old_key != values["dn_key"]:
            run.renamed += 1
            events = _change(run, account, RENAMED, actor, events, old_sam=old_sam,
                             old_dn=old_dn)
    if new_rows:  # Core, not ORM: the ORM leaves out None values, and rows with different
        # None columns (no CURP, never logged on) went in as thousands of small INSERTs.
        db.session().execute(insert(ImportedAccount.__table__), new_rows)
    return events


def _mark_deleted(run: ImportRun, actor: audit.Actor, events: int) -> None:
    """Accounts under the run's base that this complete run did not see: a set difference
    in the database (last seen by another run), never a list of GUIDs in memory."""
    now = timeutil.now()
    session = db.session()
    base = dn_key(run.base_dn)
    pattern = "%," + base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    gone = (ImportedAccount.last_seen_run_id != run.id, ImportedAccount.deleted_at.is_(None),
            (ImportedAccount.dn_key == base)
            | ImportedAccount.dn_key.like(pattern, escape="\\"))
    for account in session.scalars(select(ImportedAccount).where(*gone)
                                   .order_by(ImportedAccount.id).limit(MAX_CHANGE_EVENTS)):
        events = _change(run, account, DELETED, actor, events, old_sam=account.sam_account_name,
                         old_dn=account.dn)
    session.flush()
    session.execute(insert(ImportChange).from_select(
        ["run_id", "account_id", "kind", "old_sam_account_name", "old_dn", "occurred_at"],
        select(literal(run.id), ImportedAccount.id, literal(DELETED),
               ImportedAccount.sam_account_name, ImportedAccount.dn, literal(now))
        .where(*gone, ~ImportedAccount.id.in_(select(ImportChange.account_id).where(
            ImportChange.run_id == run.id, ImportChange.kind == DELETED)))))
    result = session.execute(update(ImportedAccount).where(*gone).values(deleted_at=now)
                             .execution_options(synchronize_session=False))
    run.deleted += result.rowcount or 0


# ---------------------------------------------------------------------------------------------
# Linking


def _name_keys(given: str | None, surnames: list[str | None]) -> tuple[str, str, str]:
    return (fold(given or ""), fold(surnames[0] or "") if surnames else "",
            fold(surnames[1] or "") if len(surnames) > 1 else "")


def _account_names(account: ImportedAccount) -> tuple[str, str, str] | None:
    """(given, first surname, second surname) folded, from givenName/sn or displayName."""
    if account.given_name and account.surname:
        first, second = split_surnames(account.surname)
        return fold(account.given_name), fold(first), fold(second)
    if account.display_name:
        found = split_full_name(account.display_name)
        if found is not None:
            return fold(found[0]), fold(found[1]), fold(found[2])
    return None


def score(account_names: tuple[str, str, str], person: Person) -> tuple[int, str]:
    """How well a folded account name matches the person (0: not at all) and why."""
    given, first, second = account_names
    p_given = fold(person.nombres)
    p_first = fold(person.primer_apellido)
    p_second = fold(person.segundo_apellido or "")
    if not first or first != p_first:
        return 0, ""
    if given == p_given and second == p_second:
        return EXACT, "nombre completo"
    if given == p_given and (not second or not p_second):
        return 90, "nombre y primer apellido"
    first_given = fold(person.nombres.split()[0]) if person.nombres.split() else ""
    if given and first_given and given.startswith(first_given) and second == p_second:
        return 80, "primer nombre y apellidos"
    if given and p_given and given[0] == p_given[0] and second == p_second and second:
        return 60, "inicial y apellidos"
    return 0, ""


def link_accounts(*, actor: audit.Actor) -> tuple[int, int]:
    """Link unlinked accounts whose CURP attribute is a person's CURP; propose name
    candidates (score ≥ 60) for the rest. Audits one ``reconciliation.auto_linked`` event
    per 1,000 links (objectGUIDs and person ids) and one ``reconciliation.proposed`` with
    the count. Returns (linked, accounts given candidates)."""
    now = timeutil.now()
    session = db.session()
    pending = session.scalars(select(ImportedAccount).where(
        ImportedAccount.link_status.in_((UNLINKED, PROPOSED)),
        ImportedAccount.deleted_at.is_(None))).all()
    with_curp = [a for a in pending if a.curp]
    people_by_curp: dict[str, int] = {}
    curps = sorted({a.curp for a in with_curp if a.curp})
    for start in range(0, len(curps), 900):
        people_by_curp.update(session.execute(select(Person.curp, Person.id).where(
            Person.curp.in_(curps[start:start + 900]))).all())
    linked: list[list[object]] = []
    for account in with_curp:
        person_id = people_by_curp.get(account.curp or "")
        if person_id is None:
            continue
        _link(account, person_id, BY_CURP, EXACT, actor.name, now)
        linked.append([account.object_guid, person_id])
    for start in range(0, len(linked), 1000):
        part = linked[start:start + 1000]
        audit.record("reconciliation.auto_linked", actor=actor, object_type="directory_import",
                     object_id="curp", summary=f"{len(part)} cuentas vinculadas por CURP",
                     details={"count": len(part), "links": part})
    proposed = _propose([a for a in pending if a.link_status != LINKED], now)
    if proposed:
        audit.record("reconciliation.proposed", actor=actor, object_type="directory_import",
                     object_id="nombres",
                     summary=f"{proposed} cuentas con candidatos por nombre",
                     details={"count": proposed})
    session.flush()
    return len(linked), proposed


def finish_linking(run: ImportRun, *, actor: audit.Actor) -> tuple[int, int]:
    """Link after a complete run and keep the counts on it (flushed)."""
    linked, proposed = link_accounts(actor=actor)
    run = db.get(ImportRun, run.id)
    run.linked, run.proposed = linked, proposed
    db.session().flush()
    return linked, proposed


def _link(account: ImportedAccount, person_id: int, method: str, points: int, by: str,
          now: datetime) -> None:
    """Link ``account`` to the person and adopt it as one of their directory accounts (the
    lifecycle, reviews and roster read those)."""
    account.person_id, account.link_status, account.link_method = person_id, LINKED, method
    account.link_score, account.linked_at, account.linked_by = points, now, by[:120]
    person_accounts.adopt(person_id=person_id, object_guid=account.object_guid,
                          sam_account_name=account.sam_account_name, dn=account.dn, at=now)


def _propose(accounts: list[ImportedAccount], now: object) -> int:
    session = db.session()
    by_surname: dict[str, list[Person]] = defaultdict(list)
    for person in session.scalars(select(Person).where(Person.curp.is_not(None))):
        by_surname[fold(person.primer_apellido)].append(person)
    ids = [a.id for a in accounts]
    existing: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(ids), 900):
        for account_id, person_id in session.execute(
                select(LinkCandidate.account_id, LinkCandidate.person_id).where(
                    LinkCandidate.account_id.in_(ids[start:start + 900]))):
            existing[account_id].add(person_id)
    proposed = 0
    for account in accounts:
        names = _account_names(account)
        if names is None:
            continue
        found = False
        for person in by_surname.get(names[1], []):
            points, why = score(names, person)
            if points < 60:
                continue
            found = True
            if person.id not in existing[account.id]:
                session.add(LinkCandidate(account_id=account.id, person_id=person.id,
                                          score=points, reason=why, status=CANDIDATE,
                                          created_at=now))
        if found and account.link_status == UNLINKED:
            account.link_status = PROPOSED
            proposed += 1
    return proposed


def candidates_of(account_ids: list[int]) -> dict[int, list[tuple[LinkCandidate, Person]]]:
    """The open candidates of these accounts, best first."""
    out: dict[int, list[tuple[LinkCandidate, Person]]] = defaultdict(list)
    if not account_ids:
        return out
    for candidate, person in db.session().execute(
            select(LinkCandidate, Person).join(Person, Person.id == LinkCandidate.person_id)
            .where(LinkCandidate.account_id.in_(account_ids),
                   LinkCandidate.status == CANDIDATE)
            .order_by(LinkCandidate.score.desc(), LinkCandidate.id)):
        out[candidate.account_id].append((candidate, person))
    return out


def get_account(account_id: int) -> ImportedAccount:
    """An imported account, or NotFound."""
    account = db.get(ImportedAccount, account_id)
    if account is None:
        raise NotFound("No existe esa cuenta importada.")
    return account


DECISIONS = {"confirmar", "rechazar", "servicio", "compartida", "desvincular"}
DECISION_DONE = {"confirmar": "vinculada", "rechazar": "candidato rechazado",
                 "servicio": "marcada como cuenta de servicio",
                 "compartida": "marcada como cuenta compartida",
                 "desvincular": "vínculo deshecho"}


def decide(account: ImportedAccount, decision: str, *, actor: audit.Actor,
           person_id: int | None = None) -> None:
    """IT's decision on an account: confirm a candidate (``person_id``), reject one, mark
    it a service or shared account, or undo a link. Audits
    ``reconciliation.<decision>`` with the objectGUID and the person id."""
    if decision not in DECISIONS:
        raise ValidationError("Decisión desconocida.")
    now = timeutil.now()
    session = db.session()
    candidate = None
    if decision in ("confirmar", "rechazar"):
        if person_id is None:
            raise ValidationError("Elija a la persona candidata.")
        candidate = session.scalar(select(LinkCandidate).where(
            LinkCandidate.account_id == account.id, LinkCandidate.person_id == person_id,
            LinkCandidate.status == CANDIDATE))
        if candidate is None:
            raise ValidationError("Esa persona no es candidata de esta cuenta.")
        if account.link_status not in (UNLINKED, PROPOSED):
            raise ValidationError("La cuenta ya tiene una decisión; desvincúlela primero.")
    if decision == "confirmar":
        _link(account, person_id, BY_NAME if candidate else BY_HAND,
              candidate.score if candidate else EXACT, actor.name, now)
    elif decision == "rechazar":
        candidate.status = REJECTED
        session.flush()
        left = session.scalar(select(func.count()).select_from(LinkCandidate).where(
            LinkCandidate.account_id == account.id, LinkCandidate.status == CANDIDATE))
        account.link_status = PROPOSED if left else UNLINKED
    elif decision in ("servicio", "compartida"):
        person_accounts.release(account.object_guid)
        account.link_status = SERVICE if decision == "servicio" else SHARED
        account.person_id, account.link_method = None, BY_HAND
        account.linked_at, account.linked_by = now, actor.name[:120]
    else:
        if account.link_method != BY_ALTA:  # an account Alta made stays the request's
            person_accounts.release(account.object_guid)
        account.person_id, account.link_status, account.link_method = None, UNLINKED, None
        account.link_score = account.linked_at = account.linked_by = None
    audit.record(f"reconciliation.{decision}", actor=actor, object_type="directory_account",
                 object_id=account.object_guid,
                 summary=f"Cuenta del directorio {account.object_guid}: {decision}",
                 details={"object_guid": account.object_guid, "person_id": person_id})
    session.flush()


def confirm_exact(account_ids: list[int], *, actor: audit.Actor) -> int:
    """Confirm the single exact (score 100) candidate of each of these accounts; accounts
    with none or with several are left alone. Audits each link. Returns how many."""
    done = 0
    for account_id, found in candidates_of(account_ids).items():
        exact = [(c, p) for c, p in found if c.score == EXACT]
        if len(exact) != 1:
            continue
        account = db.get(ImportedAccount, account_id)
        if account is None or account.link_status != PROPOSED:
            continue
        decide(account, "confirmar", actor=actor, person_id=exact[0][1].id)
        done += 1
    return done


# ---------------------------------------------------------------------------------------------
# Pages and reports


@dataclass(frozen=True)
class Filters:
    """The reconciliation page's filters."""

    status: str = ""
    ou: str = ""
    unit: str = ""


def accounts_for(filters: Filters, limit: int = 200) -> tuple[list[ImportedAccount], int]:
    """Imported accounts (not deleted) matching ``filters``, and how many match in all."""
    query = select(ImportedAccount).where(ImportedAccount.deleted_at.is_(None))
    if filters.status:
        query = query.where(ImportedAccount.link_status == filters.status)
    if filters.ou:
        query = query.where(ImportedAccount.ou == filters.ou)
    if filters.unit:
        query = query.join(Person, Person.id == ImportedAccount.person_id).where(
            Person.unit_clues == filters.unit)
    total = db.session().scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session().scalars(query.order_by(ImportedAccount.ou,
                                               ImportedAccount.sam_account_name)
                                .limit(limit)).all()
    return list(rows), total


def ous() -> list[str]:
    """The containers of the imported accounts (filter choices)."""
    return list(db.session().scalars(select(ImportedAccount.ou).where(
        ImportedAccount.deleted_at.is_(None)).distinct().order_by(ImportedAccount.ou)))


def linked_people_count() -> int:
    """How many people have an imported account linked by the reconciliation (not deleted)."""
    return db.session().scalar(select(func.count(func.distinct(ImportedAccount.person_id)))
                               .where(ImportedAccount.link_status == LINKED,
                                      ImportedAccount.link_method != BY_ALTA,
                                      ImportedAccount.deleted_at.is_(None))) or 0


def counts() -> dict[str, int]:
    """Imported accounts (not deleted) by link status."""
    return dict(db.session().execute(
        select(ImportedAccount.link_status, func.count())
        .where(ImportedAccount.deleted_at.is_(None))
        .group_by(ImportedAccount.link_status)).all())


def linked_accounts(person: Person) -> list[ImportedAccount]:
    """The imported accounts linked to ``person`` by the reconciliation (those Alta created
    itself are on the record already), deleted ones included."""
    return list(db.session().scalars(select(ImportedAccount).where(
        ImportedAccount.person_id == person.id, ImportedAccount.link_status == LINKED,
        ImportedAccount.link_method != BY_ALTA)
        .order_by(ImportedAccount.id)))


def _linked_rows(object_guids: Iterable[str], *columns: Any) -> Iterator[Any]:
    """``columns`` of the linked imported accounts with these objectGUIDs (900 at a time:
    SQLite's limit on bound values)."""
    guids = sorted(set(object_guids))
    for start in range(0, len(guids), 900):
        yield from db.session().execute(select(ImportedAccount.object_guid, *columns).where(
            ImportedAccount.object_guid.in_(guids[start:start + 900]),
            ImportedAccount.link_status == LINKED))


def without_siempre_access(object_guids: Iterable[str]) -> set[str]:
    """Of these objectGUIDs, those of linked accounts the last import did not see in the
    SIEMPRE access group (``[directory].siempre_group``, a name or a DN; none configured:
    nobody is excluded)."""
    group = settings().directory.siempre_group.strip()
    if not group:
        return set()
    # A DN is compared whole; a name with each group's first RDN value (CN=SIEMPRE,OU=…).
    key: Callable[[str], str | None] = dn_key if "=" in group else _first_value
    wanted = key(group) if "=" in group else group.lower()
    return {guid for guid, groups in _linked_rows(object_guids, ImportedAccount.groups_json)
            if not any(key(dn) == wanted for dn in json.loads(groups or "[]"))}


def _first_value(dn: str) -> str | None:
    try:
        return normalized_dn(dn)[0][1]
    except (InvalidValue, IndexError):
        return None


def inactive_guids(object_guids: Iterable[str]) -> set[str]:
    """Of these objectGUIDs, those of linked accounts the last import saw disabled or no
    longer found (an adopted account that is not active in the directory)."""
    return {guid for guid, enabled, deleted_at in _linked_rows(
        object_guids, ImportedAccount.enabled, ImportedAccount.deleted_at)
        if not enabled or deleted_at is not None}


@dataclass(frozen=True)
class Orphans:
    """The orphans and dormant accounts report."""

    no_person: list[ImportedAccount]
    dormant: list[ImportedAccount]
    expired_enabled: list[ImportedAccount]
    dormant_days: int


def orphans(dormant_days: int, limit: int = 5000) -> Orphans:
    """Enabled accounts with no person (nor marked service/shared), enabled accounts not
    used for ``dormant_days`` (lastLogonTimestamp, or never and created before), and
    expired accounts still enabled."""
    now = timeutil.now()
    cutoff = now - timedelta(days=dormant_days)
    alive = select(ImportedAccount).where(ImportedAccount.deleted_at.is_(None),
                                          ImportedAccount.enabled.is_(True))
    order = (ImportedAccount.ou, ImportedAccount.sam_account_name)
    session = db.session()
    no_person = session.scalars(alive.where(
        ImportedAccount.link_status.in_((UNLINKED, PROPOSED))).order_by(*order)
        .limit(limit)).all()
    dormant = session.scalars(alive.where(
        (ImportedAccount.last_logon_at < cutoff)
        | (ImportedAccount.last_logon_at.is_(None) & (ImportedAccount.when_created < cutoff)))
        .order_by(*order).limit(limit)).all()
    expired = session.scalars(alive.where(ImportedAccount.expires_at < now)
                              .order_by(*order).limit(limit)).all()
    return Orphans(list(no_person), list(dormant), list(expired), dormant_days)


ORPHAN_HEADER = ("hallazgo", "usuario", "ubicacion", "object_guid",
                 "ultimo_inicio_de_sesion", "vence", "creada")


def record_orphans_read(report: Orphans, *, actor: audit.Actor, exported: bool) -> None:
    """Audit a read of the report (counts only)."""
    action = "reconciliation.orphans_exported" if exported else "reconciliation.orphans_viewed"
    audit.record(action, actor=actor, object_type="directory_import", object_id="huerfanas",
                 summary="Cuentas huérfanas e inactivas " +
                         ("exportadas (CSV)" if exported else "consultadas"),
                 details={"sin_persona": len(report.no_person),
                          "inactivas": len(report.dormant),
                          "vencidas_habilitadas": len(report.expired_enabled),
                          "dias": report.dormant_days})


def record_list_view(shown: int, filters: Filters, *, actor: audit.Actor) -> None:
    """Audit a read of the reconciliation page (names of accounts and people)."""
    audit.record("reconciliation.list_viewed", actor=actor, object_type="directory_import",
                 object_id="conciliacion",
                 summary=f"Conciliación del directorio consultada ({shown} cuentas)",
                 details={"shown": shown, "estado": filters.status, "unidad": filters.unit,
                          "filtra_ubicacion": bool(filters.ou)})


def people_of(person_ids: list[int]) -> dict[int, Person]:
    """These people by id."""
    if not person_ids:
        return {}
    return {p.id: p for p in db.session().scalars(
        select(Person).where(Person.id.in_(sorted(set(person_ids)))))}


def orphan_rows(report: Orphans) -> list[dict[str, str]]:
    """The report as CSV rows (Spanish headers, local dates)."""
    rows = []
    for label, items in (("sin persona", report.no_person),
                         (f"sin uso en {report.dormant_days} días", report.dormant),
                         ("vencida y habilitada", report.expired_enabled)):
        for a in items:
            rows.append({"hallazgo": label, "usuario": a.sam_account_name, "ubicacion": a.ou,
                         "object_guid": a.object_guid,
                         "ultimo_inicio_de_sesion": timeutil.format_date(a.last_logon_at),
                         "vence": timeutil.format_date(a.expires_at),
                         "creada": timeutil.format_date(a.when_created)})
    return rows


def changes_of(run: ImportRun, limit: int = 200) -> list[ImportChange]:
    """The changes a run saw."""
    return list(db.session().scalars(select(ImportChange).where(ImportChange.run_id == run.id)
                                     .order_by(ImportChange.id).limit(limit)))
