"""Fault injection helpers: waiting for a condition, and `alta worker` as its own process
(to be killed with SIGKILL)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from tests.support.factories import write_toml

ROOT = Path(__file__).resolve().parents[2]
SENDER = "Alta SSM <alta@ssm.test>"


POLL_SECONDS = 0.2


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str,
               step: Callable[[], None] = lambda: None) -> None:
    """Poll ``condition`` (running ``step`` between polls) until it holds, or fail.

    Five polls a second: each poll is queries on the database the worker under test uses,
    and polling every 50 ms took a fifth of the worker's pace on PostgreSQL."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        step()
        time.sleep(POLL_SECONDS)


def start_worker(app: Flask, directory_config: dict[str, Any], folder: Path, *,
                 mail_port: int | None = None) -> subprocess.Popen[bytes]:
    """`alta worker` as its own process, on this app's database and the test DC (and the
    test's SMTP receiver when ``mail_port`` is given); its output in folder/worker.log."""
    settings = app.extensions["alta.settings"]
    sections: dict[str, dict[str, Any]] = {
        "app": {"secret_key": settings.app.secret_key, "instance_dir": settings.app.instance_dir},
        "database": {"url": settings.database.url},
        "directory": directory_config,
    }
    if mail_port is not None:
        sections["mail"] = {"port": mail_port, "sender": SENDER}
    config = write_toml(folder / "worker.toml", sections)
    env = {**os.environ, "ALTA_CONFIG": str(config),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("ALTA_DATABASE_URL", None)
    with (folder / "worker.log").open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", "from provisioning.cli import main; main()", "worker",
             "--poll", "0.02", "--lease", "2"], env=env, stdout=out, stderr=out)
