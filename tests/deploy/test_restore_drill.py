"""Restore drill: a database filled through the app (a full chain up to a delivered account)
is backed up and restored as deploy/README.md says, and the copy verifies its audit chain
with `alta audit verify` and serves the same pages.

PostgreSQL: `pg_dump -Fc` and `pg_restore` into a new database. SQLite: the online backup
(the API behind `sqlite3 alta.db ".backup copia.db"`), so both passes drill a real copy.
"""

from __future__ import annotations

import glob
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from provisioning import create_app, db
from provisioning.audit.services import checkpoint_now
from tests.support.app import _settings
from tests.support.deploy import alta, drill_config
from tests.support.handoff_flow import HOSPITAL, Scene
from tests.support.web import Browser

_VOLATILE = re.compile(r'(name="csrf_token" value="|nonce=")[^"]*"')


def _pg_binary(name: str) -> str:
    """pg_dump / pg_restore on PATH, else the newest Debian cluster's."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    assert found, f"{name} is not installed (postgresql-client)"
    return found


def _libpq(url: str) -> str:
    return make_url(db.normalize_url(url)).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _backup_and_restore(url: str, copy: str, folder: Path) -> None:
    backend = make_url(db.normalize_url(url)).get_backend_name()
    if backend == "sqlite":
        source = sqlite3.connect(make_url(url).database)
        target = sqlite3.connect(make_url(copy).database)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return
    dump = folder / "alta.dump"
    subprocess.run([_pg_binary("pg_dump"), "-Fc", "-f", str(dump), "-d", _libpq(url)],
                   check=True, capture_output=True, timeout=60)
    restored = subprocess.run([_pg_binary("pg_restore"), "--no-owner", "-d", _libpq(copy),
                               str(dump)], capture_output=True, text=True, timeout=60)
    assert restored.returncode == 0, restored.stderr


def _pages(app: Any, scene: Scene, ids: dict[str, Any]) -> dict[str, str]:
    """The same pages, read as the same people, with per-response tokens blanked."""
    _, account = scene.people["enlace"]
    from tests.support.staff import login

    with app.app_context():
        staff = Browser(app.test_client())
        login(staff, account, scene.clock)
        pages = {path: staff.get(path) for path in (
            f"/solicitudes/{ids['request']}", f"/oficios/{ids['oficio']}",
            f"/oficios/{ids['reply']}")}
        pages["/seguimiento"] = Browser(app.test_client()).post(
            "/seguimiento", {"folio": ids["folio"], "code": ids["code"]}, page="/seguimiento")
        db.rollback()
    for path, response in pages.items():
        assert response.status_code == 200, (path, response.get_data(as_text=True))
    return {path: _VOLATILE.sub(r'\1"', r.get_data(as_text=True)) for path, r in pages.items()}


def test_a_backup_restores_verifies_and_serves_the_same_pages(make_app, databases, clock,
                                                             tmp_path) -> None:
    app = make_app(rate_limit={"enabled": False})
    with app.app_context():
        scene = Scene(app, clock).cast()
        centro = scene.applicant("Rosa María", "Gómez", "Íñiguez", signed=True)
        hospital = scene.applicant("Ernesto", "Salgado", None, unit=HOSPITAL, signed=True)
        ids = [centro.request_id, hospital.request_id]
        oficio_id = scene.received_oficio(ids)
        scene.record_accounts(ids)
        reply_id = scene.reply(oficio_id)
        scene.acknowledge_reply(reply_id)
        assert scene.release(ids).status_code == 302
        assert scene.receive("jefe.hospital")
        scene.deliver("jefe.hospital", hospital.request_id)
        # What alta-checkpoint.timer does every hour (the test's clock is frozen in March:
        # without it `verify` rightly reports events older than 24 h with no checkpoint).
        assert checkpoint_now("periodic") is not None
        db.commit()
    source = app.extensions["alta.settings"].database.url
    copy = databases.empty()
    _backup_and_restore(source, copy, tmp_path)

    verified = alta(drill_config(tmp_path / "alta.toml", copy), "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Bitácora íntegra" in verified.stdout

    restored = create_app(_settings(copy, tmp_path))
    restored.config["TESTING"] = True
    try:
        wanted = {"request": hospital.request_id, "oficio": oficio_id, "reply": reply_id,
                  "folio": hospital.folio, "code": hospital.tracking_code}
        before = _pages(app, scene, wanted)
        after = _pages(restored, scene, wanted)
    finally:
        restored.extensions["alta.db"].engine.dispose()
    assert hospital.folio in after["/seguimiento"] and "SALGADO" in after[
        f"/solicitudes/{hospital.request_id}"].upper()
    for path in before:
        assert after[path] == before[path], path
