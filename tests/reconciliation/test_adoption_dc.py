"""Against the real DC: an account that existed before Alta (made by hand, in the SIEMPRE
group, with the person's CURP in the CURP attribute) is imported, linked by CURP, reviewed in
its unit's campaign scope and disabled by an urgent baja, like an account Alta made."""

from __future__ import annotations

from sqlalchemy import select

from provisioning import audit, db
from provisioning.directory import accounts, connection
from provisioning.jobs import services as jobs
from provisioning.people.accounts import IMPORTED, DirectoryAccount
from provisioning.people.models import Person
from provisioning.reconciliation import services
from provisioning.reviews import services as reviews
from provisioning.roster import services as roster
from tests.support.handoff_flow import Scene, values
from tests.support.lifecycle import actions, baja_form, bajas_of, person_id

ACTOR = audit.Actor("informatica", "informatica")
USER = ["top", "person", "organizationalPerson", "user"]


def test_an_imported_account_linked_by_curp_is_reviewed_and_disabled_by_a_baja(
        siempre_app, clock, test_ou) -> None:
    app, group_dn = siempre_app
    scene = Scene(app, clock).cast()
    applicant = scene.applicant("Rosa", "Quintero", "Salas", ece=False)  # no account made
    pid = person_id(applicant.request_id)
    directory = connection.current()
    sam = f"rq-{test_ou[5:13]}"
    dn = f"CN={sam},{directory.absolute(test_ou)}"
    directory.add(dn, USER, {"sAMAccountName": sam, "givenName": "Rosa",
                             "sn": "Quintero Salas", "userAccountControl": 544,
                             directory.settings.curp_attribute: applicant.curp})
    directory.modify(group_dn, {"member": [("add", [dn])]})

    run = services.import_directory(directory, actor=ACTOR, base=test_ou)
    assert services.finish_linking(run, actor=ACTOR)[0] == 1
    db.commit()
    [adopted] = values(lambda: db.session().scalars(select(DirectoryAccount).where(
        DirectoryAccount.person_id == pid)).all())
    assert (adopted.origin, adopted.request_id, adopted.sam_account_name) == (
        IMPORTED, None, sam)
    unit = values(lambda: db.session().get(Person, pid).unit_clues)
    assert [s.person.id for s in values(lambda: reviews.accounts_in_scope(unit))] == [pid]
    assert pid in values(roster.active_accounts_by_person)

    response = scene.post("it.dept", f"/personas/{pid}/baja-urgente",
                          baja_form(motivo="otra", detalle="Cuenta anterior a Alta, sin uso"),
                          step_up=True)
    assert response.status_code == 302, response.get_data(as_text=True)
    jobs.run_pending()
    [baja] = bajas_of(pid)
    assert (baja.status, baja.object_guid) == ("ejecutada", adopted.object_guid)
    after = accounts.get(connection.current(), adopted.object_guid)
    assert not after.enabled and after.groups == () and "OU=Bajas" in after.dn
    assert "directory.account_disabled" in actions(baja.folio)
    # Retired: out of the next campaign and of the roster's active accounts.
    assert values(lambda: reviews.accounts_in_scope(unit)) == []
    assert pid not in values(roster.active_accounts_by_person)


def test_the_cli_imports_one_ou_shows_progress_links_and_stops_cleanly_on_a_bad_base(
        dir_app, clock, test_ou) -> None:
    scene = Scene(dir_app, clock).cast()
    applicant = scene.applicant("Iván", "Soto", "Gómez", ece=False)
    directory = connection.current()
    base = directory.absolute(test_ou)
    directory.add(base, ["top", "organizationalUnit"], {})
    for n in range(5):
        sam = f"cli{n}-{test_ou[5:13]}"
        values_ = {"sAMAccountName": sam, "givenName": "Prueba", "sn": f"Cli {n}",
                   "userAccountControl": 544}
        if n == 0:
            values_[directory.settings.curp_attribute] = applicant.curp
        directory.add(f"CN={sam},{base}", USER, values_)
    runner = dir_app.test_cli_runner()
    result = runner.invoke(args=["directory", "import", "--base", test_ou, "--every", "1"])
    assert result.exit_code == 0, result.output
    assert "5 cuentas leídas…" in result.output  # progress: after each stored chunk
    assert "5 cuentas leídas, 5 nuevas, 0 actualizadas" in result.output
    assert "1 cuenta vinculada por CURP" in result.output
    pid = person_id(applicant.request_id)
    assert values(lambda: [a.origin for a in db.session().scalars(
        select(DirectoryAccount).where(DirectoryAccount.person_id == pid))]) == [IMPORTED]
    # A base that does not exist: a Spanish message, exit code 1, the run marked interrupted.
    missing = runner.invoke(args=["directory", "import", "--base", f"OU=nada,{test_ou}"])
    assert missing.exit_code != 0 and "La importación se interrumpió" in missing.output
