"""Fault injection on bajas against the real DC: the DC stopped while the bajas run, and the
worker process killed (SIGKILL) midway. After recovery every account is disabled, out of
Alta's groups and in the bajas OU, each baja is recorded as executed exactly once, and the
audit chain verifies."""

from __future__ import annotations

import signal
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from provisioning import db, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.audit.models import AuditEvent
from provisioning.directory import accounts, connection
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job
from provisioning.lifecycle import services as lifecycle
from provisioning.lifecycle.models import Baja
from tests.support.audit import run_verify
from tests.support.faults import start_worker, wait_until
from tests.support.handoff_flow import Scene, ad_account, values

PEOPLE = [("Adriana", "Acosta", "Luna"), ("Bruno", "Barrera", "Mejía"),
          ("Carmen", "Castillo", "Nava"), ("Diego", "Durán", "Ochoa"),
          ("Elena", "Escobar", "Pineda"), ("Fabián", "Figueroa", "Quiroz"),
          ("Gloria", "Galindo", "Rangel"), ("Héctor", "Herrera", "Solís"),
          ("Irene", "Ibarra", "Trejo"), ("Jorge", "Juárez", "Urbina"),
          ("Karla", "Kuri", "Vega"), ("Luis", "Lara", "Zamora")]


@pytest.fixture
def signed_bajas(siempre_app, clock) -> dict[str, Any]:
    """Twelve activated accounts in the SIEMPRE group, each with a baja the unit head signed
    for today (its job is due)."""
    app, _ = siempre_app
    scene = Scene(app, clock).cast()
    applicants = [scene.applicant(*name, ece=False) for name in PEOPLE]
    ids = [a.request_id for a in applicants]
    scene.create_accounts(scene.received_oficio(ids))
    directory = connection.current()
    for request_id in ids:
        guid = ad_account(request_id).guid
        accounts.set_password(directory, guid, "Cuernavaca-2026-Morelos!")
        accounts.grant_siempre_access(directory, guid)
    for request_id in ids:
        pid = values(lambda r=request_id: db.session().get(AccountRequest, r).person_id)
        response = scene.post("jefe.centro", f"/personas/{pid}/baja",
                              {"motivo": "termino_contrato",
                               "fecha_efectiva": timeutil.format_date(timeutil.local_today())},
                              step_up=True)
        assert response.status_code == 302, response.get_data(as_text=True)
    return {"app": app, "scene": scene, "ids": ids}


def executed() -> int:
    return values(lambda: db.session().scalar(
        select(func.count(Baja.id)).where(Baja.status == "ejecutada")))


def assert_all_retired_once(app: Any, ids: list[int]) -> None:
    db.session().expire_all()
    for request_id in ids:
        account = ad_account(request_id)
        assert not account.enabled, account.sam_account_name
        assert account.groups == (), account.sam_account_name
        assert "OU=Bajas" in account.dn
    bajas = values(lambda: list(db.session().scalars(select(Baja))))
    assert len(bajas) == len(ids) and {b.status for b in bajas} == {"ejecutada"}
    events = values(lambda: Counter(db.session().scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "baja.executed"))))
    assert sorted(events.values()) == [1] * len(ids)
    disabled = values(lambda: Counter(db.session().scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "directory.account_disabled"))))
    assert disabled == events
    verified = run_verify(app)
    assert verified.exit_code == 0, verified.output


def test_dc_stopped_while_bajas_run_then_restarted(signed_bajas, dc_control, clock) -> None:
    ids = signed_bajas["ids"]
    while executed() < 4:  # the first bajas run (mail jobs of the chain come first)
        assert jobs.run_pending(limit=1) == 1
    done_before = executed()
    assert 0 < done_before < len(ids)
    dc_control("stop")
    jobs.run_pending()
    assert executed() == done_before  # nothing recorded that the DC did not do
    waiting = values(lambda: list(db.session().scalars(select(Job).where(
        Job.kind == lifecycle.KIND, Job.status == "queued"))))
    assert waiting and all(j.attempts >= 1 for j in waiting)
    assert all("controlador de dominio" in (j.last_error or "") for j in waiting)
    dc_control("start")

    def step() -> None:  # retries wait (backoff): move the clock on, run what is due
        clock.advance(minutes=11)
        jobs.run_pending()
        time.sleep(2)  # one attempt per 2 s: fewer than the job's 25 within the timeout

    # The DC just restarted may drop the first connections for a moment: wait in real time.
    wait_until(lambda: executed() == len(ids), timeout=45, step=step,
               what="every baja after the DC came back")
    connection.current().close()
    assert_all_retired_once(signed_bajas["app"], ids)


def test_worker_killed_midway_then_restarted(signed_bajas, directory_config, tmp_path) -> None:
    ids = signed_bajas["ids"]
    app = signed_bajas["app"]
    config = {**directory_config,
              "siempre_group": app.extensions["alta.settings"].directory.siempre_group}
    process = start_worker(app, config, tmp_path)
    try:
        wait_until(lambda: executed() >= 3 or process.poll() is not None, timeout=60,
                   what="the first bajas")
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    assert executed() < len(ids)
    last = start_worker(app, config, tmp_path)
    try:
        wait_until(lambda: executed() == len(ids), timeout=120,
                   what="the restarted worker to finish the bajas")
    finally:
        last.send_signal(signal.SIGTERM)
        last.wait(timeout=30)
    assert last.returncode == 0, (tmp_path / "worker.log").read_text()
    assert_all_retired_once(signed_bajas["app"], ids)
