"""The cambio de adscripción through its pages: the current unit head starts it, the head of
the receiving unit signs it, the job moves the account on the real DC (same objectGUID,
the new unit's OU, attributes and groups, SIEMPRE kept) and the person then belongs to the
new unit; bad input is a Spanish 400 that writes nothing."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.directory import accounts, connection, port
from provisioning.jobs import services as jobs
from provisioning.lifecycle import cambios as cambio_services
from provisioning.lifecycle.models import Cambio
from provisioning.people.accounts import DirectoryAccount
from provisioning.people.models import Person
from provisioning.staff.models import Role
from tests.support.dc import make_siempre_group, samba_show
from tests.support.handoff_flow import Scene, ad_account, values
from tests.support.lifecycle import PASSWORD, actions, baja_form, day, mails, person_id

CENTRO_II = "MSSSA000611"  # a centro de salud of Jurisdicción II


def cambios_of(pid: int) -> list[Cambio]:
    return values(lambda: list(db.session().scalars(
        select(Cambio).where(Cambio.person_id == pid).order_by(Cambio.id))))


@pytest.fixture
def moving(make_app, directory_config, directory, test_ou, clock):
    """A person of the centro de salud of Jurisdicción I with an active account in SIEMPRE's
    group and in a group Alta grants to another staff type; Jurisdicción II's accounts live
    in their own OU."""
    siempre, _ = make_siempre_group(directory, directory_config)
    groups_ou = directory.absolute(f"OU=Grupos,{test_ou}")
    accounts.ensure_ou(directory, groups_ou)
    nurses = f"CN=Enfermeria,{groups_ou}"
    directory.add(nurses, ["top", "group"], {"sAMAccountName": f"enf-{uuid.uuid4().hex[:8]}"})
    app = make_app(directory={**directory_config, "siempre_group": siempre,
                              "ou_by_jurisdiction": {"II": f"OU=JS II,{test_ou}"},
                              "groups_by_staff_type": {"enfermeria": [nurses]}})
    with app.app_context():
        scene = Scene(app, clock).cast()
        scene.person("jefe.ii", Role.JEFE_UNIDAD, unit_clues=CENTRO_II)
        applicant = scene.applicant("Elena", "Bravo", "Ríos", ece=False)
        scene.create_accounts(scene.received_oficio([applicant.request_id]))
        dc = connection.current()
        guid = ad_account(applicant.request_id).guid
        accounts.set_password(dc, guid, PASSWORD)
        account = accounts.grant_siempre_access(dc, guid)
        dc.modify(nurses, {"member": [("add", [account.dn])]})
        yield {"scene": scene, "applicant": applicant, "nurses": nurses,
               "pid": person_id(applicant.request_id), "config": directory_config,
               "test_ou": test_ou}


def test_cambio_moves_the_account_to_the_new_unit_keeping_its_guid(moving) -> None:
    scene, applicant, pid = moving["scene"], moving["applicant"], moving["pid"]
    before = ad_account(applicant.request_id)
    siempre = [g for g in before.groups if "siempre-" in g.lower()]
    assert siempre and moving["nurses"].lower() in {g.lower() for g in before.groups}

    response = scene.post("jefe.centro", f"/personas/{pid}/cambio",
                          {"unidad_destino": CENTRO_II, "fecha_efectiva": day(0),
                           "detalle": "Oficio de cambio 123/2026"})
    assert response.status_code == 302, response.get_data(as_text=True)
    [cambio] = cambios_of(pid)
    assert (cambio.status, cambio.from_unit_clues, cambio.to_unit_clues,
            cambio.to_jurisdiction_code) == ("solicitada", "MSSSA000120", CENTRO_II, "II")
    assert mails("cambio_por_firmar") == ["jefe.ii@ssm.test"]
    assert mails("cambio_aviso") == ["jefe.centro@ssm.test"]
    # Only the receiving unit head signs; an unrelated one does not even see it.
    assert scene.post("jefe.centro", f"/cambios/{cambio.id}/firmar",
                      step_up=True).status_code == 403
    assert scene.people["jefe.hospital"][0].get(f"/cambios/{cambio.id}").status_code == 404
    assert scene.people["jefe.ii"][0].get(f"/personas/{pid}").status_code == 404  # not yet
    page = scene.people["jefe.ii"][0].get(f"/cambios/{cambio.id}")
    assert page.status_code == 200 and "Firmar" in page.get_data(as_text=True)
    assert scene.post("jefe.ii", f"/cambios/{cambio.id}/firmar", step_up=True).status_code == 302
    assert cambios_of(pid)[0].status == "programada"

    jobs.run_pending()
    [cambio] = cambios_of(pid)
    assert cambio.status == "ejecutada" and cambio.status_label == "Ejecutado"
    after = ad_account(applicant.request_id)
    dc = connection.current()
    assert after.guid == before.guid
    assert after.dn.lower().endswith(dc.absolute(f"OU=JS II,{moving['test_ou']}").lower())
    groups = {g.lower() for g in after.groups}
    assert moving["nurses"].lower() not in groups  # not her staff type's: Alta removes it
    assert siempre[0].lower() in groups  # access to the record follows the person
    entry = dc.read(f"<GUID={after.guid}>", ["departmentNumber",
                                              "physicalDeliveryOfficeName"])
    assert entry.first("departmentNumber") == CENTRO_II
    shown = samba_show(moving["config"], after.sam_account_name, "distinguishedName",
                       "objectGUID", "departmentNumber")
    assert shown["objectGUID"] == before.guid and "OU=JS II" in shown["distinguishedName"]
    person = values(lambda: db.session().get(Person, pid))
    assert (person.unit_clues, person.jurisdiction_code) == (CENTRO_II, "II")
    assert values(lambda: db.session().scalar(select(DirectoryAccount.dn).where(
        DirectoryAccount.request_id == applicant.request_id))) == after.dn
    assert actions(cambio.folio, "cambio") == ["cambio.started", "cambio.signed",
                                               "cambio.scheduled", "directory.account_moved",
                                               "cambio.executed"]
    assert mails("cambio_ejecutado") == ["jefe.centro@ssm.test", "jefe.ii@ssm.test"]
    # The person and her history now belong to the new unit.
    record = scene.sign_in_again("jefe.ii").get(f"/personas/{pid}")
    assert record.status_code == 200
    assert applicant.folio in record.get_data(as_text=True)
    assert scene.sign_in_again("jefe.centro").get(f"/personas/{pid}").status_code == 404

    # Running it again changes nothing.
    again = port.current().relocate(after.guid, values(
        lambda: cambio_services.directory_person(db.session().get(Cambio, cambio.id))))
    assert (again.added_groups, again.removed_groups) == ((), ())
    assert again.account.dn == after.dn


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"unidad_destino": "ZZZZZ999999"}, "unidad_destino", "Elija la unidad"),
    ({"unidad_destino": "MSSSA\x00611"}, "unidad_destino", "Elija la unidad"),
    ({"unidad_destino": "MSSSA000120"}, "unidad_destino", "ya está adscrita"),
    ({"fecha_efectiva": "01/01/2020"}, "fecha_efectiva", "anterior a hoy"),
    ({"fecha_efectiva": "mañana"}, "fecha_efectiva", "dd/mm/aaaa"),
])
def test_bad_cambio_input_is_a_spanish_400(with_account, changes, field, message) -> None:
    scene, pid = with_account
    form = {"unidad_destino": CENTRO_II, "fecha_efectiva": day(0), **changes}
    response = scene.post("jefe.centro", f"/personas/{pid}/cambio", form)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text and f'id="{field}-cambio"' in text
    assert cambios_of(pid) == []


def test_no_cambio_while_a_baja_is_open_and_not_twice(with_account) -> None:
    scene, pid = with_account
    form = {"unidad_destino": CENTRO_II, "fecha_efectiva": day(3)}
    assert scene.post("jefe.centro", f"/personas/{pid}/cambio", form).status_code == 302
    second = scene.post("enlace", f"/personas/{pid}/cambio", form)
    assert second.status_code == 409 and "ya tiene un cambio" in second.get_data(as_text=True)
    [cambio] = cambios_of(pid)
    assert scene.post("jefe.centro", f"/cambios/{cambio.id}/cancelar",
                      {"motivo_cancelacion": "Se queda en su unidad"}).status_code == 302
    assert scene.post("jefe.centro", f"/personas/{pid}/baja", baja_form(fecha_efectiva=day(9)),
                      step_up=True).status_code == 302
    blocked = scene.post("enlace", f"/personas/{pid}/cambio", form)
    assert blocked.status_code == 409 and "baja" in blocked.get_data(as_text=True)
