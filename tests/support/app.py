"""Building test apps: migrated databases (SQLite or PostgreSQL) and their settings."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from provisioning import audit, create_app, db
from provisioning.catalogs import services as catalogs
from provisioning.config import Settings, load_settings

PG_URL = os.environ.get("ALTA_TEST_DATABASE_URL")

# `alta demo` runs on its own SQLite file whatever the suite's database: the PostgreSQL pass
# would repeat these subprocess tests unchanged, so they run in the SQLite pass only.
DEMO_ONCE = pytest.mark.skipif(bool(PG_URL), reason="alta demo uses its own SQLite file: "
                               "covered by the SQLite pass")



TEST_ACTOR = audit.Actor("pytest", "prueba")


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

    def _new_url(self, name: str, *, empty: bool = False) -> str:
        if PG_URL:
            dbname = f"{self.prefix}_{name}"
            engine = self._admin_engine()
            with engine.connect() as conn:
                template = (f" TEMPLATE {self.prefix}_template"
                            if name != "template" and not empty else "")
                conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"{template}')
            engine.dispose()
            self.created.append(dbname)
            return make_url(db.normalize_url(PG_URL)).set(database=dbname).render_as_string(
                hide_password=False)
        path = self.workdir / f"{name}.db"
        if name != "template" and not empty:
            shutil.copy(self.workdir / "template.db", path)
        return f"sqlite:///{path}"

    def copy(self) -> str:
        """A new database with the template's schema and catalogs."""
        return self._new_url(uuid.uuid4().hex[:8])

    def empty(self) -> str:
        """A new database with nothing in it (not even the schema), dropped at the end."""
        return self._new_url(uuid.uuid4().hex[:8], empty=True)

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
        # Every step-up asks for its code, as the security tests expect; the step-up window
        # is tested where it is turned on (tests/staff/test_step_up_window.py).
        "security": {"argon2_time_cost": 1, "argon2_memory_cost_kib": 256,
                     "argon2_parallelism": 1, "code_argon2_memory_cost_kib": 256,
                     "session_cookie_secure": False, "step_up_window_seconds": 0},
        "rate_limit": {"solicitud": 1000, "seguimiento": 1000, "acceso": 1000,
                       "activar": 1000, "preregistro": 1000},
        # The API tests (Schemathesis, the hostile crawl) make thousands of calls with one
        # token; tests/api/test_api_security.py lowers the quota where it tests it.
        "api": {"quota_requests": 1_000_000},
    }
    for section, values in overrides.items():
        base.setdefault(section, {}).update(values)
    return load_settings(overrides=base, environ={})
