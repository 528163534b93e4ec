"""Upgrade drill: a database of the previous release, with its data, goes to head through
`alta db upgrade` and keeps verifying and serving.

The previous release is main at 23ba0d7 (schema 0720_cambios): there are no tags and the
version was never bumped, so the release point is the last state of main before this
cycle's migrations (0730 onward, 07/12/2026). Its own code (a `git archive` of that commit)
builds the schema and fills it through its pages (tests/deploy/previous_release.py): requests
signed by their heads, an oficio with its acuse, accounts, the reply oficio, custody, an
activation code, and a signed checkpoint. Nothing here writes that schema by hand.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from provisioning import create_app, db
from provisioning.audit import services as audit_services
from provisioning.config import load_settings
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from tests.support.deploy import ROOT, alta, drill_config
from tests.support.staff import create_staff_account, login
from tests.support.web import Browser

RELEASE = "23ba0d7"
RELEASE_HEAD = "0720"
HERE = Path(__file__).resolve().parent


def _revision(url: str) -> str:
    engine = db.make_engine(url)
    with engine.connect() as connection:
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    return revision


@pytest.fixture(scope="module")
def upgraded(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The previous release's database, filled by its code, then `alta db upgrade`."""
    tmp = tmp_path_factory.mktemp("upgrade")
    old = tmp / "release"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", RELEASE, "provisioning",
                              "migrations", "templates", "tests/support"],
                             capture_output=True, check=True, timeout=60).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True, timeout=60)
    url = databases.empty()
    config = drill_config(tmp / "alta.toml", url)
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "PYTHONPATH": str(old)}
    filled = subprocess.run([sys.executable, str(HERE / "previous_release.py"), str(config)],
                            env=env, cwd=old, capture_output=True, text=True, timeout=120)
    assert filled.returncode == 0, filled.stderr
    made = json.loads(filled.stdout.strip().splitlines()[-1])
    before = _revision(url)
    upgrade = alta(config, "db", "upgrade")
    return {"url": url, "config": config, "made": made, "before": before, "upgrade": upgrade,
            "tmp": tmp}


def test_the_previous_release_schema_goes_to_head(upgraded) -> None:
    assert upgraded["before"] == RELEASE_HEAD
    assert upgraded["upgrade"].returncode == 0, upgraded["upgrade"].stderr
    assert "Esquema actualizado a head." in upgraded["upgrade"].stdout
    script = ScriptDirectory.from_config(db.alembic_config(upgraded["url"]))
    assert _revision(upgraded["url"]) == script.get_current_head()


def test_the_audit_chain_written_by_the_previous_release_still_verifies(upgraded) -> None:
    verified = alta(upgraded["config"], "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    found = re.search(r"Bitácora íntegra: (\d+) eventos y (\d+) puntos", verified.stdout)
    assert found, verified.stdout
    assert int(found.group(1)) > 20 and int(found.group(2)) >= upgraded["made"]["checkpoint"]


def test_todays_pages_show_the_previous_release_data(upgraded) -> None:
    settings = load_settings(upgraded["config"], environ={},
                             overrides={"security": {"step_up_window_seconds": 0}})
    app = create_app(settings)
    app.config["TESTING"] = True
    made = upgraded["made"]
    try:
        with app.app_context():
            liaison = create_staff_account("enlace.drill",
                                           staff.Grant(Role.ENLACE, jurisdiction_code="I"))
            browser = Browser(app.test_client())
            login(browser, liaison)
            for person in made["requests"]:
                page = browser.get(f"/solicitudes/{person['id']}")
                assert page.status_code == 200
                html = page.get_data(as_text=True)
                assert person["folio"] in html
                assert person["primer_apellido"].upper() in html.upper()
                public = Browser(app.test_client())
                tracked = public.post("/seguimiento", {"folio": person["folio"],
                                                       "code": person["code"]},
                                      page="/seguimiento")
                assert tracked.status_code == 200
                assert person["folio"] in tracked.get_data(as_text=True)
            oficio = browser.get(f"/oficios/{made['oficio']['id']}")
            assert oficio.status_code == 200
            assert made["oficio"]["number"] in oficio.get_data(as_text=True)
            # The reads just audited chain onto the old events.
            result = audit_services.verify(db.session().connection(), check_age=False)
            db.rollback()
            assert result.ok, result
    finally:
        app.extensions["alta.db"].engine.dispose()
