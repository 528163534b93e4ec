"""`alta demo` uses a real directory or none: never a fake one. The throwaway DC it starts
it stops again; one somebody else started it leaves running."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from provisioning import demo
from provisioning.config import DirectorySettings
from tests.support.app import DEMO_ONCE
from tests.support.dc import DIRECTORY_TOML, _no_directory
from tests.support.web import free_port

ALTA = Path(sys.executable).with_name("alta")
ROOT = Path(__file__).resolve().parents[2]
CHEAP = ("[security]\nargon2_time_cost = 1\nargon2_memory_cost_kib = 256\n"
         "argon2_parallelism = 1\n")



def test_without_root_the_demo_has_no_directory(app, monkeypatch, capsys) -> None:
    settings = app.extensions["alta.settings"]
    monkeypatch.setattr(demo.os, "geteuid", lambda: 1000)
    chosen = demo.demo_directory(settings, demo.ThrowawayDC())
    assert not chosen.active
    assert "Sin directorio" in capsys.readouterr().out


def test_a_configured_directory_is_kept(app) -> None:
    configured = DirectorySettings(url="ldaps://dc.example:636", ca_file="/x", bind_dn="CN=x",
                                   bind_password="p", base_dn="DC=x", upn_suffix="x.test")
    settings = dataclasses.replace(app.extensions["alta.settings"], directory=configured)
    assert demo.demo_directory(settings, demo.ThrowawayDC()) is configured


def shared_dc_folder(dc: dict[str, Any]) -> Path:
    """The folder of the DC the suite uses (scripts/ad-dc writes directory.toml there)."""
    folder = Path(DIRECTORY_TOML).resolve().parent
    if not (folder / ".alta-dc").exists() or os.geteuid() != 0:
        _no_directory(f"{folder} is not a scripts/ad-dc folder, or this is not root")
    return folder


def dc_status(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(demo.AD_DC), "status"], capture_output=True, text=True,
                          env={**os.environ, "ALTA_DC_DIR": str(folder)}, check=False)


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "alta.toml"
    config.write_text(f'[app]\ninstance_dir = "{tmp_path}/instance"\n' + CHEAP,
                      encoding="utf-8")
    return config


def read_until(stream: Any, marker: str, seconds: float) -> str:
    """Lines of ``stream`` up to and including the one holding ``marker``."""
    seen = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} within {seconds} s:\n{''.join(seen)}")


@DEMO_ONCE
def test_the_demo_leaves_a_dc_it_did_not_start_running(dc, tmp_path: Path) -> None:
    folder = shared_dc_folder(dc)
    before = dc_status(folder)
    assert before.returncode == 0, before.stdout
    env = {**os.environ, "ALTA_CONFIG": str(write_config(tmp_path)), "ALTA_DC_DIR": str(folder)}
    env.pop("ALTA_DATABASE_URL", None)
    proc = subprocess.Popen([str(ALTA), "demo", "--port", str(free_port())], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        output = read_until(proc.stdout, "Alta en http", 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
    output += rest
    assert "ya estaba en marcha" in output and "Directorio de prueba: ldaps://" in output
    assert "Deteniendo" not in output
    after = dc_status(folder)
    assert after.returncode == 0 and after.stdout == before.stdout  # same samba, same pid


# Runs inside its own network, mount and PID namespaces (see the test below).
_NAMESPACE_SCRIPT = r"""
set -um  # job control: the job is its own process group, which a Ctrl+C signals whole
ip link set lo up
mount --bind "$DC_COPY" "$ALTA_DC_DIR"
make --no-print-directory -C "$ROOT" -o "$BIN/alta" BIN="$BIN" PORT=5000 demo </dev/null &
job=$!
read -r _
"$AD_DC" status >/dev/null
echo "dc-before=$?"
if [ "$SIGNAL" = INT ]; then kill -INT -- "-$job"; else kill -TERM "$job"; fi
wait "$job"
for _ in $(seq 150); do
  "$AD_DC" status >/dev/null
  dc=$?
  [ "$dc" = 3 ] && break
  sleep 0.1
done
echo "dc-status=$dc"
"$AD_DC" stop >/dev/null 2>&1
"""


def _as_from_a_terminal() -> None:
    """Ctrl+C reaches a job started from a terminal. A suite itself started in the
    background (``make test &``) inherits SIGINT ignored, and a shell cannot undo that for
    its children: give the namespace the default disposition a terminal's job has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@DEMO_ONCE
@pytest.mark.parametrize("signame", ["TERM", "INT"])
def test_stopping_make_demo_stops_the_dc_it_started(dc, tmp_path: Path, signame: str) -> None:
    """`make demo` starts the throwaway DC; SIGTERM to make, or Ctrl+C (SIGINT to the
    terminal's whole job), stops it again.

    Not the suite's DC: a copy of its pristine domain, bind-mounted at the same path (its
    smb.conf holds absolute paths) in a mount namespace, serving in a network namespace of
    its own (the ports are fixed) and seeing only its own processes (PID namespace), so
    nothing here can reach the shared DC. Restoring the copy takes well under a second,
    provisioning a new domain ~8 s.
    """
    folder = shared_dc_folder(dc)
    for tool in ("unshare", "ip", "make", "setpriv"):
        if shutil.which(tool) is None:
            _no_directory(f"{tool} is needed (util-linux, iproute2, make)")
    copy = tmp_path / "dc"
    copy.mkdir()
    subprocess.run(["cp", "-a", "--", str(folder / ".pristine"), str(copy / ".pristine")],
                   check=True)
    subprocess.run(["cp", "-a", "--", f"{copy / '.pristine'}/.", f"{copy}/"], check=True)
    (copy / ".alta-dc").touch()
    for stale in (copy / "run").glob("*.pid"):
        stale.unlink()
    env = {**os.environ, "ALTA_CONFIG": str(write_config(tmp_path)), "ALTA_DC_DIR": str(folder),
           "DC_COPY": str(copy), "ROOT": str(ROOT), "BIN": str(ALTA.parent),
           "AD_DC": str(demo.AD_DC), "SIGNAL": signame}
    env.pop("ALTA_DATABASE_URL", None)
    proc = subprocess.Popen(
        ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child",
         "bash", "-c", _NAMESPACE_SCRIPT],
        env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, preexec_fn=_as_from_a_terminal)
    try:
        output = read_until(proc.stdout, "Alta en http", 60)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()
    output += rest
    assert "Directorio de prueba: ldaps://" in output, output
    assert "dc-before=0" in output, output  # the demo started it in its namespace
    assert "ya estaba en marcha" not in output
    assert "dc-status=3" in output, output  # not running any more
    assert "Deteniendo el controlador de dominio de prueba" in output, output
