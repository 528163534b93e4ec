"""`alta demo` prepares data and really serves (checked as a user would: over HTTP)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
