"""Shared fixtures: a database built by the migrations, an app per test inside a transaction
that is rolled back, HTTP helpers that carry the CSRF token, and staff sign-in helpers.

Backend: SQLite by default; PostgreSQL when ALTA_TEST_DATABASE_URL names a server URL (the
suite then creates and drops its own databases there).
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import re
import shutil
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from provisioning import audit, create_app, db, timeutil
from provisioning.audit import services as audit_services
from provisioning.catalogs import services as catalogs
from provisioning.config import Settings, load_settings
from provisioning.crypto import sealer
from provisioning.directory import accounts
from provisioning.directory.connection import Directory, close_for
from provisioning.directory.errors import DirectoryError
from provisioning.staff import services as staff
from provisioning.staff.models import Role

PG_URL = os.environ.get("ALTA_TEST_DATABASE_URL")
TEST_ACTOR = audit.Actor("pytest", "prueba")
STAFF_PASSWORD = "Clave-de-prueba-2026"


# ---------------------------------------------------------------------------------------------
# Databases


class Databases:
    """Creates migrated databases for the run: a template, then cheap copies of it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.created: list[str] = []
        self.prefix = f"alta_t{uuid.uuid4().hex[:8]}"
        self.template_url = self._new_url("template")
        db.upgrade(self.template_url)
        app = create_app(_settings(self.template_url, workdir))
        with app.app_context():
            catalogs.load_directory(actor=TEST_ACTOR)
            db.commit()
        app.extensions["alta.db"].engine.dispose()

    def _admin_engine(self) -> sa.Engine:
        return sa.create_engine(db.normalize_url(PG_URL or ""), isolation_level="AUTOCOMMIT")

    def _new_url(self, name: str) -> str:
        if PG_URL:
            dbname = f"{self.prefix}_{name}"
            engine = self._admin_engine()
            with engine.connect() as conn:
                template = (f" TEMPLATE {self.prefix}_template" if name != "template" else "")
                conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"{template}')
            engine.dispose()
            self.created.append(dbname)
            return make_url(db.normalize_url(PG_URL)).set(database=dbname).render_as_string(
                hide_password=False)
        path = self.workdir / f"{name}.db"
        if name != "template":
            shutil.copy(self.workdir / "template.db", path)
        return f"sqlite:///{path}"

    def copy(self) -> str:
        """A new database with the template's schema and catalogs."""
        return self._new_url(uuid.uuid4().hex[:8])

    def drop_all(self) -> None:
        if not PG_URL:
            return
        engine = self._admin_engine()
        try:
            for name in reversed(self.created):
                # An autovacuum worker may still be in a database the suite wrote a lot to;
                # it leaves within moments, so try again rather than leak the database.
                for attempt in range(10):
                    try:
                        with engine.connect() as conn:
                            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                        break
                    except sa.exc.DBAPIError:
                        if attempt == 9:
                            raise
                        time.sleep(0.5)
        finally:
            engine.dispose()


def _settings(url: str, workdir: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "app": {"secret_key": "s" * 48, "instance_dir": str(workdir / "instance"),
                "base_url": "http://localhost"},
        "database": {"url": url},
        # Cheap hashing keeps the suite fast; production values are in config.example.toml.
        "security": {"argon2_time_cost": 1, "argon2_memory_cost_kib": 256,
                     "argon2_parallelism": 1, "code_argon2_memory_cost_kib": 256,
                     "session_cookie_secure": False},
        "rate_limit": {"solicitud": 1000, "seguimiento": 1000, "acceso": 1000,
                       "activar": 1000, "preregistro": 1000},
        # The API tests (Schemathesis, the hostile crawl) make thousands of calls with one
        # token; tests/api/test_api_security.py lowers the quota where it tests it.
        "api": {"quota_requests": 1_000_000},
    }
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values)
    return load_settings(overrides=base, environ={})


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


@contextmanager
def serving(app: Any, tls: tuple[str, str] | None = None) -> Iterator[Any]:
    """Serve ``app`` with a real HTTP server on 127.0.0.1 (its address in LIVE_URL); over
    HTTPS with ``tls`` = (certificate file, key file)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def live_app(make_app) -> Iterator[Any]:
    """The app on a committing database, served on loopback (no rate limits)."""
    with serving(make_app(rate_limit={"enabled": False})) as app:
        yield app


# ---------------------------------------------------------------------------------------------
# Clock


class Clock:
    """A frozen clock tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 4, 16, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    frozen = Clock()
    timeutil.set_clock(frozen)
    yield frozen
    timeutil.set_clock(None)


# ---------------------------------------------------------------------------------------------
# HTTP


_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class IsolatedClient:
    """Runs each request in an empty context, so it gets its own application context.

    Flask reuses an application context that is already pushed (the test's own, from the
    ``app`` fixture); ``g`` would then leak between requests as it never does in production.
    """

    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in ("get", "post", "put", "delete", "patch", "head", "open"):

            def call(*a: Any, **kw: Any) -> Any:
                response = attr(*a, **kw)
                if response.is_streamed:
                    # Read a streamed body in the request's own context, as a server does.
                    response.make_sequence()
                return response

            return lambda *a, **kw: contextvars.Context().run(call, *a, **kw)
        return attr


class Browser:
    """A test client that submits forms the way a browser would (with the CSRF token)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = IsolatedClient(client)

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def token(self, page: str = "/acceso") -> str:
        found = _TOKEN.search(self.client.get(page).get_data(as_text=True))
        assert found, f"no CSRF token on {page}"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, *, page: str | None = None,
             **kw: Any) -> Any:
        form = dict(data or {})
        if "csrf_token" not in form:  # not setdefault: that would fetch the page anyway
            form["csrf_token"] = self.token(page or "/acceso")
        return self.client.post(path, data=form, **kw)


@pytest.fixture
def client(app: Flask) -> Browser:
    return Browser(app.test_client())


# ---------------------------------------------------------------------------------------------
# Staff


@dataclasses.dataclass
class StaffAccount:
    username: str
    password: str
    seed: str
    id: int

    def code(self, at: datetime | None = None) -> str:
        return pyotp.TOTP(self.seed).at(at or timeutil.now())


def create_staff_account(username: str, *grants: staff.Grant,
                         enrolled: bool = True) -> StaffAccount:
    """A committed staff account with a known password and (optionally) an enrolled TOTP."""
    user, _ = staff.create_staff(username=username, full_name=f"PERSONA {username.upper()}",
                                 email=f"{username}@ssm.test", grants=grants,
                                 actor=TEST_ACTOR, password=STAFF_PASSWORD)
    user.must_change_password = False
    seed = pyotp.random_base32()
    if enrolled:
        user.totp_secret_sealed = sealer().seal(seed)
        user.totp_enrolled_at = timeutil.now()
    db.commit()
    return StaffAccount(username, STAFF_PASSWORD, seed, user.id)


def login(browser: Browser, account: StaffAccount, clock: Clock | None = None) -> Any:
    """Sign in through the pages with password and a fresh TOTP code."""
    response = browser.post("/acceso", {"username": account.username,
                                        "password": account.password})
    assert response.status_code == 302, response.get_data(as_text=True)
    if clock is not None:
        clock.advance(seconds=30)  # a new step, so the code is not a replay
    response = browser.post("/acceso/verificacion", {"code": account.code()},
                            page="/acceso/verificacion")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


_SCOPES = {
    Role.JEFE_UNIDAD: {"unit_clues": "MSSSA000120"},
    Role.RESPONSABLE_JURISDICCIONAL: {"jurisdiction_code": "I"},
    Role.ENLACE: {"jurisdiction_code": "I"},
}


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


VALID_FORM = {
    "wants_user_account": "on",
    "expediente_electronico": "si",
    "curp": "BEML920313HMCLNS09",
    "nombres": "Luis Ángel",
    "primer_apellido": "Bernal",
    "segundo_apellido": "Muñoz",
    "unit_clues": "MSSSA000120",
    "direccion_code": "DAM",
    "subdireccion_code": "SAPS",
    "departamento": "N/A",
    "telefono": "777 123 4567",
    "extension": "123",
    "contact_email": "luis.bernal@example.org",
    "staff_type_code": "medico",
    "accepts_personal_account": "on",
    "accepts_institutional_use": "on",
    "accepts_privacy_notice": "on",
}


def submit(browser: Browser, **changes: Any) -> Any:
    """POST the public form with VALID_FORM updated by ``changes`` (None removes a field)."""
    form = {k: v for k, v in {**VALID_FORM, **changes}.items() if v is not None}
    return browser.post("/solicitud", form, page="/solicitud")


SECRET_SHOWN = re.compile(r'class="secret">([^<]+)<')


def folio_and_code(response: Any) -> tuple[str, str]:
    """The folio and tracking code shown on the confirmation page."""
    folio, code = SECRET_SHOWN.findall(response.get_data(as_text=True))[:2]
    return folio, code


# ---------------------------------------------------------------------------------------------
# Directory: the real Samba AD DC that scripts/run-tests starts (scripts/ad-dc)


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
    """[directory] settings for this test: the test DC, new accounts in the test's OU."""
    return {**dc, "users_ou": test_ou}


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


def make_siempre_group(directory: Directory, directory_config: dict[str, Any]) -> tuple[str, str]:
    """A SIEMPRE access group in the test's OU: (sAMAccountName, DN)."""
    ou = directory.absolute(directory_config["users_ou"])
    accounts.ensure_ou(directory, ou)
    name = f"siempre-{uuid.uuid4().hex[:8]}"
    dn = f"CN={name},{ou}"
    directory.add(dn, ["top", "group"], {"sAMAccountName": name})
    return name, dn


@pytest.fixture
def siempre_app(make_app: Any, directory_config: dict[str, Any],
                directory: Directory) -> Iterator[tuple[Flask, str]]:
    """Like ``dir_app``, with a SIEMPRE access group in the test's OU: (app, group DN)."""
    name, dn = make_siempre_group(directory, directory_config)
    app = make_app(directory={**directory_config, "siempre_group": name})
    with app.app_context():
        yield app, dn
