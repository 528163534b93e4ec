"""`alta demo` prepares data and really serves (checked as a user would: over HTTP)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.app import DEMO_ONCE
from tests.support.web import free_port


@DEMO_ONCE
def test_demo_serves_and_prints_one_account_per_role(tmp_path: Path) -> None:
    config = tmp_path / "alta.toml"
    config.write_text(
        f'[app]\ninstance_dir = "{tmp_path}/instance"\n'
        "[security]\nargon2_time_cost = 1\nargon2_memory_cost_kib = 256\nargon2_parallelism = 1\n",
        encoding="utf-8")
    port = free_port()
    env = {**os.environ, "ALTA_CONFIG": str(config), "PORT": str(port)}
    env.pop("ALTA_DATABASE_URL", None)
    alta = Path(sys.executable).with_name("alta")
    proc = subprocess.Popen([str(alta), "demo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    status = r.status
            except OSError:
                time.sleep(0.3)
        assert status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/solicitud", timeout=5) as r:
            assert "FO-DPE-STI-DI-04" in r.read().decode()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    for username in ("admin", "jefe.cuernavaca", "responsable.js1", "enlace.js1",
                     "informatica", "jefe.informatica", "auditor"):
        assert f"  {username} " in output
    assert "TOTP" in output


# The demo's bookkeeping of the throwaway DC, against a stand-in for scripts/ad-dc that logs
# its commands (needs no root; tests/directory/test_demo.py runs the real one).

_FAKE_AD_DC = """#!/bin/sh
echo "$1" >> "$FAKE_LOG"
case $1 in
  status) exit "$FAKE_STATUS" ;;
  start) echo "$FAKE_START_OUT"; exit "$FAKE_START_RC" ;;
  env) echo "$FAKE_ENV" ;;
esac
"""


def fake_dc(tmp_path: Path, monkeypatch, *, status: int, start_out: str = "ad-dc: started",
            start_rc: int = 0) -> tuple[Any, Path]:
    from provisioning import demo

    script = tmp_path / "ad-dc"
    script.write_text(_FAKE_AD_DC, encoding="utf-8")
    script.chmod(0o755)
    log = tmp_path / "calls"
    log.unlink(missing_ok=True)
    for name, value in {"FAKE_LOG": log, "FAKE_STATUS": status, "FAKE_START_OUT": start_out,
                        "FAKE_START_RC": start_rc, "FAKE_ENV": tmp_path / "d.toml"}.items():
        monkeypatch.setenv(name, str(value))
    return demo.ThrowawayDC(script), log


def test_a_dc_the_demo_started_is_stopped_even_after_an_interrupted_start(
        tmp_path, monkeypatch) -> None:
    dc, log = fake_dc(tmp_path, monkeypatch, status=3)
    assert dc.start() == tmp_path / "d.toml"
    dc.stop()
    dc.stop()  # once only
    assert log.read_text().split() == ["status", "start", "env", "stop"]
    # Ctrl+C while ad-dc start runs: samba may be up already, so it is stopped too.
    dc, log = fake_dc(tmp_path, monkeypatch, status=3)
    original = dc._run

    def interrupted(command: str, **kw: Any) -> Any:
        if command == "start":
            raise KeyboardInterrupt
        return original(command, **kw)

    dc._run = interrupted
    try:
        dc.start()
    except KeyboardInterrupt:
        dc.stop()
    assert log.read_text().split() == ["status", "stop"]


def test_a_dc_somebody_else_started_is_left_running(tmp_path, monkeypatch) -> None:
    for status, start_out, start_rc in [
            (0, "ad-dc: already running (pid 7)", 0),  # running from the same folder
            (3, "ad-dc: already running (pid 7)", 0),  # started by someone in between
            (3, "", 1)]:  # another DC on the ports: ad-dc refuses, launches nothing
        dc, log = fake_dc(tmp_path, monkeypatch, status=status, start_out=start_out,
                          start_rc=start_rc)
        dc.start()
        dc.stop()
        assert "stop" not in log.read_text().split(), (status, start_out)
