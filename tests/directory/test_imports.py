"""Pure parts of the directory import's reading: DN keys and entry values (the paged
search itself runs against the real DC in tests/reconciliation)."""

from __future__ import annotations

import uuid

import pytest

from provisioning.directory.connection import normalized_dn
from provisioning.directory.imports import _entry as entry_of
from provisioning.directory.imports import dn_key, parent_dn, within


@pytest.mark.parametrize("dn", [
    "CN=ana,OU=Cuernavaca,DC=ssm,DC=test",
    "cn = Ana María , ou=Núñez Peña,DC=SSM,dc=test",
    "CN=García\\, Luis,OU=Jojutla,DC=ssm,DC=test",  # escaped comma: the full parser
    "CN=a+sn=b,DC=ssm,DC=test",  # multi-valued RDN
])
def test_dn_key_is_the_parsed_dn_without_case_or_spaces(dn: str) -> None:
    expected = ",".join(f"{a}={v}" for a, v in normalized_dn(dn))
    assert dn_key(dn) == expected
    assert dn_key(dn.upper()) == expected.upper().lower()


@pytest.mark.parametrize("dn", ["", "CN=ana,,DC=test", "no es un dn", "CN=,DC=test",
                                "CN=\"quoted\",DC=ssm,DC=test"])
def test_an_unparsable_dn_is_kept_lower_case(dn: str) -> None:
    assert dn_key(dn) == dn.strip().lower()


def test_the_container_and_within() -> None:
    dn = "CN=García\\, Luis,OU=Jojutla,DC=ssm,DC=test"
    assert parent_dn(dn) == "OU=Jojutla,DC=ssm,DC=test"
    assert within(dn, "dc=SSM, dc=test") and not within(dn, "OU=Cuautla,DC=ssm,DC=test")


def test_entry_values_whatever_the_case_of_attribute_names() -> None:
    guid = uuid.uuid4()
    raw = {"objectGUID": [guid.bytes_le], "SAMACCOUNTNAME": [b"aortiz"],
           "userAccountControl": [b"514"], "memberOf": [b"CN=SIEMPRE,DC=ssm,DC=test"],
           "whenCreated": [b"20261207045300.0Z"], "accountExpires": [b"0"],
           "employeeNumber": [b" ortv800101mmsrls09 "], "givenName": [b"Ana"],
           "sn": [b"Ortiz Vela"]}
    found = entry_of("CN=aortiz,OU=A,DC=ssm,DC=test", raw, "employeeNumber")
    assert (found.guid, found.sam_account_name, found.enabled) == (str(guid), "aortiz", False)
    assert found.groups == ("CN=SIEMPRE,DC=ssm,DC=test",)
    assert found.created_at.isoformat() == "2026-12-07T04:53:00+00:00"
    assert (found.curp, found.given_name, found.surname) == (
        "ORTV800101MMSRLS09", "Ana", "Ortiz Vela")
    assert found.last_logon_at is None and found.display_name is None
