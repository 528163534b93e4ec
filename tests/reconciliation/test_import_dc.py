"""The directory import against the real Samba DC.

2,000 accounts live in a persistent fixture OU outside the per-test OUs (several sub-OUs;
some with the CURP attribute, some without, some disabled, some with colliding names),
created once per DC and reused by every run and both database passes (a version marker in
the OU's description says it is complete). Renames, moves and deletions are done on a
handful of accounts in the test's own OU.
"""

from __future__ import annotations

import json
import string
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from provisioning import audit, create_app, db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.directory.connection import Directory, close_for
from provisioning.directory.errors import DirectoryUnavailable
from provisioning.people import services as people
from provisioning.people.accounts import CREATED, DirectoryAccount
from provisioning.people.models import Person
from provisioning.reconciliation import services
from provisioning.reconciliation.models import (
    BY_ALTA,
    COMPLETE,
    DELETED,
    FAILED,
    LINKED,
    PROPOSED,
    RENAMED,
    ImportChange,
    ImportedAccount,
    ImportRun,
    LinkCandidate,
)
from provisioning.roster import services as roster
from provisioning.spreadsheet import csv_text
from tests.support.app import _settings
from tests.support.chain import HOSPITAL
from tests.support.curp import import_fixture_curp
from tests.support.dc import directory_settings
from tests.support.factories import received_request

TOTAL = 2000
FIXTURE_OU = "OU=alta-import-fixture"
MARKER = f"alta import fixture v1: {TOTAL} cuentas"
OUS = ("OU=Cuernavaca", "OU=Jojutla", "OU=Cuautla", "OU=Oficinas")
SURNAMES = ("Núñez", "Peña", "Ibáñez", "García", "López", "Martínez", "Rodríguez", "Sánchez",
            "Ramírez", "Flores", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Jiménez",
            "Ortiz", "Castillo", "Vázquez", "Romero")
ACTOR = audit.Actor("pytest", "prueba")
# UAC: 514 disabled; 544 enabled without a password (PASSWD_NOTREQD: no hashing, fast adds).
DISABLED, ENABLED = 514, 544
USER = ["top", "person", "organizationalPerson", "user"]


def planned(n: int) -> dict[str, Any]:
    """The n-th fixture account (a pure function of n: the fixture is not stored)."""
    code = n // 2 if n % 50 < 2 else n  # colliding names: pairs with n % 50 in {0, 1}
    letters = "".join(string.ascii_lowercase[(code // 26 ** i) % 26] for i in range(3))
    given = letters.capitalize() + "ino"
    first, second = SURNAMES[code % len(SURNAMES)], f"Peña{code % 7}"
    has_curp = n % 3 == 0 and n % 50 >= 2
    return {"n": n, "sam": f"imp{n:04d}", "ou": OUS[n % len(OUS)], "given": given,
            "first": first, "second": second, "enabled": n % 10 != 0,
            "curp": import_fixture_curp(n) if has_curp else None}


def _user_values(item: dict[str, Any], curp_attribute: str) -> dict[str, Any]:
    values = {"sAMAccountName": item["sam"], "givenName": item["given"],
              "sn": f"{item['first']} {item['second']}",
              "displayName": f"{item['given']} {item['first']} {item['second']}",
              "userAccountControl": ENABLED if item["enabled"] else DISABLED}
    if item.get("curp"):
        values[curp_attribute] = item["curp"]
    return values


def _ensure_fixture(directory: Directory) -> float:
    """Create the fixture OU unless a complete one is there; seconds spent creating."""
    base = directory.absolute(FIXTURE_OU)
    found = directory.read(base, ["description"])
    if found is not None and found.first("description") == MARKER:
        return 0.0
    started = time.perf_counter()
    if found is not None:  # an older version, or a run that stopped half-way
        directory.delete(base, tree=True)
    directory.add(base, ["top", "organizationalUnit"], {})
    for ou in OUS:
        directory.add(f"{ou},{base}", ["top", "organizationalUnit"], {})
    attr = directory.settings.curp_attribute
    for n in range(TOTAL):  # one connection: the directory's of this thread
        item = planned(n)
        directory.add(f"CN={item['sam']},{item['ou']},{base}", USER, _user_values(item, attr))
    directory.modify(base, {"description": [("replace", [MARKER])]})  # complete: mark it
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def planted(dc, databases, tmp_path_factory):
    """The fixture OU, and an app (committing, its own database) knowing some people."""
    workdir = tmp_path_factory.mktemp("recon")
    directory = Directory(directory_settings(dc, workdir))
    try:
        seconds = _ensure_fixture(directory)
    except BaseException:
        directory.close()
        raise
    app = create_app(_settings(databases.copy(), workdir, directory=dc))
    plan = [planned(n) for n in range(TOTAL)]
    by_curp = [p for p in plan if p["curp"]][:300]
    by_name = [p for p in plan if not p["curp"] and p["n"] % 50 >= 2][:20]
    pair = plan[0]  # accounts 0 and 1 share the name; two people have it too
    with app.app_context():
        actor = audit.Actor.system("prueba")
        for index, item in enumerate(by_curp + by_name + [pair, pair]):
            people.person_for(people.Identity(
                curp=item["curp"] or import_fixture_curp(100_000 + index),
                nombres=item["given"].upper(), primer_apellido=item["first"].upper(),
                segundo_apellido=item["second"].upper(), unit_id=_unit_id(),
                unit_clues="MSSSA000120", jurisdiction_code="I",
                staff_type_code="medico"), actor=actor)
        db.commit()
    yield {"app": app, "directory": directory, "plan": plan, "by_curp": by_curp,
           "by_name": by_name, "seconds": seconds}
    directory.close()
    close_for(app)
    app.extensions["alta.db"].engine.dispose()


def _unit_id() -> int:
    from provisioning.catalogs.models import Unit

    return db.session().scalar(select(Unit.id).where(Unit.clues == "MSSSA000120",
                                                     Unit.valid_to.is_(None)))


def _import(planted: dict[str, Any], base: str) -> Any:
    run = services.import_directory(planted["directory"], actor=ACTOR, base=base,
                                    checkpoint=lambda run: db.commit())
    db.commit()
    return run


def _count(model: Any) -> int:
    return db.session().scalar(select(func.count()).select_from(model)) or 0


def test_fixture_import_twice_links_by_curp_and_proposes_names(planted) -> None:
    print(f"fixture OU created in {planted['seconds']:.1f} s (0: reused)")
    with planted["app"].app_context():
        started = time.perf_counter()
        first = _import(planted, FIXTURE_OU)
        print(f"import of {TOTAL}: {time.perf_counter() - started:.1f} s")
        assert (first.status, first.seen, first.added) == (COMPLETE, TOTAL, TOTAL)
        second = _import(planted, FIXTURE_OU)
        assert (second.seen, second.added, second.renamed, second.deleted) == \
            (TOTAL, 0, 0, 0)
        assert _count(ImportedAccount) == TOTAL  # no duplicates
        session = db.session()
        rows = {a.sam_account_name: a for a in session.scalars(select(ImportedAccount))}
        plan = planted["plan"]
        assert rows["imp0000"].enabled is False and rows["imp0001"].enabled is True
        assert rows["imp0003"].curp == plan[3]["curp"] and rows["imp0001"].curp is None
        assert rows["imp0005"].ou.lower().startswith("ou=jojutla")
        assert rows["imp0006"].when_created is not None
        assert rows["imp0006"].expires_at is None and rows["imp0006"].last_logon_at is None
        assert sum(not a.enabled for a in rows.values()) == TOTAL // 10
        # The run is audited with counts only.
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "directory.import_run")).all()
        assert len(events) == 2 and json.loads(events[-1].details)["seen"] == TOTAL
        assert all("imp0" not in e.summary + str(e.details) for e in events)

        linked, proposed = services.link_accounts(actor=ACTOR)
        db.commit()
        assert linked == 300
        for item in planted["by_curp"][:20]:
            account = rows[item["sam"]]
            session.refresh(account)
            assert account.link_status == LINKED
            assert session.get(Person, account.person_id).curp == item["curp"]
        assert proposed >= 22
        exact = {session.get(ImportedAccount, c.account_id).sam_account_name
                 for c in session.scalars(select(LinkCandidate).where(
                     LinkCandidate.score == 100))}
        assert {p["sam"] for p in planted["by_name"]} | {"imp0000", "imp0001"} <= exact
        proposed_ids = list(session.scalars(select(ImportedAccount.id).where(
            ImportedAccount.link_status == PROPOSED)))
        done = services.confirm_exact(proposed_ids, actor=ACTOR)
        db.commit()
        assert done >= 20
        for sam in ("imp0000", "imp0001"):  # two people with that name: IT decides
            assert session.scalar(select(ImportedAccount.link_status).where(
                ImportedAccount.sam_account_name == sam)) == PROPOSED
        assert services.link_accounts(actor=ACTOR)[0] == 0  # a second pass changes nothing
        db.commit()
        _roster_finds_leavers_and_movers(planted)


def _roster_finds_leavers_and_movers(planted: dict[str, Any]) -> None:
    """The staff roster against the linked accounts: three people with an enabled linked
    account are left off it (leavers), two are at another unit (movers), two whose linked
    account is disabled have no active account."""
    enabled = [p for p in planted["by_curp"] if p["enabled"]]
    disabled = [p for p in planted["by_curp"] if not p["enabled"]][:2]
    leavers, movers, staying = enabled[:3], enabled[3:5], enabled[5:] + disabled
    rows = [["CURP", "Nombres", "Primer apellido", "CLUES", "Tipo de personal"]]
    rows += [[p["curp"], p["given"], p["first"],
              HOSPITAL["unit_clues"] if p in movers else "MSSSA000120", "medico"]
             for p in movers + staying]
    upload = roster.upload(csv_text(rows).encode(), "padron.csv", actor=ACTOR)
    db.commit()
    report = roster.report(upload, actor=ACTOR)
    found = {f.person.curp: {a.sam_account_name for a in f.accounts} for f in report.leavers}
    # Every leaver's imported account is named; people linked by name only, whom the roster
    # does not list either, are leavers too.
    assert {p["curp"]: {p["sam"]} for p in leavers}.items() <= found.items()
    assert not {p["curp"] for p in movers + staying} & set(found)
    assert {f.person.curp for f in report.movers} == {p["curp"] for p in movers}
    # Disabled linked accounts are not active: those people are on the roster's «sin cuenta».
    without = {f.line.curp for f in report.without_account}
    assert len(disabled) == 2 and without == {p["curp"] for p in disabled}
    db.commit()


def test_rename_move_and_deletion_detected_by_guid(planted, test_ou) -> None:
    directory = planted["directory"]
    base = directory.absolute(test_ou)
    directory.add(base, ["top", "organizationalUnit"], {})
    for ou in ("OU=A", "OU=B"):
        directory.add(f"{ou},{base}", ["top", "organizationalUnit"], {})
    attr = directory.settings.curp_attribute
    for n in range(3):
        item = {"sam": f"mv{n}-{test_ou[5:13]}", "given": "Prueba", "first": "Renombre",
                "second": str(n), "enabled": True}
        directory.add(f"CN={item['sam']},OU=A,{base}", USER, _user_values(item, attr))
    with planted["app"].app_context():
        before = _count(ImportedAccount)
        first = _import(planted, test_ou)
        assert (first.seen, first.added) == (3, 3)
        accounts = {a.sam_account_name: a for a in db.session().scalars(
            select(ImportedAccount).where(ImportedAccount.first_seen_run_id == first.id))}
        sam0, sam1, sam2 = sorted(accounts)
        guid0 = accounts[sam0].object_guid
        # Alta created the third (the same GUID in its records): already linked.
        request = received_request("Prueba", "Renombre", "2",
                                   curp_value=import_fixture_curp(150_000))
        db.session().add(DirectoryAccount(
            request_id=request.id, person_id=request.person_id, sam_account_name=sam2,
            user_principal_name=f"{sam2}@example.org", object_guid=accounts[sam2].object_guid,
            dn=accounts[sam2].dn, origin=CREATED, created_at=timeutil.now()))
        db.session().delete(accounts[sam2])
        db.commit()
        directory.move(f"CN={sam0},OU=A,{base}", f"CN={sam0}r", f"OU=B,{base}")
        directory.modify(f"CN={sam0}r,OU=B,{base}", {"sAMAccountName": [("replace",
                                                                         [f"{sam0}r"])]})
        directory.delete(f"CN={sam1},OU=A,{base}")
        second = _import(planted, test_ou.upper())  # another spelling of the same base
        assert (second.seen, second.added, second.renamed, second.deleted) == (2, 1, 1, 1)
        assert _count(ImportedAccount) == before + 3  # the deleted one kept, marked
        session = db.session()
        moved = session.scalar(select(ImportedAccount).where(
            ImportedAccount.object_guid == guid0))
        assert moved.sam_account_name == f"{sam0}r" and moved.ou.lower().startswith("ou=b")
        gone = session.scalar(select(ImportedAccount).where(
            ImportedAccount.sam_account_name == sam1))
        assert gone.deleted_at is not None
        made = session.scalar(select(ImportedAccount).where(
            ImportedAccount.sam_account_name == sam2))
        assert (made.link_status, made.link_method, made.person_id) == \
            (LINKED, BY_ALTA, request.person_id)
        kinds = dict(session.execute(select(ImportChange.kind, func.count()).where(
            ImportChange.run_id == second.id).group_by(ImportChange.kind)).all())
        assert kinds == {RENAMED: 1, DELETED: 1}
        # The fixture's accounts are under another base: not deleted by this run.
        assert session.scalar(select(func.count()).select_from(ImportedAccount).where(
            ImportedAccount.deleted_at.is_not(None))) == 1


def test_a_dc_that_stops_mid_import_fails_the_run_and_deletes_nothing(planted,
                                                                      dc_control) -> None:
    """The DC stops after the first chunk is stored, with the reader thread pages ahead:
    the error reaches the caller, the run is marked interrupted and no account is taken
    for deleted. (Last in this module: it restarts the DC under the module's directory.)"""
    with planted["app"].app_context():
        deleted_before = _count_deleted()
        stopped: list[int] = []

        def checkpoint(run: Any) -> None:
            db.commit()
            if run.seen and not stopped:
                dc_control("stop")
                stopped.append(run.seen)

        with pytest.raises(DirectoryUnavailable):
            services.import_directory(planted["directory"], actor=ACTOR, base=FIXTURE_OU,
                                      checkpoint=checkpoint, chunk=100, page_size=100)
        db.commit()
        run = db.session().scalar(select(ImportRun).order_by(ImportRun.id.desc()).limit(1))
        assert stopped == [100] and run.status == FAILED
        assert 100 <= run.seen < TOTAL and "controlador de dominio" in run.error
        assert run.deleted == 0 and _count_deleted() == deleted_before
        assert db.session().scalar(select(func.count()).select_from(ImportChange).where(
            ImportChange.run_id == run.id, ImportChange.kind == DELETED)) == 0
    dc_control("start")
    planted["directory"].close()  # its connections died with the DC


def _count_deleted() -> int:
    return db.session().scalar(select(func.count()).select_from(ImportedAccount).where(
        ImportedAccount.deleted_at.is_not(None))) or 0
