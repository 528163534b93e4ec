"""`alta demo`: a ready-to-try instance with demo catalogs and one account per role."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
import threading
import tomllib
from pathlib import Path
from typing import Any

import click
import pyotp
from flask import Flask, current_app
from werkzeug.serving import run_simple

from provisioning import audit, db
from provisioning.catalogs import services as catalogs
from provisioning.config import DirectorySettings, Settings, load_settings
from provisioning.crypto import hasher, sealer
from provisioning.directory import accounts
from provisioning.directory.connection import Directory
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.timeutil import now

DEMO_SIEMPRE_GROUP = "SIEMPRE-Acceso"
DEMO_STAFF = (
    ("admin", "ADMINISTRADORA DEMO", "Administración de Alta", [staff.Grant(Role.ADMIN)]),
    ("jefe.cuernavaca", "ROSA MARÍA PEÑA ÁVILA", "Directora del Centro de Salud",
     [staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120")]),
    ("jefe.hospital", "JOSÉ LUIS NÚÑEZ ORTIZ", "Director del Hospital General de Cuernavaca",
     [staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA001270")]),
    ("responsable.js1", "MARTHA ELENA SALGADO RÍOS", "Responsable jurisdiccional de ECE",
     [staff.Grant(Role.RESPONSABLE_JURISDICCIONAL, jurisdiction_code="I")]),
    ("enlace.js1", "CARLOS IBÁÑEZ MUÑOZ", "Enlace jurisdiccional, Jurisdicción Sanitaria I",
     [staff.Grant(Role.ENLACE, jurisdiction_code="I")]),
    ("informatica", "LUCÍA TORRES ESPINOSA", "Analista del Departamento de Informática",
     [staff.Grant(Role.INFORMATICA)]),
    ("jefe.informatica", "ALEJANDRO GÜEMES DÍAZ", "Jefe del Departamento de Informática",
     [staff.Grant(Role.JEFE_INFORMATICA), staff.Grant(Role.INFORMATICA)]),
    ("auditor", "PATRICIA ORDÓÑEZ LARA", "Auditoría del SGSI", [staff.Grant(Role.AUDITOR)]),
)


def prepare() -> list[tuple[str, str, str, str]]:
    """Schema, catalogs and demo accounts; returns (user, password, TOTP seed, roles) rows.

    Each run gives the demo accounts fresh passwords and seeds, so nothing printed by an
    earlier run keeps working.
    """
    settings: Settings = current_app.extensions["alta.settings"]
    db.upgrade(settings.database.url)
    actor = audit.Actor("demo", "sistema")
    catalogs.load_directory(actor=actor)
    db.commit()
    rows = []
    for username, name, position, grants in DEMO_STAFF:
        password = "Demo-" + secrets.token_urlsafe(9)
        seed = pyotp.random_base32()
        user = staff.by_username(username)
        if user is None:
            user, _ = staff.create_staff(username=username, full_name=name,
                                         email=f"{username}@demo.ssm.test", position=position,
                                         grants=grants, actor=actor, password=password)
        user.password_hash = hasher().hash(password)
        user.must_change_password = False
        user.totp_secret_sealed = sealer().seal(seed)
        user.totp_pending_sealed = None
        user.totp_last_step = None
        user.locked_until, user.failed_logins = None, 0
        user.active = True
        user.session_version += 1
        user.totp_enrolled_at = now()
        audit.record("staff.demo_reset", actor=actor, object_type="staff", object_id=username,
                     summary=f"Demostración: contraseña y autenticador nuevos para {username}")
        db.commit()
        rows.append((username, password, seed, ", ".join(g.role.label for g in grants)))
    return rows


def run(*, port: int, serve: bool) -> None:
    """Prepare the demo and serve it on http://127.0.0.1:PORT.

    A throwaway DC this run starts is stopped again when the server ends (Ctrl+C, SIGTERM,
    SIGHUP or an error); one that was already running is left alone.
    """
    rows = prepare()
    click.echo("\nCuentas de demostración (contraseña y semilla TOTP nuevas en cada arranque):")
    for username, password, seed, roles in rows:
        click.echo(f"  {username:<18} {password:<18} TOTP {seed}  ({roles})")
    click.echo("\nCódigo TOTP actual de una semilla:\n"
               "  .venv/bin/python -c \"import pyotp,sys; print(pyotp.TOTP(sys.argv[1]).now())\" "
               "SEMILLA")
    if not serve:
        return
    from provisioning import create_app

    settings: Settings = current_app.extensions["alta.settings"]
    dc = ThrowawayDC()
    exit_on_signals()
    try:
        # Plain http on loopback: the browser would drop a Secure cookie.
        local = dataclasses.replace(
            settings,
            security=dataclasses.replace(settings.security, session_cookie_secure=False),
            app=dataclasses.replace(settings.app, base_url=f"http://127.0.0.1:{port}"),
            directory=demo_directory(settings, dc),
        )
        app = create_app(local)
        if local.directory.active:
            start_worker(app)
        click.echo(f"\nAlta en http://127.0.0.1:{port}  (Ctrl+C para detener)\n")
        # Flask ignores app.run() inside a CLI command, so serve with Werkzeug directly.
        run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
    finally:
        dc.stop()


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP end the demo like Ctrl+C does: through ``finally`` blocks (their
    default action would kill the process and leave a DC it started running)."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


AD_DC = Path(__file__).resolve().parent.parent / "scripts" / "ad-dc"
DC_NOT_RUNNING = 3  # scripts/ad-dc status: no DC runs from its folder


class ThrowawayDC:
    """scripts/ad-dc for one demo run, stopped at the end only if this run started it.

    A DC already running from the same folder (``make test``'s, another demo's) belongs to
    whoever started it: the demo uses it and leaves it running.
    """

    def __init__(self, script: Path = AD_DC) -> None:
        self.script = script
        self.ours = False

    def _run(self, command: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.script), command], capture_output=True,  # noqa: S603
                              text=True, check=False, **kw)

    def start(self) -> Path | None:
        """Start the DC (or find it running); the path of its directory.toml, or None."""
        # Ours from here on if nothing ran: a Ctrl+C while it starts still stops it.
        self.ours = self._run("status").returncode == DC_NOT_RUNNING
        started = self._run("start")
        if started.returncode != 0:
            # ad-dc stops a samba it launched that never became ready.
            self.ours = False
            click.echo(f"No arrancó el controlador de dominio de prueba:\n"
                       f"{started.stderr.strip()}\nLa demostración sigue sin directorio.")
            return None
        if "already running" in started.stdout:
            self.ours = False  # someone else started it between status and start
        if not self.ours:
            click.echo("El controlador de dominio de prueba ya estaba en marcha; la "
                       "demostración lo usa y lo deja en marcha al terminar.")
        return Path(self._run("env").stdout.strip())

    def stop(self) -> None:
        """Stop the DC if this run started it (a second Ctrl+C cannot interrupt this)."""
        if not self.ours:
            return
        self.ours = False
        handlers = {s: signal.signal(s, signal.SIG_IGN)
                    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            click.echo("Deteniendo el controlador de dominio de prueba que arrancó la "
                       "demostración…")
            # Its own session: the terminal's Ctrl+C does not reach it either.
            stopped = self._run("stop", start_new_session=True)
            if stopped.returncode != 0:
                click.echo(f"No se pudo detener: {stopped.stderr.strip()}\n"
                           f"Deténgalo con: {self.script} stop")
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)


def demo_directory(settings: Settings, dc: ThrowawayDC) -> DirectorySettings:
    """The configured directory; else the throwaway DC when this machine can run it.

    The throwaway DC (scripts/ad-dc) needs root and apt. Without them the demo has no
    directory, and the IT pages say so: never a fake one.
    """
    if settings.directory.active:
        return settings.directory
    if os.geteuid() != 0 or shutil.which("apt-get") is None or not dc.script.exists():
        click.echo("\nSin directorio: el controlador de dominio de prueba (scripts/ad-dc) "
                   "necesita root y apt. Las páginas de Informática dirán que no hay "
                   "directorio configurado.")
        return settings.directory
    click.echo("\nArrancando el controlador de dominio de prueba (scripts/ad-dc start)…")
    path = dc.start()
    if path is None:
        return settings.directory
    table = tomllib.loads(path.read_text(encoding="utf-8"))["directory"]
    click.echo(f"Directorio de prueba: {table['url']} (dominio {table['base_dn']}); las "
               "cuentas de la demostración van a OU=SIEMPRE.")
    directory = with_siempre_group(load_settings(
        overrides={"app": {"instance_dir": settings.app.instance_dir}, "directory": table},
        environ={}).directory)
    click.echo(f"Grupo de acceso a SIEMPRE: {directory.siempre_group}.")
    return directory


def with_siempre_group(settings: DirectorySettings) -> DirectorySettings:
    """The throwaway DC's settings with a SIEMPRE access group (``DEMO_SIEMPRE_GROUP``,
    created under the users' OU if the DC lacks it), so the demo's chain reaches «acceso
    activo». A directory that names its own group is left as it is."""
    if settings.siempre_group or not settings.active:
        return settings
    directory = Directory(settings)
    try:
        accounts.ensure_group(directory, DEMO_SIEMPRE_GROUP, f"OU=Grupos,{settings.users_ou}")
    finally:
        directory.close()
    return dataclasses.replace(settings, siempre_group=DEMO_SIEMPRE_GROUP)


def start_worker(app: Flask) -> None:
    """Run the job worker in a background thread of the demo server."""
    from provisioning.jobs.worker import Worker

    def work() -> None:
        with app.app_context():
            Worker(worker_id="demo", poll_seconds=1.0).run()

    threading.Thread(target=work, name="alta-worker", daemon=True).start()
