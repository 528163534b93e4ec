"""The deployment kit (deploy/) boots: each systemd unit's own command, with the unit's own
environment, from a fresh virtualenv holding only what Alta declares (tests/support/deploy.py),
behind nginx running deploy/nginx/alta.conf with a certificate from a CA made here.

Not systemd itself (none on these machines): the ExecStart lines are run as systemd would,
with three test paths in place of the production ones (/opt/alta/.venv, /opt/alta,
/etc/alta/alta.toml) and free ports in place of 8000/80/443.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import create_engine, text

from provisioning import db
from tests.support.deploy import DEPLOY, ROOT, fresh_venv, install_paths, read_unit
from tests.support.factories import write_toml
from tests.support.tls import make_certificates
from tests.support.web import free_port

SYSTEMD = DEPLOY / "systemd"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CLIENT_ADDRESS = "127.0.0.3"  # loopback too, but not nginx's own address toward gunicorn


def _require_nginx() -> None:
    if not Path(NGINX).exists():
        message = "nginx is not installed (scripts/run-tests installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _wait_for(url: str, ca: Path, process: subprocess.Popen[bytes], log: Path,
              timeout: float = 30) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = requests.get(url, verify=str(ca), timeout=2)
            if response.status_code < 500:
                return response
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        assert process.poll() is None, f"{process.args} exited: {log.read_text()}"
        assert time.monotonic() < deadline, f"{url} did not answer: {log.read_text()}"
        time.sleep(0.1)


METRICS = "t" * 40


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


class FromAddress(HTTPAdapter):
    """Connect from a given local address (the "client" nginx sees)."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _nginx_conf(folder: Path, certs: Any, web_port: int, http_port: int,
                https_port: int) -> Path:
    """deploy/nginx/alta.conf with the test's ports, certificate and log path, inside a
    minimal nginx.conf (the Debian one includes sites-enabled/ the same way)."""
    site = (DEPLOY / "nginx" / "alta.conf").read_text(encoding="utf-8")
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{web_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/ssl/alta/alta.fullchain.pem": str(certs.cert),
        "/etc/ssl/alta/alta.key": str(certs.key),
        "/var/log/nginx/alta.access.log": str(folder / "access.log"),
    }
    for old, new in replacements.items():
        assert site.count(old) == 1, f"deploy/nginx/alta.conf: expected one {old!r}"
        site = site.replace(old, new)
    (folder / "alta.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(f"    {kind}_temp_path {folder}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
          f"error_log {folder}/error.log warn;\nevents {{ worker_connections 64; }}\n"
          f"http {{\n{temp}\n    access_log off;\n    include {folder}/alta.conf;\n}}\n",
        encoding="utf-8")
    return main


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, databases: Any) -> Iterator[dict[str, Any]]:
    """The kit installed and running: a fresh venv, the config, `alta db upgrade`, the web
    unit, two worker units and nginx. Yields what the tests need."""
    _require_nginx()
    tmp = tmp_path_factory.mktemp("deploy")
    venv = tmp / "venv"
    bin_dir = fresh_venv(venv)
    web_port, http_port, https_port = free_port(), free_port(), free_port()
    base = f"https://127.0.0.1:{https_port}"
    url = databases.copy()
    config = write_toml(tmp / "alta.toml", {
        "app": {"environment": "production", "secret_key": "k" * 40, "base_url": base,
                "instance_dir": str(tmp / "instance"), "trusted_proxies": 1},
        "database": {"url": url},
        "security": {"data_key": "d" * 40, "argon2_time_cost": 1,
                     "argon2_memory_cost_kib": 256, "argon2_parallelism": 1,
                     "code_argon2_memory_cost_kib": 256},
        "audit": {"checkpoint_key": "c" * 40},
        "mail": {"enabled": False},
        "observability": {"metrics_token_file": str(_write(tmp / "metrics_token", METRICS)),
                          "log_format": "json"},
    })
    paths = {"/opt/alta/.venv": str(venv), "/opt/alta": str(ROOT),
             "/etc/alta/alta.toml": str(config)}

    def unit_command(name: str) -> tuple[list[str], dict[str, str], Path]:
        unit = read_unit(SYSTEMD / name)
        env = {k: install_paths([v], paths)[0] for k, v in unit.environment().items()}
        env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **env}
        cwd = Path(install_paths([unit.value("Service", "WorkingDirectory")], paths)[0])
        return install_paths(unit.exec_start(), paths), env, cwd

    # The install steps of deploy/README.md: schema first (as the owner role).
    argv, env, cwd = unit_command("alta-checkpoint.service")
    upgrade = subprocess.run([str(bin_dir / "alta"), "db", "upgrade"], env=env, cwd=cwd,
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "Esquema actualizado a head." in upgrade.stdout

    processes: list[subprocess.Popen[bytes]] = []
    logs: dict[str, Path] = {}

    def start(label: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        logs[label] = tmp / f"{label}.log"
        with logs[label].open("wb") as out:
            processes.append(subprocess.Popen(argv, env=env, cwd=cwd, stdout=out,
                                              stderr=subprocess.STDOUT,
                                              start_new_session=True))

    argv, env, cwd = unit_command("alta-web.service")
    assert env["ALTA_BIND"] == "127.0.0.1:8000"
    # The test's port, and two gunicorn workers instead of 2 per core + 1.
    env |= {"ALTA_BIND": f"127.0.0.1:{web_port}", "ALTA_WEB_WORKERS": "2"}
    start("web", argv, env, cwd)
    argv, env, cwd = unit_command("alta-worker@.service")
    for instance in ("1", "2"):
        start(f"worker{instance}", [a.replace("%i", instance) for a in argv], env, cwd)
    certs = make_certificates(tmp)
    nginx_conf = _nginx_conf(tmp, certs, web_port, http_port, https_port)
    check = subprocess.run([NGINX, "-t", "-c", str(nginx_conf)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    start("nginx", [NGINX, "-c", str(nginx_conf)], {"PATH": os.environ["PATH"]}, tmp)
    try:
        _wait_for(base + "/healthz", certs.ca, processes[0], logs["web"])
        yield {"base": base, "ca": certs.ca, "http_port": http_port, "url": url,
               "unit_command": unit_command, "processes": processes, "logs": logs,
               "bin": bin_dir}
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_fresh_venv_holds_only_the_declared_dependencies(site) -> None:
    """The fresh install has no test tools: what the units run comes from alta[prod]."""
    python = site["bin"] / "python"
    probe = subprocess.run([str(python), "-c", "import gunicorn, psycopg, flask, ldap3\n"
                            "import importlib.util as u\n"
                            "print(u.find_spec('pytest'), u.find_spec('requests'))"],
                           capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["None", "None"]


def test_the_web_unit_answers_through_nginx_over_tls(site) -> None:
    base, ca = site["base"], site["ca"]
    health = requests.get(base + "/healthz", verify=str(ca), timeout=10)
    assert health.status_code == 200 and health.json()["database"] == "ok"
    page = requests.get(base + "/solicitud", verify=str(ca), timeout=10)
    assert page.status_code == 200 and "Solicitud" in page.text
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    # Plain HTTP is sent to HTTPS.
    plain = requests.get(f"http://127.0.0.1:{site['http_port']}/solicitud",
                         allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://127.0.0.1")
    # Probes: live, and ready once both workers have beaten (they beat on starting).
    live = requests.get(base + "/healthz/live", verify=str(ca), timeout=10)
    assert live.json() == {"status": "ok"}
    assert re.fullmatch(r"[0-9a-f]{32}", live.headers["X-Request-ID"])  # nginx's $request_id
    deadline = time.monotonic() + 20
    while (ready := requests.get(base + "/healthz/ready", verify=str(ca), timeout=10)
           ).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["worker"] == "ok"
    assert requests.get(base + "/metrics", verify=str(ca), timeout=10).status_code == 401
    metrics = requests.get(base + "/metrics", verify=str(ca), timeout=10,
                           headers={"Authorization": f"Bearer {METRICS}"})
    assert metrics.status_code == 200
    assert metrics.text.count("alta_worker_heartbeat_age_seconds{") == 2
    # [observability].log_format = "json": the worker writes one JSON object per line.
    worker_lines = [json.loads(line) for line in
                    site["logs"]["worker1"].read_text().splitlines() if line.startswith("{")]
    assert any(e["message"].startswith("worker ") and e["level"] == "INFO"
               for e in worker_lines), worker_lines
    # Only TLS 1.2+ (nginx) and a certificate the test's CA signed.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(base + "/healthz", timeout=10)


def test_alta_reads_the_client_address_and_scheme_nginx_forwards(site) -> None:
    """A failed sign-in from 127.0.0.3 with a forged X-Forwarded-For: the audit log has the
    address nginx saw, and the HTTPS Referer check passed (scheme and host forwarded)."""
    base, ca = site["base"], site["ca"]
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = str(ca)
    browser.mount("https://", FromAddress(CLIENT_ADDRESS))
    form = browser.get(base + "/acceso", timeout=10)
    token = _TOKEN.search(form.text).group(1)
    answer = browser.post(base + "/acceso", data={
        "username": "nadie.deploy", "password": "incorrecta-123", "csrf_token": token},
        headers={"Referer": base + "/acceso", "X-Forwarded-For": "203.0.113.66"},
        allow_redirects=False, timeout=10)
    # Refused as a wrong password (401), not by the HTTPS CSRF check (400).
    assert answer.status_code == 401, answer.text
    assert "protección CSRF" not in answer.text
    engine = create_engine(db.normalize_url(site["url"]))
    try:
        with engine.connect() as conn:
            ips = conn.execute(text(
                "SELECT ip FROM audit_events WHERE action = 'staff.login_failed' "
                "AND actor = 'desconocido'")).scalars().all()
    finally:
        engine.dispose()
    assert ips == [CLIENT_ADDRESS]


def test_the_timer_units_run_their_commands(site) -> None:
    expected = {
        "alta-checkpoint": "Punto de control",
        "alta-reminders": "recordatorios en la bandeja de salida",
        "alta-retention": "registros dispuestos",
    }
    for name, output in expected.items():
        timer = read_unit(SYSTEMD / f"{name}.timer")
        assert timer.value("Timer", "OnCalendar")
        assert timer.value("Timer", "Persistent") == "true"
        assert read_unit(SYSTEMD / f"{name}.service").value("Service", "Type") == "oneshot"
        argv, env, cwd = site["unit_command"](f"{name}.service")
        run = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0, f"{name}: {run.stderr}"
        assert output in run.stdout, f"{name}: {run.stdout}"


def test_both_workers_run_and_stop_cleanly_on_sigterm(site) -> None:
    workers = site["processes"][1:3]
    for process in workers:
        assert process.poll() is None, site["logs"]["worker1"].read_text()
        process.send_signal(signal.SIGTERM)  # systemd's KillSignal
    for process in workers:
        assert process.wait(timeout=20) == 0
    for label in ("worker1", "worker2"):
        assert "started; kinds:" in site["logs"][label].read_text()
