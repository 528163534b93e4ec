"""The directory import against the real Samba DC: 2,000 accounts planted once for the
module in OUs of its own (some with the CURP attribute, some without, some disabled, some
with colliding names), imported twice (no duplicates; a rename and a deletion detected),
linked by CURP and given name candidates."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from provisioning import audit, create_app, db, timeutil
from provisioning.audit.models import AuditEvent
from provisioning.catalogs.models import Unit
from provisioning.directory.connection import Directory, close_for
from provisioning.directory.imports import within
from provisioning.people.models import Person
from provisioning.reconciliation import services
from provisioning.reconciliation.models import (
    COMPLETE,
    DELETED,
    LINKED,
    PROPOSED,
    RENAMED,
    ImportChange,
    ImportedAccount,
    LinkCandidate,
)
from tests.support.app import _settings
from tests.support.curp import hypothetical_curp
from tests.support.dc import TEST_BASE_OU, directory_settings

TOTAL = 2000
OUS = ("OU=Cuernavaca", "OU=Jojutla", "OU=Cuautla", "OU=Oficinas")
ACTOR = audit.Actor("pytest", "prueba")
# UAC: 514 disabled; 544 enabled without a password (PASSWD_NOTREQD: no hashing, fast adds).
DISABLED, ENABLED = 514, 544


@pytest.fixture(scope="module")
def planted(dc, databases, tmp_path_factory):
    """The module's OU with 2,000 accounts, and an app whose database knows some people."""
    root = f"OU=t-{uuid.uuid4().hex[:10]},{TEST_BASE_OU}"
    table = {**dc, "users_ou": root, "disabled_ou": f"OU=Bajas,{root}"}
    workdir = tmp_path_factory.mktemp("recon")
    directory = Directory(directory_settings(table, workdir))
    base = directory.absolute(root)
    attr = directory.settings.curp_attribute
    started = time.perf_counter()
    directory.add(base, ["top", "organizationalUnit"], {})
    for ou in OUS:
        directory.add(f"{ou},{base}", ["top", "organizationalUnit"], {})
    plan = []
    for n in range(TOTAL):
        ou = OUS[n % len(OUS)]
        # Colliding names: every 50th pair shares given name and surnames.
        given, first, second = (f"Nombre{n // 2}" if n % 50 < 2 else f"Nombre{n}",
                                "Núñez", f"Peña{n % 7}")
        sam = f"r{n:05d}-{uuid.uuid4().hex[:6]}"
        values = {"sAMAccountName": sam, "givenName": given, "sn": f"{first} {second}",
                  "displayName": f"{given} {first} {second}",
                  "userAccountControl": DISABLED if n % 10 == 0 else ENABLED}
        curp = hypothetical_curp(700_000 + n) if n % 3 == 0 else None
        if curp:
            values[attr] = curp
        dn = f"CN={sam},{ou},{base}"
        directory.add(dn, ["top", "person", "organizationalPerson", "user"], values)
        plan.append({"n": n, "sam": sam, "dn": dn, "curp": curp, "given": given,
                     "first": first, "second": second})
    planted_seconds = time.perf_counter() - started
    app = create_app(_settings(databases.copy(), workdir, directory=table))
    with app.app_context():
        unit = db.session().scalar(select(Unit).where(Unit.clues == "MSSSA000120"))
        now = timeutil.now()
        # People: the first 300 CURP accounts' owners, and 20 without CURP on the DC
        # known by name only.
        for item in [p for p in plan if p["curp"]][:300] + \
                [p for p in plan if not p["curp"] and p["n"] % 50 >= 2][:20]:
            db.session().add(Person(
                curp=item["curp"] or hypothetical_curp(800_000 + item["n"]),
                nombres=item["given"], primer_apellido=item["first"],
                segundo_apellido=item["second"], unit_id=unit.id, unit_clues=unit.clues,
                jurisdiction_code="I", staff_type_code="medico", created_at=now,
                updated_at=now))
        db.commit()
    yield {"app": app, "directory": directory, "base": base, "plan": plan, "root": root,
           "planted_seconds": planted_seconds}
    try:
        directory.delete(base, tree=True)
    finally:
        directory.close()
        close_for(app)
        app.extensions["alta.db"].engine.dispose()


def _import(planted):
    return services.import_directory(planted["directory"], actor=ACTOR, base=planted["root"],
                                     checkpoint=lambda run: db.commit())


def test_import_twice_detects_rename_and_deletion_without_duplicates(planted) -> None:
    app, directory, plan = planted["app"], planted["directory"], planted["plan"]
    print(f"planted {TOTAL} accounts in {planted['planted_seconds']:.1f} s")
    with app.app_context():
        first = _import(planted)
        db.commit()
        assert first.status == COMPLETE and first.seen == TOTAL and first.added == TOTAL
        session = db.session()
        assert session.scalar(select(func.count()).select_from(ImportedAccount)) == TOTAL
        disabled = session.scalar(select(ImportedAccount).where(
            ImportedAccount.sam_account_name == plan[0]["sam"]))
        assert disabled.enabled is False and disabled.curp == plan[0]["curp"]
        assert disabled.when_created is not None and disabled.expires_at is None
        assert within(disabled.dn, planted["base"]) and disabled.ou.startswith("OU=Cuernavaca")
        enabled = session.scalar(select(ImportedAccount).where(
            ImportedAccount.sam_account_name == plan[1]["sam"]))
        assert enabled.enabled is True and enabled.curp is None
        guid_renamed = enabled.object_guid
        db.commit()

        # On the DC: one account renamed and moved, one deleted, one given an expiry.
        renamed = plan[1]
        directory.move(renamed["dn"], f"CN={renamed['sam']}x",
                       f"{OUS[2]},{planted['base']}")
        directory.modify(f"CN={renamed['sam']}x,{OUS[2]},{planted['base']}",
                         {"sAMAccountName": [("replace", [renamed["sam"] + "x"])]})
        directory.delete(plan[2]["dn"])
        second = _import(planted)
        db.commit()
        assert (second.seen, second.added, second.renamed, second.deleted) == \
            (TOTAL - 1, 0, 1, 1)
        assert session.scalar(select(func.count()).select_from(ImportedAccount)) == TOTAL
        moved = session.scalar(select(ImportedAccount).where(
            ImportedAccount.object_guid == guid_renamed))
        assert moved.sam_account_name == renamed["sam"] + "x"
        assert moved.ou.startswith("OU=Cuautla")
        gone = session.scalar(select(ImportedAccount).where(
            ImportedAccount.sam_account_name == plan[2]["sam"]))
        assert gone.deleted_at is not None
        kinds = dict(session.execute(select(ImportChange.kind, func.count()).where(
            ImportChange.run_id == second.id).group_by(ImportChange.kind)).tuples().all())
        assert kinds == {RENAMED: 1, DELETED: 1}
        # Audit: one event per run, one per change; no DN, name or CURP in them.
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("directory.%"),
            AuditEvent.occurred_at >= first.started_at)).all()
        actions = sorted(e.action for e in events)
        assert actions == ["directory.account_deleted", "directory.account_renamed",
                           "directory.import_run", "directory.import_run"]
        for event in events:
            text = str(event.details) + event.summary
            assert renamed["sam"] not in text and "OU=" not in text

        # Linking: by CURP for the 300 people, name candidates for the rest.
        linked, proposed = services.link_accounts(actor=ACTOR)
        db.commit()
        assert linked == 300
        curp_links = session.scalars(select(ImportedAccount).where(
            ImportedAccount.link_status == LINKED)).all()
        people = {p.id: p.curp for p in session.scalars(select(Person))}
        assert all(people[a.person_id] == a.curp for a in curp_links)
        assert proposed >= 20
        exact = session.scalars(select(LinkCandidate).where(LinkCandidate.score == 100)).all()
        assert len(exact) >= 20
        proposed_ids = list(session.scalars(select(ImportedAccount.id).where(
            ImportedAccount.link_status == PROPOSED)))
        done = services.confirm_exact(proposed_ids, actor=ACTOR)
        db.commit()
        assert done >= 20
        # A second link pass changes nothing.
        assert services.link_accounts(actor=ACTOR)[0] == 0
        db.commit()


def test_orphans_report_finds_expired_and_unlinked(planted) -> None:
    app = planted["app"]
    with app.app_context():
        session = db.session()
        account = session.scalar(select(ImportedAccount).where(
            ImportedAccount.enabled.is_(True), ImportedAccount.person_id.is_(None)).limit(1))
        account.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
        account.last_logon_at = datetime(2020, 1, 1, tzinfo=UTC)
        db.commit()
        report = services.orphans(90)
        assert account in report.expired_enabled and account in report.dormant
        assert all(a.person_id is None and a.enabled for a in report.no_person)
        rows = services.orphan_rows(report)
        assert {"sin persona", "vencida y habilitada"} <= {r["hallazgo"] for r in rows}
