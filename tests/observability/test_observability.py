"""Liveness, readiness (each dependency failing for real), heartbeats, /metrics, JSON logs."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from provisioning import db
from provisioning.jobs import services as jobs
from provisioning.jobs.models import Job, WorkerHeartbeat
from provisioning.jobs.worker import Worker
from provisioning.observability.logs import JsonFormatter

TOKEN = "m" * 40


@jobs.handler("test.obs.ok")
def _ok(job: Job, payload: dict) -> None:
    return None


@jobs.handler("test.obs.bad")
def _bad(job: Job, payload: dict) -> None:
    raise jobs.GiveUp("Datos inválidos.")


class Greeter:
    """A loopback TCP server that greets like SMTP ("220") and hangs up: what readiness reads."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 prueba ESMTP\r\n")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def smtp() -> Iterator[Greeter]:
    server = Greeter()
    yield server
    server.close()


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


# -- exposition parser -------------------------------------------------------------------------

_SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|'
                     r'\\[\\"n])*",?)*)\})? (-?[0-9.e+-]+|\+Inf|NaN)')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse(body: str) -> dict[tuple[str, frozenset], float]:
    """Every line must be a valid HELP/TYPE comment or sample; returns {(name, labels): v}."""
    assert body.endswith("\n")
    samples: dict[tuple[str, frozenset], float] = {}
    typed: set[str] = set()
    for line in body.splitlines():
        if line.startswith("# HELP "):
            assert re.fullmatch(r"# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+", line), line
        elif line.startswith("# TYPE "):
            match = re.fullmatch(r"# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
                                 r"(counter|gauge|histogram|summary|untyped)", line)
            assert match, line
            typed.add(match[1])
        else:
            match = _SAMPLE.fullmatch(line)
            assert match, f"not an exposition line: {line!r}"
            name = match[1]
            assert name in typed or re.sub(r"_(bucket|sum|count)$", "", name) in typed, line
            labels = frozenset(_LABEL.findall(match[2] or ""))
            samples[(name, labels)] = float(match[3])
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


# -- liveness and readiness --------------------------------------------------------------------

def test_live_needs_nothing_and_healthz_stays_as_it_was(make_app, tmp_path) -> None:
    dead = make_app(database={"url": f"sqlite:///{tmp_path}/missing/nope.db"},
                    mail={"enabled": False})
    client = dead.test_client()
    assert client.get("/healthz/live").get_json() == {"status": "ok"}
    ready = client.get("/healthz/ready")
    assert ready.status_code == 503
    assert ready.get_json()["checks"] == {"database": "error", "worker": "error",
                                          "backlog": "error", "directory": "disabled",
                                          "mail": "disabled"}
    assert client.get("/healthz").status_code == 503  # the old probe: database only


def test_ready_with_every_dependency_up_then_down(make_app, dc, smtp, clock) -> None:
    good = make_app(directory=dc, mail={"host": "127.0.0.1", "port": smtp.port},
                    observability={"ready_cache_seconds": 60, "metrics_token": TOKEN})
    with good.app_context():
        jobs.beat("obs-host:1")
        db.commit()
    response = good.test_client().get("/healthz/ready")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"status": "ok", "checks": {
        "database": "ok", "worker": "ok", "backlog": "ok", "directory": "ok", "mail": "ok"}}
    body = response.get_data(as_text=True)
    assert "127.0.0.1" not in body and dc["url"] not in body and "DC=" not in body.upper()

    # The DC and SMTP results are cached: a probe storm costs one bind per interval.
    smtp.close()
    assert good.test_client().get("/healthz/ready").status_code == 200

    # A stale heartbeat (the clock moved past heartbeat_max_age_seconds) and an old job.
    with good.app_context():
        jobs.enqueue("test.obs.ok")
        db.commit()
    clock.advance(seconds=901)
    stale = good.test_client().get("/healthz/ready")
    assert stale.status_code == 503
    assert stale.get_json()["checks"] | {} == {
        "database": "ok", "worker": "error", "backlog": "error", "directory": "ok",
        "mail": "ok"}

    # A wrong DC port and an SMTP server that is not there.
    bad = make_app(directory={**dc, "url": f"ldaps://127.0.0.1:{closed_port()}"},
                   mail={"host": "127.0.0.1", "port": closed_port()},
                   observability={"ready_cache_seconds": 0, "check_timeout_seconds": 1})
    with bad.app_context():
        jobs.beat("obs-host:2")
        db.commit()
    down = bad.test_client().get("/healthz/ready")
    assert down.status_code == 503
    assert down.get_json() == {"status": "error", "checks": {
        "database": "ok", "worker": "ok", "backlog": "ok", "directory": "error",
        "mail": "error"}}


def test_worker_beats_once_per_interval_and_leaves_cleanly(app, clock) -> None:
    worker = Worker(worker_id="obs-host:7")
    worker.run(once=True)
    first = db.session().get(WorkerHeartbeat, "obs-host:7")
    assert first is not None and first.beat_at == clock.now
    clock.advance(seconds=30)
    jobs.beat("obs-host:7")
    db.commit()
    rows = db.session().scalars(select(WorkerHeartbeat)).all()
    assert [(r.worker_id, r.beat_at, r.started_at) for r in rows] == [
        ("obs-host:7", clock.now, clock.now - timedelta(seconds=30))]
    worker._leave()
    assert db.session().get(WorkerHeartbeat, "obs-host:7") is None
    # A worker killed without leaving is forgotten when another starts a day later.
    jobs.beat("obs-host:8")
    clock.advance(days=1, seconds=1)
    jobs.beat("obs-host:9")
    assert db.session().scalars(select(WorkerHeartbeat.worker_id)).all() == ["obs-host:9"]


# -- metrics -----------------------------------------------------------------------------------

def test_metrics_refused_without_the_token(client) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"},
                    {"Authorization": "Basic eDp5"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.is_json, headers
        assert "alta_jobs" not in response.get_data(as_text=True)


def test_metrics_exposition_follows_the_queue(make_app, clock) -> None:
    app = make_app(observability={"metrics_token": TOKEN}, mail={"enabled": False})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40}
                      ).status_code == 401

    def scrape() -> dict:
        response = client.get("/metrics", headers=auth)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(response.get_data(as_text=True))

    before = scrape()
    with app.app_context():
        jobs.enqueue("test.obs.ok")
        jobs.enqueue("test.obs.bad")
        jobs.beat("obs-host:3")
        db.commit()
    clock.advance(seconds=40)
    queued = scrape()
    assert value(queued, "alta_jobs", kind="test.obs.ok", state="queued") == \
        value(before, "alta_jobs", kind="test.obs.ok", state="queued") + 1
    assert value(queued, "alta_job_oldest_ready_seconds") >= 40
    assert value(queued, "alta_worker_heartbeat_age_seconds", worker="obs-host:3") == 40
    with app.app_context():
        jobs.run_pending()
        db.commit()
    done = scrape()
    assert value(done, "alta_jobs", kind="test.obs.ok", state="queued") == 0
    assert value(done, "alta_jobs", kind="test.obs.bad", state="failed") == 1
    assert value(done, "alta_job_errors", kind="test.obs.bad") == 1
    # Queued 40 s before it ran: in the 60 s bucket, not the 15 s one.
    assert value(done, "alta_job_latency_seconds_count", kind="test.obs.ok") == 1
    assert value(done, "alta_job_latency_seconds_bucket", kind="test.obs.ok", le="15") == 0
    assert value(done, "alta_job_latency_seconds_bucket", kind="test.obs.ok", le="60") == 1
    assert value(done, "alta_job_latency_seconds_bucket", kind="test.obs.ok", le="+Inf") == 1
    assert value(done, "alta_job_latency_seconds_sum", kind="test.obs.ok") == 40


def test_metrics_count_open_requests_by_state(app, client, clock) -> None:
    from provisioning.observability import services
    from tests.support.forms import submit

    submit(client)
    clock.advance(seconds=90)
    samples = parse(services.exposition(services.metrics()))
    states = {dict(labels)["state"]: v for (name, labels), v in samples.items()
              if name == "alta_requests_open"}
    assert sum(states.values()) >= 1
    ages = {dict(labels)["state"]: v for (name, labels), v in samples.items()
            if name == "alta_request_oldest_seconds"}
    assert set(ages) == set(states) and max(ages.values()) >= 90


# -- logs --------------------------------------------------------------------------------------

def test_json_log_lines_carry_the_request_id(app) -> None:
    formatter = JsonFormatter()
    with app.test_request_context("/"):
        g.request_id = "abcdef0123456789"
        record = logging.LogRecord("alta.test", logging.WARNING, __file__, 1,
                                   "job %s: %s", ("7", 'dijo "no"\nluego'), None)
        line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "alta.test"
    assert entry["message"] == 'job 7: dijo "no"\nluego'
    assert entry["request_id"] == "abcdef0123456789"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_request_id_from_the_proxy_or_made_up(client) -> None:
    given = client.get("/healthz/live", headers={"X-Request-ID": "0123456789abcdef"})
    assert given.headers["X-Request-ID"] == "0123456789abcdef"
    forged = client.get("/healthz/live",
                        headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])


@pytest.mark.parametrize("values, message", [
    ({"metrics_token": "corto"}, "metrics_token must be at least 32"),
    ({"log_format": "xml"}, "log_format"),
    ({"check_timeout_seconds": 0}, "check_timeout_seconds"),
    ({"heartbeat_max_age_seconds": 0}, "heartbeat_max_age_seconds"),
    ({"unknown": 1}, "unknown setting"),
])
def test_observability_settings_are_checked(values, message) -> None:
    from provisioning.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=message):
        load_settings(overrides={"observability": values}, environ={})


def test_metrics_token_comes_from_a_file(tmp_path) -> None:
    from provisioning.config import load_settings

    (tmp_path / "token").write_text(TOKEN + "\n", encoding="utf-8")
    settings = load_settings(overrides={"observability": {
        "metrics_token_file": str(tmp_path / "token")}}, environ={})
    assert settings.observability.metrics_token == TOKEN
