"""The throwaway Samba AD DC for directory tests: its settings and helpers."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.services import verify
from provisioning.directory import accounts, connection
from provisioning.directory.connection import Directory
from provisioning.people.accounts import DirectoryAccount
from tests.support.app import _settings

DIRECTORY_TOML = os.environ.get("ALTA_TEST_DIRECTORY_TOML")


IN_CI = os.environ.get("CI") == "true"


TEST_BASE_OU = "OU=alta-tests"


STALE_TEST_OU = timedelta(minutes=10)


def _no_directory(reason: str) -> None:
    """Skip on a developer machine; in CI a directory test that cannot run is a failure."""
    if IN_CI:
        pytest.fail(f"CI must run the directory tests, but: {reason}", pytrace=False)
    pytest.skip(f"directory tests not run: {reason}")


def directory_settings(table: dict[str, Any], workdir: Path) -> Any:
    """DirectorySettings from a [directory] table (with the usual test settings around it)."""
    return _settings("sqlite://", workdir, directory=table).directory


def make_siempre_group(directory: Directory, directory_config: dict[str, Any]) -> tuple[str, str]:
    """A SIEMPRE access group in the test's OU: (sAMAccountName, DN)."""
    ou = directory.absolute(directory_config["users_ou"])
    accounts.ensure_ou(directory, ou)
    name = f"siempre-{uuid.uuid4().hex[:8]}"
    dn = f"CN={name},{ou}"
    directory.add(dn, ["top", "group"], {"sAMAccountName": name})
    return name, dn


def assert_exactly_one_account_each(ids: list[int]) -> None:
    db.session().expire_all()
    assert set(ad_accounts_per_curp(ids).values()) == {1}
    rows = db.session().scalars(select(DirectoryAccount).where(
        DirectoryAccount.request_id.in_(ids))).all()
    assert len(rows) == len(ids) and len({r.object_guid for r in rows}) == len(ids)
    statuses = set(db.session().scalars(select(AccountRequest.status).where(
        AccountRequest.id.in_(ids))))
    assert statuses == {"cuenta_creada"}
    result = verify(db.session().connection())
    db.rollback()
    assert result.ok, result.reason


def ad_accounts_per_curp(ids: list[int]) -> dict[str, int]:
    directory = connection.current()
    curps = list(db.session().scalars(select(AccountRequest.curp).where(
        AccountRequest.id.in_(ids))))
    db.rollback()  # SQLite: no write lock held while the DC answers
    return {curp: len(accounts.find_by_curp(directory, curp)) for curp in curps}


def samba_show(directory_config: dict[str, Any], sam: str, *attributes: str) -> dict[str, str]:
    """``samba-tool user show`` of the account on the test DC's own database (root): the
    DC's view, independent of Alta's LDAP code. {attribute: value} (first value of each)."""
    sam_ldb = Path(directory_config["ca_file"]).parents[1] / "sam.ldb"
    done = subprocess.run(["samba-tool", "user", "show", sam, "-H", str(sam_ldb),
                           f"--attributes={','.join(attributes)}"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    shown: dict[str, str] = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(": ")
        if value:
            shown.setdefault(name, value)
    return shown
