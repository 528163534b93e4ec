"""Account operations against the real Samba AD DC: what is written, read back over LDAP."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from pathlib import Path

import pytest

from provisioning import naming
from provisioning.directory import accounts
from provisioning.directory.accounts import Person
from provisioning.directory.connection import Directory
from provisioning.directory.errors import (
    BindRefused,
    DirectoryError,
    DirectoryUnavailable,
    LinkNeedsConfirmation,
    NoSuchEntry,
    PasswordRejected,
    ServiceAccountRejected,
)
from tests.support.curp import synthetic_curp
from tests.support.dc import directory_settings

UNIT = {"unit_name": "Centro de Salud Urbano Cuernavaca", "unit_clues": "MSSSA000120",
        "unit_type": "centro_de_salud", "jurisdiction_code": "I"}


def person(n: int, given: str, first: str, second: str | None = None, **extra) -> Person:
    fields = {**UNIT, "staff_type_code": "medico", **extra}
    return Person(curp=synthetic_curp(n), given_names=given, first_surname=first,
                  second_surname=second, folio=f"MSSSA000120-2026-{n:05d}", **fields)


def new_directory(table: dict, tmp_path: Path, **changes) -> Directory:
    return Directory(directory_settings({**table, **changes}, tmp_path))


def add_group(directory: Directory, ou: str, name: str) -> str:
    accounts.ensure_ou(directory, directory.absolute(ou))
    dn = directory.absolute(f"CN={name},{ou}")
    directory.add(dn, ["top", "group"], {"sAMAccountName": f"{name}-{secrets.token_hex(3)}"})
    return dn


def test_created_disabled_with_expected_attributes_ou_and_groups(
        directory_config, test_ou, tmp_path) -> None:
    config = {**directory_config, "mail_domain": "ssm.gob.mx",
              "ou_by_unit_type": {"hospital": f"OU=Hospitales,{test_ou}"},
              "ou_by_jurisdiction": {"I": f"OU=JS I,{test_ou}"},
              "groups": [f"CN=Todos,OU=Grupos,{test_ou}"],
              "groups_by_staff_type": {"medico": [f"CN=Medicos,OU=Grupos,{test_ou}"],
                                       "enfermeria": [f"CN=Enfermeria,OU=Grupos,{test_ou}"]}}
    directory = new_directory(config, tmp_path)
    try:
        todos = add_group(directory, f"OU=Grupos,{test_ou}", "Todos")
        medicos = add_group(directory, f"OU=Grupos,{test_ou}", "Medicos")
        add_group(directory, f"OU=Grupos,{test_ou}", "Enfermeria")
        someone = person(1, "José Ángel", "Núñez", "Peña", wants_email=True)
        outcome = accounts.provision(directory, someone)
        assert outcome.created
        # Read back by objectGUID, over LDAP, with a fresh connection.
        directory.close()
        account = accounts.get(directory, outcome.account.guid)
        assert account is not None and account.guid == outcome.account.guid
        entry = directory.read(f"<GUID={account.guid}>", [
            "cn", "displayName", "givenName", "sn", "sAMAccountName", "userPrincipalName",
            "employeeNumber", "description", "physicalDeliveryOfficeName", "departmentNumber",
            "mail", "userAccountControl", "pwdLastSet", "memberOf",
            "msDS-User-Account-Control-Computed"])
        assert entry.first("cn") == "José Ángel Núñez Peña"
        assert entry.first("displayName") == "José Ángel Núñez Peña"
        assert entry.first("givenName") == "José Ángel"
        assert entry.first("sn") == "Núñez Peña"
        assert entry.first("sAMAccountName") == "jose.nunez"
        assert entry.first("userPrincipalName") == "jose.nunez@ssm.test"
        assert entry.first("employeeNumber") == someone.curp
        assert entry.first("description") == someone.folio
        assert entry.first("physicalDeliveryOfficeName") == UNIT["unit_name"]
        assert entry.first("departmentNumber") == "MSSSA000120"
        assert entry.first("mail") == "jose.nunez@ssm.gob.mx"
        # Disabled, normal account; password set but must be changed (pwdLastSet 0).
        assert int(entry.first("userAccountControl")) == 0x200 | 0x2
        assert not account.enabled and account.must_change_password
        # The OU comes from the jurisdiction mapping; groups: everyone's + médico.
        assert entry.dn.lower().endswith(directory.absolute(f"OU=JS I,{test_ou}").lower())
        assert {g.lower() for g in entry.values("memberOf")} == {todos.lower(), medicos.lower()}
        # Unit type wins over jurisdiction.
        nurse = person(2, "Ana", "Ruiz", unit_type="hospital", staff_type_code="enfermeria")
        placed = accounts.provision(directory, nurse).account
        assert placed.dn.lower().startswith("cn=ana ruiz,ou=hospitales,")
        assert directory.read(f"<GUID={placed.guid}>", ["mail"]).values("mail") == []
    finally:
        directory.close()


def test_namesakes_get_distinct_deterministic_names(directory, test_ou) -> None:
    made = [accounts.provision(directory, person(10 + i, "Juan", "López", "López")).account
            for i in range(3)]
    assert [a.sam_account_name for a in made] == ["juan.lopez", "juan.lopez2", "juan.lopez3"]
    assert [a.user_principal_name for a in made] == [
        "juan.lopez@ssm.test", "juan.lopez2@ssm.test", "juan.lopez3@ssm.test"]
    # Same CN in one OU is impossible: the later ones carry their account name.
    cns = [directory.read(f"<GUID={a.guid}>", ["cn"]).first("cn") for a in made]
    assert cns == ["Juan López López", "Juan López López (juan.lopez2)",
                   "Juan López López (juan.lopez3)"]
    assert len({a.guid for a in made}) == 3
    assert not accounts.name_is_free(directory, "juan.lopez3")
    assert accounts.name_is_free(directory, "juan.lopez4")


HARD = [
    # (given, first surname, second surname, expected sAMAccountName)
    ("Maximiliano", "Hernández", "Ortiz", "maximiliano.hernande"),
    ("María de los Ángeles", "de la Cruz", "Ñúñez", "maria.cruz"),
    ("Begoña", "Ibáñez", None, "begona.ibanez"),
    ("Shaun", "O'Neill", None, "shaun.oneill"),
    ("Ana", "Pérez-Gómez", "del Río", "ana.perez"),
    ("Ronald", "Mc Donald", None, "ronald.mcdonald"),
    ("Agüeda", "Argüelles", None, "agueda.arguelles"),
]


def test_hard_names_against_the_dc(directory) -> None:
    for i, (given, first, second, expected) in enumerate(HARD):
        made = accounts.provision(directory, person(30 + i, given, first, second)).account
        naming.validate_sam_account_name(made.sam_account_name)
        assert made.sam_account_name == expected
        entry = directory.read(f"<GUID={made.guid}>", ["displayName", "givenName", "sn"])
        assert entry.first("givenName") == given  # full Unicode kept
        assert entry.first("sn") == " ".join(p for p in (first, second) if p)
    # The long one cut at 20 collides: its next name still fits in 20 characters.
    again = accounts.provision(directory, person(40, "Maximiliano", "Hernández", "Ruiz"))
    assert again.account.sam_account_name == "maximiliano.hernand2"


def test_dn_special_characters_are_escaped_and_accounts_kept_by_guid(directory) -> None:
    odd = person(50, "Jr., #1 + Ana", "López=Soto; <x>", "\"Q\"")
    made = accounts.provision(directory, odd).account
    assert made.sam_account_name == "jr.lopez"
    entry = directory.read(f"<GUID={made.guid}>", ["cn"])
    assert entry.first("cn") == "Jr., #1 + Ana López=Soto; <x> \"Q\""


def test_existing_account_with_the_curp_is_linked_not_duplicated(directory) -> None:
    someone = person(60, "Rosa", "Peña")
    earlier = accounts.provision(directory, dataclasses.replace(someone, folio="OTRO-FOLIO"))
    # Made for another request and never activated: disabled, so IT must confirm first
    # (tests/directory/test_link_review.py); enabled, it is linked without asking.
    with pytest.raises(LinkNeedsConfirmation) as held:
        accounts.provision(directory, someone)
    assert held.value.concerns == {accounts.DISABLED}
    assert held.value.account.guid == earlier.account.guid
    accounts.set_enabled(directory, earlier.account.guid, True)
    again = accounts.provision(directory, someone)
    assert again.account.guid == earlier.account.guid
    assert not again.created  # made for another folio: linked
    # The run that made it recognises its own account (a retry after a crash).
    assert accounts.provision(directory, dataclasses.replace(someone, folio="OTRO-FOLIO")).created
    assert len(accounts.find_by_curp(directory, someone.curp)) == 1


def test_two_accounts_with_one_curp_is_a_clear_error(directory, test_ou) -> None:
    someone = person(70, "Luis", "Vega")
    accounts.provision(directory, someone)
    twin = directory.absolute(f"CN=Twin,{test_ou}")
    directory.add(twin, accounts.USER_CLASSES, {"sAMAccountName": f"tw{secrets.token_hex(4)}",
                                                "employeeNumber": someone.curp})
    with pytest.raises(DirectoryError, match=r"Hay 2 cuentas con la CURP .*Deje solo una"):
        accounts.provision(directory, someone)


def test_missing_group_stops_before_anything_is_created(
        directory_config, test_ou, tmp_path) -> None:
    directory = new_directory(directory_config, tmp_path, groups=["no-existe-este-grupo"])
    try:
        someone = person(80, "Eva", "Soto")
        with pytest.raises(NoSuchEntry, match="El grupo «no-existe-este-grupo»"):
            accounts.provision(directory, someone)
        assert accounts.find_by_curp(directory, someone.curp) == []
    finally:
        directory.close()


def test_password_enable_and_bind_verdicts_in_spanish(directory) -> None:
    made = accounts.provision(directory, person(90, "Marta", "Salgado")).account
    good = "Buena-Clave-" + secrets.token_hex(4)
    # A disabled account cannot sign in whatever the password.
    with pytest.raises(BindRefused, match="Usuario o contraseña incorrectos"):
        accounts.verify_password(directory, made.guid, good)
    with pytest.raises(PasswordRejected, match="demasiado corta: debe tener al menos 7") as e:
        accounts.set_password(directory, made.guid, "abc")
    assert e.value.reason == "too_short"
    with pytest.raises(PasswordRejected, match="complejidad") as e:
        accounts.set_password(directory, made.guid, "abcdefghijkl")
    assert e.value.reason == "complexity"
    assert not accounts.get(directory, made.guid).enabled  # a refused password changes nothing
    # Temporary password, to be changed at first logon: 773.
    enabled = accounts.set_password(directory, made.guid, good, must_change=True)
    assert enabled.enabled and enabled.must_change_password
    with pytest.raises(BindRefused, match="debe cambiarse") as e:
        accounts.verify_password(directory, made.guid, good)
    assert e.value.reason == "must_change"
    # The person's own password: signs in; a wrong one is 52e.
    final = accounts.set_password(directory, made.guid, good + "x")
    assert not final.must_change_password
    accounts.verify_password(directory, made.guid, good + "x")
    with pytest.raises(BindRefused, match="Usuario o contraseña incorrectos") as e:
        accounts.verify_password(directory, made.guid, "Otra-Clave-123")
    assert e.value.reason == "bad_credentials"
    with pytest.raises(BindRefused):
        accounts.verify_password(directory, made.guid, "")  # never an anonymous bind
    # A user's own change checks history.
    with pytest.raises(PasswordRejected, match="ya se usó") as e:
        accounts.set_password(directory, made.guid, good, old_password=good + "x")
    assert e.value.reason == "history"
    with pytest.raises(PasswordRejected, match="actual no es correcta"):
        accounts.set_password(directory, made.guid, "Nueva-Clave-987", old_password="mala")
    # Disabled again: 533.
    accounts.set_enabled(directory, made.guid, False)
    with pytest.raises(BindRefused, match="deshabilitada") as e:
        accounts.verify_password(directory, made.guid, good + "x")
    assert e.value.reason == "disabled"


def test_verify_password_without_an_account_binds_an_entry_that_does_not_exist(
        directory) -> None:
    made = accounts.provision(directory, person(91, "Rubén", "Tapia")).account
    good = "Buena-Clave-" + secrets.token_hex(4)
    accounts.set_password(directory, made.guid, good)
    bound: list[str] = []
    directory.bind_observers.append(bound.append)
    # No account (or one the DC no longer has): the same read and bind, for a DN that names
    # nothing, and the answer a wrong password gets, whatever password is given.
    for guid in (None, str(uuid.uuid4())):
        for password in (good, "Otra-Clave-123"):
            with pytest.raises(BindRefused, match="Usuario o contraseña incorrectos") as e:
                accounts.verify_password(directory, guid, password)
            assert e.value.reason == "bad_credentials"
    assert bound == [accounts.no_account_dn(directory)] * 4
    assert directory.read(bound[0], ["objectGUID"]) is None
    accounts.verify_password(directory, made.guid, good)
    assert bound[-1] == accounts.get(directory, made.guid).dn


def test_siempre_group_by_name(directory_config, test_ou, tmp_path) -> None:
    directory = new_directory(directory_config, tmp_path)
    try:
        group_dn = add_group(directory, test_ou, "SIEMPRE")
        name = directory.read(group_dn, ["sAMAccountName"]).first("sAMAccountName")
        with_group = new_directory(directory_config, tmp_path, siempre_group=name)
        try:
            made = accounts.provision(with_group, person(95, "Iris", "Mora")).account
            granted = accounts.grant_siempre_access(with_group, made.guid)
            assert group_dn.lower() in [g.lower() for g in granted.groups]
            # Twice is fine.
            accounts.grant_siempre_access(with_group, made.guid)
        finally:
            with_group.close()
        with pytest.raises(DirectoryError, match="No hay grupo de acceso a SIEMPRE"):
            accounts.grant_siempre_access(directory, made.guid)
    finally:
        directory.close()


def test_unknown_guid_is_a_clear_error(directory) -> None:
    assert accounts.get(directory, str(uuid.uuid4())) is None
    with pytest.raises(NoSuchEntry, match="ya no existe en el directorio"):
        accounts.set_password(directory, str(uuid.uuid4()), "Clave-Buena-123")


@pytest.mark.parametrize(("changes", "error", "message"), [
    ({"url": "ldaps://127.0.0.1:6399"}, DirectoryUnavailable,
     r"No hay conexión con el controlador de dominio \(ldaps://127.0.0.1:6399\): la conexión "
     r"fue rechazada"),
    ({"tls_server_name": "otro.ssm.test"}, DirectoryUnavailable,
     "su certificado no corresponde al nombre esperado"),
    ({"bind_password": "incorrecta", "bind_password_file": None}, ServiceAccountRejected,
     r"rechazó la cuenta de servicio de Alta .*Usuario o contraseña incorrectos"),
])
def test_connection_problems_are_spanish_errors(dc, tmp_path, changes, error, message) -> None:
    table = {k: v for k, v in {**dc, **changes}.items() if v is not None}
    directory = new_directory(table, tmp_path)
    try:
        with pytest.raises(error, match=message) as raised:
            accounts.find_by_curp(directory, synthetic_curp(1))
        assert raised.value.retryable
    finally:
        directory.close()


def test_wrong_ca_is_refused(dc, tmp_path) -> None:
    other_ca = tmp_path / "ca.pem"
    other_ca.write_text(_self_signed_ca(), encoding="ascii")
    directory = new_directory(dc, tmp_path, ca_file=str(other_ca))
    try:
        with pytest.raises(DirectoryUnavailable, match="no es válido para la CA configurada"):
            accounts.find_by_curp(directory, synthetic_curp(1))
    finally:
        directory.close()


def _self_signed_ca() -> str:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Otra CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
