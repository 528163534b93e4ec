"""`alta demo`: a ready-to-try instance with demo catalogs and one account per role."""

from __future__ import annotations

import dataclasses
import secrets

import click
import pyotp
from flask import current_app
from werkzeug.serving import run_simple

from provisioning import audit, db
from provisioning.catalogs import services as catalogs
from provisioning.config import Settings
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
    )
    app = create_app(local)
    click.echo(f"\nAlta en http://127.0.0.1:{port}  (Ctrl+C para detener)\n")
    # Flask ignores app.run() inside a CLI command, so serve with Werkzeug directly.
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
