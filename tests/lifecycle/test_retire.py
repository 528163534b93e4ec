"""The baja on the real Samba AD DC: ``accounts.retire`` and ``set_expiry``, read back over
LDAP and with samba-tool on the DC's own database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provisioning.directory import accounts
from provisioning.directory.accounts import ACCOUNTDISABLE, Person
from provisioning.directory.connection import Directory
from provisioning.directory.errors import BindRefused, NoSuchEntry
from tests.support.curp import synthetic_curp
from tests.support.dc import directory_settings, make_siempre_group, samba_show

PASSWORD = "Cuernavaca-2026-Morelos!"
UNIT = {"unit_name": "Centro de Salud Urbano Cuernavaca", "unit_clues": "MSSSA000120",
        "unit_type": "centro_de_salud", "jurisdiction_code": "I"}


def someone(n: int, given: str, first: str) -> Person:
    return Person(curp=synthetic_curp(n), given_names=given, first_surname=first,
                  second_surname="Ríos", folio=f"MSSSA000120-2026-{n:05d}",
                  staff_type_code="medico", **UNIT)


def group(directory: Directory, ou: str, name: str) -> str:
    dn = directory.absolute(f"CN={name},{ou}")
    directory.add(dn, ["top", "group"], {"sAMAccountName": f"{name}-{ou[-6:]}"})
    return dn


@pytest.fixture
def setup(directory_config, directory, tmp_path):
    """A directory with Alta's groups (everyone's, the medico's, SIEMPRE), a group Alta does
    not manage, and a bajas OU; plus an active account in all four groups."""
    ou = directory_config["users_ou"]
    accounts.ensure_ou(directory, directory.absolute(ou))
    siempre, siempre_dn = make_siempre_group(directory, directory_config)
    todos = group(directory, ou, "Todos")
    medicos = group(directory, ou, "Medicos")
    ajeno = group(directory, ou, "Ajeno")
    config = {**directory_config, "groups": [todos], "siempre_group": siempre,
              "groups_by_staff_type": {"medico": [medicos]},
              "disabled_ou": f"OU=Bajas,{ou}"}
    alta = Directory(directory_settings(config, tmp_path))
    outcome = accounts.provision(alta, someone(41, "Elena", "Bravo"))
    account = accounts.grant_siempre_access(alta, outcome.account.guid)
    directory.modify(ajeno, {"member": [("add", [account.dn])]})
    accounts.set_password(alta, account.guid, PASSWORD)
    yield {"alta": alta, "account": accounts.get(alta, account.guid), "config": config,
           "alta_groups": {siempre_dn.lower(), todos.lower(), medicos.lower()},
           "ajeno": ajeno, "siempre": siempre_dn}
    alta.close()


def test_retire_disables_strips_groups_expires_and_moves(setup) -> None:
    alta, before = setup["alta"], setup["account"]
    alta.check_credentials(before.dn, PASSWORD)  # it works before the baja
    assert {g.lower() for g in before.groups} >= setup["alta_groups"]
    moment = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)

    done = accounts.retire(alta, before.guid, expires_at=moment,
                           disabled_ou=setup["config"]["disabled_ou"])

    alta.close()  # read back on a fresh connection
    after = accounts.get(alta, before.guid)
    assert after.guid == before.guid
    assert not after.enabled
    assert {g.lower() for g in after.groups} == {setup["ajeno"].lower()}  # not Alta's: kept
    assert done.removed_groups[0].lower() == setup["siempre"].lower()  # SIEMPRE first
    assert {g.lower() for g in done.removed_groups} == setup["alta_groups"]
    assert after.expires_at == moment
    assert after.dn.lower().endswith(alta.absolute(setup["config"]["disabled_ou"]).lower())
    assert after.dn.split(",")[0] == before.dn.split(",")[0]  # same CN
    shown = samba_show(setup["config"], after.sam_account_name, "userAccountControl",
                       "accountExpires", "distinguishedName", "memberOf")
    assert int(shown["userAccountControl"]) & ACCOUNTDISABLE
    assert int(shown["accountExpires"]) == accounts.filetime(moment)
    assert shown["distinguishedName"].lower() == after.dn.lower()
    assert "Bajas" in shown["distinguishedName"]
    with pytest.raises(BindRefused):
        alta.check_credentials(after.dn, PASSWORD)

    again = accounts.retire(alta, before.guid, expires_at=moment + timedelta(days=1),
                            disabled_ou=setup["config"]["disabled_ou"])
    assert again.removed_groups == ()
    assert again.account.dn == after.dn
    assert again.account.expires_at == moment  # an earlier expiry is kept


def test_retire_resumes_after_a_run_stopped_midway(setup) -> None:
    """The DC did part of it (SIEMPRE removed, still enabled): the next run finishes."""
    alta, account = setup["alta"], setup["account"]
    accounts.remove_from_groups(alta, account, [setup["siempre"]])
    done = accounts.retire(alta, account.guid, expires_at=datetime.now(UTC),
                           disabled_ou=setup["config"]["disabled_ou"])
    assert setup["siempre"].lower() not in {g.lower() for g in done.removed_groups}
    assert len(done.removed_groups) == 2
    assert not done.account.enabled and "OU=Bajas" in done.account.dn


def test_a_namesake_in_the_bajas_ou_gets_a_suffixed_cn(setup, directory) -> None:
    alta, account = setup["alta"], setup["account"]
    bajas = alta.absolute(setup["config"]["disabled_ou"])
    accounts.ensure_ou(alta, bajas)
    cn = account.dn.split(",")[0]
    directory.add(f"{cn},{bajas}", ["top", "contact"], {})  # a namesake already there
    done = accounts.retire(alta, account.guid, expires_at=datetime.now(UTC),
                           disabled_ou=setup["config"]["disabled_ou"])
    assert done.account.guid == account.guid
    moved_cn = done.account.dn.split(",")[0]
    assert moved_cn != cn and f"({account.sam_account_name}" in moved_cn


def test_a_temporary_account_stops_binding_once_its_date_passes(setup) -> None:
    """accountExpires in the future: the person signs in; moved to the past (what the DC
    does when the date arrives): refused."""
    alta, account = setup["alta"], setup["account"]
    later = datetime.now(UTC) + timedelta(days=30)
    assert accounts.set_expiry(alta, account.guid, later).expires_at == later
    alta.check_credentials(account.dn, PASSWORD)
    accounts.set_expiry(alta, account.guid, datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(BindRefused) as refused:
        alta.check_credentials(account.dn, PASSWORD)
    assert refused.value.reason == "expired"
    assert accounts.set_expiry(alta, account.guid, None).expires_at is None
    alta.check_credentials(account.dn, PASSWORD)


def test_retiring_an_account_the_dc_no_longer_has_says_so(setup) -> None:
    with pytest.raises(NoSuchEntry):
        accounts.retire(setup["alta"], "11111111-2222-3333-4444-555555555555",
                        expires_at=datetime.now(UTC), disabled_ou="OU=Bajas")
