"""Shared fixtures: a database built by the migrations, an app per test inside a transaction
that is rolled back, HTTP helpers that carry the CSRF token, and staff sign-in helpers.

Backend: SQLite by default; PostgreSQL when ALTA_TEST_DATABASE_URL names a server URL (the
suite then creates and drops its own databases there).
"""

from __future__ import annotations

import os
import subprocess
import tomllib
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import sessionmaker

from provisioning import create_app, db, timeutil
from provisioning.audit import services as audit_services
from provisioning.directory.connection import Directory, close_for
from provisioning.directory.errors import DirectoryError
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.app import Databases, _settings
from tests.support.clock import Clock
from tests.support.dc import (
    DIRECTORY_TOML,
    STALE_TEST_OU,
    TEST_BASE_OU,
    _no_directory,
    directory_settings,
    make_siempre_group,
)
from tests.support.staff import _SCOPES, StaffAccount, create_staff_account, login
from tests.support.web import Browser, serving

# ---------------------------------------------------------------------------------------------
# Collection


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches the shared test DC (through the ``dc`` fixture) as
    ``directory``: scripts/run-tests never runs two passes of those at once (their accounts,
    user names and CURPs share one domain)."""
    for item in items:
        if "dc" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.directory)


# ---------------------------------------------------------------------------------------------
# Databases






@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def base_app(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(_settings(databases.copy(), tmp_path_factory.mktemp("app")))
    app.config["TESTING"] = True
    yield app
    app.extensions["alta.db"].engine.dispose()


@pytest.fixture
def app(base_app: Flask, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app with every session bound to one connection whose transaction is rolled back.

    After each test the audit chain must still verify (``alta audit verify``), unless the
    test tampers with it on purpose (marker ``tampers_audit``).
    """
    database = base_app.extensions["alta.db"]
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.sessionmaker
    database.sessionmaker = sessionmaker(bind=connection, expire_on_commit=False,
                                         join_transaction_mode="create_savepoint")
    try:
        with base_app.app_context():
            yield base_app
            db.rollback()
            if request.node.get_closest_marker("tampers_audit") is None:
                # Integrity only: tests move the clock, so "events without a recent
                # checkpoint" is checked by the audit tests themselves.
                result = audit_services.verify(connection, check_age=False)
                assert result.ok, f"audit chain broken after the test: {result}"
    finally:
        database.sessionmaker = original
        outer.rollback()
        connection.close()


@pytest.fixture
def make_app(databases: Databases, tmp_path: Path) -> Iterator[Any]:
    """Build an app on a fresh database that really commits (concurrency, rate limits)."""
    built: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        new = create_app(_settings(databases.copy(), tmp_path, **overrides))
        new.config["TESTING"] = True
        built.append(new)
        return new

    yield build
    for item in built:
        close_for(item)
        item.extensions["alta.db"].engine.dispose()




@pytest.fixture
def live_app(make_app) -> Iterator[Any]:
    """The app on a committing database, served on loopback (no rate limits)."""
    with serving(make_app(rate_limit={"enabled": False})) as app:
        yield app


# ---------------------------------------------------------------------------------------------
# Clock




@pytest.fixture
def clock() -> Iterator[Clock]:
    frozen = Clock()
    timeutil.set_clock(frozen)
    yield frozen
    timeutil.set_clock(None)


# ---------------------------------------------------------------------------------------------
# HTTP








@pytest.fixture
def client(app: Flask) -> Browser:
    return Browser(app.test_client())


# ---------------------------------------------------------------------------------------------
# Staff










@pytest.fixture
def login_as(app: Flask, client: Browser) -> Any:
    """login_as(role, **scope) → the StaffAccount, with ``client`` signed in as it."""
    counter = iter(range(1000))

    def do(role: Role, **scope: str) -> StaffAccount:
        grant = staff.Grant(role, **(scope or _SCOPES.get(role, {})))
        account = create_staff_account(f"{role.value.replace('_', '.')}{next(counter)}", grant)
        login(client, account)
        return account

    return do


# ---------------------------------------------------------------------------------------------
# Requests










# ---------------------------------------------------------------------------------------------
# Directory: the real Samba AD DC that scripts/run-tests starts (scripts/ad-dc)








@pytest.fixture(scope="session")
def dc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The [directory] table of the test DC, after a real bind proved it answers.

    Also removes test OUs that crashed runs left behind (older than 10 minutes), so their
    accounts cannot take names or CURPs this run expects to be free.
    """
    if not DIRECTORY_TOML:
        _no_directory("ALTA_TEST_DIRECTORY_TOML is not set; scripts/run-tests starts the DC "
                      "(scripts/ad-dc, needs root) and sets it")
    try:
        with open(DIRECTORY_TOML, "rb") as fh:
            table = tomllib.load(fh)["directory"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        _no_directory(f"cannot read {DIRECTORY_TOML}: {exc}")
    directory = Directory(directory_settings(table, tmp_path_factory.mktemp("dc")))
    try:
        base = directory.absolute(TEST_BASE_OU)
        cutoff = (datetime.now(UTC) - STALE_TEST_OU).strftime("%Y%m%d%H%M%S.0Z")
        for entry in directory.search(f"(&(objectClass=organizationalUnit)"
                                      f"(whenCreated<={cutoff}))", base=base, scope="one"):
            directory.delete(entry.dn, tree=True)
    except DirectoryError as exc:
        _no_directory(f"the test DC does not answer: {exc.message}")
    finally:
        directory.close()
    return table


@pytest.fixture
def test_ou(dc: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """This test's own OU (relative to the domain), deleted with everything in it after."""
    ou = f"OU=t-{uuid.uuid4().hex[:10]},{TEST_BASE_OU}"
    yield ou
    directory = Directory(directory_settings(dc, tmp_path))
    try:
        directory.delete(directory.absolute(ou), tree=True)
    finally:
        directory.close()


@pytest.fixture
def directory_config(dc: dict[str, Any], test_ou: str) -> dict[str, Any]:
    """[directory] settings for this test: the test DC, new accounts in the test's OU and
    the accounts a baja disables in an OU inside it (removed with it)."""
    return {**dc, "users_ou": test_ou, "disabled_ou": f"OU=Bajas,{test_ou}"}


@pytest.fixture
def directory(directory_config: dict[str, Any], tmp_path: Path) -> Iterator[Directory]:
    """A Directory on the test DC (its connections closed afterwards)."""
    opened = Directory(directory_settings(directory_config, tmp_path))
    yield opened
    opened.close()


@pytest.fixture
def dir_app(make_app: Any, directory_config: dict[str, Any]) -> Iterator[Flask]:
    """A committing app whose [directory] is the test DC (new accounts in the test's OU)."""
    app = make_app(directory=directory_config)
    with app.app_context():
        yield app




@pytest.fixture
def siempre_app(make_app: Any, directory_config: dict[str, Any],
                directory: Directory) -> Iterator[tuple[Flask, str]]:
    """Like ``dir_app``, with a SIEMPRE access group in the test's OU: (app, group DN)."""
    name, dn = make_siempre_group(directory, directory_config)
    app = make_app(directory={**directory_config, "siempre_group": name})
    with app.app_context():
        yield app, dn


@pytest.fixture
def dc_control(dc: dict[str, Any]) -> Iterator[Callable[[str], None]]:
    """Run scripts/ad-dc stop|start on the test DC; it is running again afterwards."""
    env = {**os.environ, "ALTA_DC_DIR": str(Path(DIRECTORY_TOML).parent)}
    script = Path(__file__).resolve().parents[1] / "scripts" / "ad-dc"

    def run(action: str) -> None:
        done = subprocess.run([str(script), action], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode == 77:
            _no_directory("stopping and starting the DC needs root")
        assert done.returncode == 0, done.stderr

    yield run
    run("start")
