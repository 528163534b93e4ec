"""`alta demo`: a ready-to-try instance with demo catalogs and one account per role."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
import threading
import tomllib
from pathlib import Path

import click
import pyotp
from flask import Flask, current_app
from werkzeug.serving import run_simple

from provisioning import audit, db
from provisioning.catalogs import services as catalogs
from provisioning.config import DirectorySettings, Settings, load_settings
from provisioning.crypto import hasher, sealer
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.timeutil import now

DEMO_STAFF = (
    ("admin", "ADMINISTRADORA DEMO", "Administración de Alta", [staff.Grant(Role.ADMIN)]),
    ("jefe.cuernavaca", "ROSA MARÍA PEÑA ÁVILA", "Directora del Centro de Salud",
     [staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA000120")]),
    ("jefe.hospital", "JOSÉ LUIS NÚÑEZ ORTIZ", "Director del Hospital General de Cuernavaca",
     [staff.Grant(Role.JEFE_UNIDAD, unit_clues="MSSSA001270")]),
    ("responsable.js1", "MARTHA ELENA SALGADO RÍOS", "Responsable jurisdiccional de ECE",
     [staff.Grant(Role.RESPONSABLE_JURISDICCIONAL, jurisdiction_code="I")]),
    ("enlace.js1", "CARLOS IBÁÑEZ MUÑOZ", "Enlace informático, Jurisdicción Sanitaria I",
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
    """Prepare the demo and serve it on http://127.0.0.1:PORT."""
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
    # Plain http on loopback: the browser would drop a Secure cookie.
    local = dataclasses.replace(
        settings,
        security=dataclasses.replace(settings.security, session_cookie_secure=False),
        app=dataclasses.replace(settings.app, base_url=f"http://127.0.0.1:{port}"),
        directory=demo_directory(settings),
    )
    app = create_app(local)
    if local.directory.active:
        start_worker(app)
    click.echo(f"\nAlta en http://127.0.0.1:{port}  (Ctrl+C para detener)\n")
    # Flask ignores app.run() inside a CLI command, so serve with Werkzeug directly.
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)


AD_DC = Path(__file__).resolve().parent.parent / "scripts" / "ad-dc"


def demo_directory(settings: Settings) -> DirectorySettings:
    """The configured directory; else the throwaway DC when this machine can run it.

    The throwaway DC (scripts/ad-dc) needs root and apt. Without them the demo has no
    directory, and the IT pages say so: never a fake one.
    """
    if settings.directory.active:
        return settings.directory
    if os.geteuid() != 0 or shutil.which("apt-get") is None or not AD_DC.exists():
        click.echo("\nSin directorio: el controlador de dominio de prueba (scripts/ad-dc) "
                   "necesita root y apt. Las páginas de Informática dirán que no hay "
                   "directorio configurado.")
        return settings.directory
    click.echo("\nArrancando el controlador de dominio de prueba (scripts/ad-dc start)…")
    started = subprocess.run([str(AD_DC), "start"], capture_output=True, text=True,  # noqa: S603
                             check=False)
    if started.returncode != 0:
        click.echo(f"No arrancó el controlador de dominio de prueba:\n{started.stderr.strip()}"
                   "\nLa demostración sigue sin directorio.")
        return settings.directory
    path = subprocess.run([str(AD_DC), "env"], capture_output=True, text=True,  # noqa: S603
                          check=True).stdout.strip()
    table = tomllib.loads(Path(path).read_text(encoding="utf-8"))["directory"]
    click.echo(f"Directorio de prueba: {table['url']} (dominio {table['base_dn']}); las "
               "cuentas de la demostración van a OU=SIEMPRE.")
    return load_settings(overrides={"app": {"instance_dir": settings.app.instance_dir},
                                    "directory": table}, environ={}).directory


def start_worker(app: Flask) -> None:
    """Run the job worker in a background thread of the demo server."""
    import provisioning.tasks  # noqa: F401  (registers the handlers)
    from provisioning.jobs.worker import Worker

    def work() -> None:
        with app.app_context():
            Worker(worker_id="demo", poll_seconds=1.0).run()

    threading.Thread(target=work, name="alta-worker", daemon=True).start()
