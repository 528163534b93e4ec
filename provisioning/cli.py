"""The ``alta`` command: thin click commands over the services.

The same commands answer to ``flask --app provisioning``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup

from provisioning.config import ConfigError


def _actor() -> object:
    from provisioning import audit

    user = os.environ.get("SUDO_USER") or os.environ.get("USER") or "desconocido"
    return audit.Actor(name=f"cli:{user}", role="cli")


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


def main() -> None:
    """Entry point of the ``alta`` console script."""
    from provisioning import create_app

    try:
        FlaskGroup(create_app=create_app, help="Alta: alta de usuarios de SIEMPRE.")()
    except ConfigError as exc:
        _fail(f"Configuración inválida: {exc}")


def register(app: Flask) -> None:
    """Attach every command group to ``app.cli``."""
    for command in (db_group, catalog_group, staff_group, keys_group, api_client_group,
                    audit_group,
                    retention_group, mail_group, reviews_group, worker_command, demo_command,
                    directory_group):
        app.cli.add_command(command)


# ---------------------------------------------------------------------------------------------


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from provisioning import db

    db.upgrade(current_app.extensions["alta.settings"].database.url, revision)
    click.echo(f"Esquema actualizado a {revision}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from provisioning import db

    db.downgrade(current_app.extensions["alta.settings"].database.url, revision)
    click.echo(f"Esquema revertido a {revision}.")


@db_group.command("grant-app-role")
@click.argument("role")
def db_grant_app_role(role: str) -> None:
    """Give ROLE (the one the app connects as) its privileges on every table, without owning
    them (PostgreSQL; run as the owner after each upgrade)."""
    from provisioning import db

    connection = db.session().connection()
    try:
        statements = db.grant_app_role(connection, role)
    except ValueError:
        db.rollback()
        _fail("Los roles de la base solo existen en PostgreSQL.")
    except LookupError:
        db.rollback()
        _fail(f"No existe el rol {role} en la base de datos (créelo antes con CREATE ROLE).")
    db.commit()
    for statement in statements:
        click.echo(statement)
    click.echo(f"Permisos de la aplicación otorgados a {role}.")


# ---------------------------------------------------------------------------------------------


@click.group("catalog")
def catalog_group() -> None:
    """Catalogs: jurisdictions, units (CLUES), direcciones, tipos de personal."""


@catalog_group.command("load")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", help="jurisdictions | units | org_units | staff_types (for CSV files)")
@click.option("--version", "version", help="Version date AAAA-MM-DD (required for CSV files)")
@click.option("--shipped", is_flag=True, help="Load the demo catalogs shipped with Alta.")
@click.option("--entidad", "entity", default="17", show_default=True,
              help="DGIS CLUES file: only establishments of this CLAVE DE LA ENTIDAD.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def catalog_load(files: tuple[Path, ...], kind: str | None, version: str | None,
                 shipped: bool, entity: str, dry_run: bool) -> None:
    """Load catalog FILES (JSON, CSV or XLSX, including the DGIS CLUES file).

    Units missing from a new version are retired (valid_to), never deleted."""
    from provisioning import db
    from provisioning.catalogs import services as catalogs
    from provisioning.errors import ValidationError

    try:
        when = date.fromisoformat(version) if version else None
    except ValueError:
        _fail("--version debe tener la forma AAAA-MM-DD")
    if not files and not shipped:
        _fail("Indique archivos de catálogo o --shipped.")
    try:
        results = catalogs.load_directory(actor=_actor()) if shipped else []
        for path in files:
            results.append(catalogs.load(catalogs.read_file(path, kind=kind, version=when,
                                                            entity=entity),
                                         actor=_actor()))
            db.session().flush()
        if dry_run:
            db.rollback()
        else:
            db.commit()
    except ValidationError as exc:
        db.rollback()
        _fail(exc.message)
    for r in results:
        click.echo(f"{r.kind} {r.version.isoformat()}: {r.added} altas, {r.closed} cerradas, "
                   f"{r.unchanged} sin cambio")
    if dry_run:
        click.echo("Simulación: no se cambió nada.")


# ---------------------------------------------------------------------------------------------


@click.group("staff")
def staff_group() -> None:
    """Staff accounts."""


def _parse_grant(text: str) -> object:
    from provisioning.staff.models import Role
    from provisioning.staff.services import Grant

    role_name, _, scope = text.partition(":")
    try:
        role = Role(role_name)
    except ValueError:
        _fail(f"Rol desconocido {role_name!r}; use uno de: {', '.join(r.value for r in Role)}")
    if role.scope == "unit":
        return Grant(role, unit_clues=scope or None)
    if role.scope == "jurisdiction":
        return Grant(role, jurisdiction_code=scope or None)
    return Grant(role)


@staff_group.command("create")
@click.option("--username", required=True)
@click.option("--name", "full_name", required=True, help="Nombre completo")
@click.option("--email", required=True)
@click.option("--position", default="", help="Cargo (aparece en oficios)")
@click.option("--role", "roles", multiple=True,
              help="ROL[:ALCANCE], p. ej. jefe_unidad:MSSSA001270, enlace:I, admin")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of generating one.")
def staff_create(username: str, full_name: str, email: str, position: str,
                 roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff account; prints a temporary password unless --password-stdin."""
    from provisioning import db
    from provisioning.errors import AltaError
    from provisioning.staff import services
    from provisioning.textcheck import TextError, person_name
    from provisioning.textcheck import email as check_email

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user, initial = services.create_staff(
            username=username, full_name=person_name(full_name, max_length=120),
            email=check_email(email), position=position,
            grants=[_parse_grant(r) for r in roles], actor=_actor(), password=password)
        db.commit()
    except TextError as exc:
        db.rollback()
        _fail(exc.message)
    except AltaError as exc:
        db.rollback()
        _fail(exc.message)
    click.echo(f"Cuenta {user.username} creada.")
    if password is None:
        click.echo(f"Contraseña temporal (se pedirá cambiarla): {initial}")


@staff_group.command("list")
def staff_list() -> None:
    """List staff accounts with their roles."""
    from provisioning.staff import services

    for user in services.list_staff():
        roles = ", ".join(
            r.role.value + (f":{r.unit_clues or r.jurisdiction_code}"
                            if r.unit_clues or r.jurisdiction_code else "")
            for r in user.roles)
        state = "activa" if user.active else "inactiva"
        click.echo(f"{user.username:<24} {state:<9} {roles}")


@staff_group.command("unlock")
@click.argument("username")
def staff_unlock(username: str) -> None:
    """Clear the lockout of USERNAME."""
    from provisioning import db
    from provisioning.staff import services

    user = services.by_username(username)
    if user is None:
        _fail(f"No existe la cuenta {username}.")
    services.unlock(user, actor=_actor())
    db.commit()
    click.echo(f"Cuenta {username} desbloqueada.")


# ---------------------------------------------------------------------------------------------


@click.group("keys")
def keys_group() -> None:
    """Keys: a new one, and re-sealing TOTP seeds after a change of [security].data_key."""


@keys_group.command("generate")
def keys_generate() -> None:
    """Print a new random key (for secret_key, data_key or checkpoint_key files)."""
    import secrets

    click.echo(secrets.token_urlsafe(48))


@keys_group.command("rotate")
def keys_rotate() -> None:
    """Re-seal every TOTP seed under [security].data_key (the old key must still be listed
    in previous_data_keys); afterwards the old key can be removed."""
    from provisioning import db
    from provisioning.staff import services as staff

    try:
        count = staff.reseal_totp_seeds(actor=_actor())
    except ValueError:
        db.rollback()
        _fail("Hay semillas que ninguna llave configurada abre: agregue la llave anterior a "
              "[security].previous_data_keys y repita. No se cambió nada.")
    db.commit()
    noun = "semilla TOTP sellada" if count == 1 else "semillas TOTP selladas"
    click.echo(f"{count} {noun} de nuevo con la llave vigente. Ya puede quitar las llaves "
               "anteriores de [security].previous_data_keys.")


@click.group("api-client")
def api_client_group() -> None:
    """Clients of the status API: tokens (shown once), expiry, rotation, scopes."""


def _show_token(client: Any, token: str) -> None:
    from provisioning import timeutil

    click.echo(f"Credencial (se muestra una sola vez): {token}")
    click.echo(f"Vence el {timeutil.format_datetime(client.token_expires_at)}. "
               f"Alcances: {client.scopes or 'ninguno'}.")


def _api_client_command(run: Callable[[], Any]) -> Any:
    """Run ``run()`` (a service call); commit, or roll back and exit 1 with its message."""
    from provisioning import db
    from provisioning.errors import AltaError

    try:
        result = run()
        db.commit()
    except AltaError as exc:
        db.rollback()
        _fail(exc.message)
    return result


@api_client_group.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="What it may call, e.g. status:read (repeat for several).")
@click.option("--days", type=int, default=None,
              help="Days the token is valid (default: [api].token_validity_days).")
def api_client_create(name: str, scopes: tuple[str, ...], days: int | None) -> None:
    """Register the calling system NAME; prints its token once."""
    from provisioning.api import services

    client, token = _api_client_command(lambda: services.create_client(
        name, scopes=scopes, days=days, actor=_actor()))
    click.echo(f"Cliente «{client.name}» registrado.")
    _show_token(client, token)


@api_client_group.command("list")
def api_client_list() -> None:
    """List the clients: prefix, scopes, expiry, state, last use (never a token)."""
    from provisioning import timeutil
    from provisioning.api import services

    for c in services.list_clients():
        state = f"revocado {timeutil.format_date(c.revoked_at)}" if c.revoked_at else "activo"
        used = timeutil.format_datetime(c.last_used_at) or "nunca"
        click.echo(f"{c.name:<30} alta_{c.token_prefix}_…  {c.scopes or '(sin alcances)':<14} "
                   f"vence {timeutil.format_datetime(c.token_expires_at)}  {state:<20} "
                   f"último uso {used}")


@api_client_group.command("rotate")
@click.argument("name")
@click.option("--days", type=int, default=None,
              help="Days the new token is valid (default: [api].token_validity_days).")
@click.option("--no-grace", is_flag=True,
              help="The old token stops at once (it leaked) instead of after the grace "
                   "period ([api].rotation_grace_hours).")
def api_client_rotate(name: str, days: int | None, no_grace: bool) -> None:
    """Give NAME a new token (printed once); the old one works for the grace period."""
    from provisioning import timeutil
    from provisioning.api import services

    def rotate() -> tuple[Any, str]:
        client = services.client_by_name(name)
        return client, services.rotate_token(client, days=days, immediately=no_grace,
                                             actor=_actor())

    client, token = _api_client_command(rotate)
    click.echo(f"Credencial de «{client.name}» renovada.")
    _show_token(client, token)
    if client.previous_token_until:
        click.echo("La credencial anterior sigue valiendo hasta el "
                   f"{timeutil.format_datetime(client.previous_token_until)}.")
    else:
        click.echo("La credencial anterior ya no vale.")


@api_client_group.command("set-scopes")
@click.argument("name")
@click.argument("scopes", nargs=-1)
def api_client_set_scopes(name: str, scopes: tuple[str, ...]) -> None:
    """Replace what NAME may call with SCOPES (none: it may call nothing)."""
    from provisioning.api import services

    def change() -> Any:
        client = services.client_by_name(name)
        services.set_scopes(client, scopes, actor=_actor())
        return client

    client = _api_client_command(change)
    click.echo(f"Alcances de «{client.name}»: {client.scopes or 'ninguno (no puede consultar)'}.")


@api_client_group.command("revoke")
@click.argument("name")
def api_client_revoke(name: str) -> None:
    """Stop accepting NAME's tokens, for good."""
    from provisioning.api import services

    _api_client_command(lambda: services.revoke_client(services.client_by_name(name),
                                                       actor=_actor()))
    click.echo(f"Cliente «{name}» revocado.")


# ---------------------------------------------------------------------------------------------


@click.group("audit")
def audit_group() -> None:
    """The audit log (bitácora)."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and the signed checkpoints; exit 1 naming the first failure."""
    import time

    from provisioning import db
    from provisioning.audit.services import verify

    started = time.perf_counter()
    result = verify(db.session().connection(),
                    url=current_app.extensions["alta.settings"].database.url,
                    workers=os.cpu_count() or 1)
    db.rollback()
    elapsed = time.perf_counter() - started
    rate = result.checked / elapsed if elapsed > 0 else 0.0
    if result.ok:
        click.echo(f"Bitácora íntegra: {result.checked} eventos y {result.checkpoints} puntos "
                   f"de control verificados en {elapsed:.2f} s ({rate:,.0f} eventos/s).")
        return
    where = (f"el punto de control {result.first_bad_checkpoint}"
             if result.first_bad_checkpoint is not None else f"el evento {result.first_bad_seq}")
    _fail(f"Bitácora ALTERADA en {where}: {result.reason} "
          f"({result.checked} eventos verificados antes).")


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--output", "-o", default="-", help="File to write (default: standard output).")
@click.option("--actor", default="", help="Only events by this user name.")
@click.option("--action", default="", help="Only actions starting with this, e.g. request.")
@click.option("--object-type", default="", help="Only this object type, e.g. request.")
@click.option("--object", "object_id", default="", help="Only this object: folio, user name...")
@click.option("--since", default="", help="From this local date, AAAA-MM-DD.")
@click.option("--until", default="", help="Up to this local date (inclusive), AAAA-MM-DD.")
@click.option("--curp", "curp_text", default="",
              help="Only events about this CURP (searched by its keyed hash).")
def audit_export(fmt: str, output: str, actor: str, action: str, object_type: str,
                 object_id: str, since: str, until: str, curp_text: str) -> None:
    """Stream the audit log (JSON Lines or CSV); records the export and signs a checkpoint."""
    from werkzeug.datastructures import MultiDict

    from provisioning import db
    from provisioning.audit import export
    from provisioning.auditor.forms import parse_filter

    query, errors = parse_filter(MultiDict({
        "usuario": actor, "accion": action, "tipo": object_type, "objeto": object_id,
        "desde": since, "hasta": until, "curp": curp_text}))
    if errors:
        _fail("Revise los filtros: " + "; ".join(errors.values()))
    export.begin_export(query, fmt, actor=_actor())
    db.commit()
    upto = export.exported_upto()
    connection = db.session().connection()
    with click.open_file(output, "wb") as out:
        for chunk in export.export_chunks(connection, fmt, query, upto=upto.seq):
            out.write(chunk.encode())
    db.rollback()
    click.echo(f"Exportación hasta el evento {upto.seq}, firmada en el punto de control "
               f"{upto.number} (hash {upto.hash}).", err=True)


@audit_group.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain head (run it from a timer: covers quiet periods too)."""
    from provisioning import db
    from provisioning.audit.services import checkpoint_now

    made = checkpoint_now("periodic")
    db.commit()
    if made is None:
        click.echo("La cabeza de la bitácora ya está cubierta por el último punto de control.")
        return
    # Printed so the operator can keep a copy outside the database.
    click.echo(f"Punto de control {made.number}: evento {made.seq}, hash {made.hash}, "
               f"firma {made.mac}")


@audit_group.command("resign")
@click.option("--from-derived-key", is_flag=True,
              help="The old checkpoints were signed with the key derived from "
                   "[app].secret_key (no checkpoint_key was set).")
def audit_resign(from_derived_key: bool) -> None:
    """Sign every checkpoint again with [audit].checkpoint_key, after checking each with its
    old key ([audit].previous_checkpoint_keys); then the old key can be removed."""
    from provisioning import db
    from provisioning.audit.services import resign_checkpoints
    from provisioning.errors import AltaError

    try:
        count = resign_checkpoints(actor=_actor(), from_derived=from_derived_key)
    except AltaError as exc:
        db.rollback()
        _fail(exc.message)
    db.commit()
    click.echo(f"{count} puntos de control firmados de nuevo con la llave vigente. Ya puede "
               "quitar las llaves anteriores de [audit].previous_checkpoint_keys.")


# ---------------------------------------------------------------------------------------------


@click.group("retention")
def retention_group() -> None:
    """Records retention (solicitudes, audit events) and legal holds."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be disposed of; change nothing.")
def retention_run(dry_run: bool) -> None:
    """Delete or anonymize the records whose retention ended (run it daily from a timer)."""
    from provisioning import db, timeutil, wording
    from provisioning.errors import AltaError
    from provisioning.retention import services

    outcomes = []
    try:
        for batch in services.run(dry_run=dry_run, actor=_actor()):
            # Each batch is committed: a long run keeps memory bounded and its progress.
            if not dry_run:
                db.commit()
            outcomes.extend(batch)
        db.rollback()
    except AltaError as exc:
        db.rollback()
        _fail(exc.message)
    labels = {"pendiente": "se eliminaría/anonimizaría", "retenido": "RETENIDO (motivo legal)"}
    shown = 2000
    for o in outcomes[:shown]:
        c = o.candidate
        click.echo(f"{c.record_class:<13} {c.key:<26} vence {timeutil.format_date(c.due_at)}  "
                   f"{labels.get(o.result, o.result)}")
    if len(outcomes) > shown:
        click.echo(f"… y {wording.count(len(outcomes) - shown, 'registro')} más.")
    done = sum(o.result not in labels for o in outcomes)
    held = sum(o.result == "retenido" for o in outcomes)
    if dry_run:
        due = wording.count(len(outcomes) - held, "registro vencido", "registros vencidos")
        click.echo(f"Simulación: {due}, {wording.count(held, 'retenido')}. No se cambió "
                   "nada.")
    else:
        click.echo(f"{wording.count(done, 'registro dispuesto', 'registros dispuestos')}, "
                   f"{wording.count(held, 'retenido')}.")


# ---------------------------------------------------------------------------------------------


@click.group("mail")
def mail_group() -> None:
    """E-mail outbox."""


@mail_group.command("flush")
def mail_flush() -> None:
    """Send every pending message of the outbox now; exit 1 if some could not be sent."""
    from provisioning.notifications import services

    sent, failed = services.flush()
    click.echo(f"{sent} correos enviados, {failed} pendientes.")
    if failed:
        _fail("El servidor de correo no aceptó algunos mensajes; siguen en la bandeja de "
              "salida y se reintentarán.")


@mail_group.command("status")
def mail_status() -> None:
    """Count the messages waiting in the outbox."""
    from provisioning.notifications import services

    click.echo(f"{len(services.pending_ids())} correos pendientes en la bandeja de salida.")


@mail_group.command("reminders")
def mail_reminders() -> None:
    """Queue today's reminders now (the worker does it once a day)."""
    from provisioning import db
    from provisioning.dashboard import reminders

    queued = reminders.send()
    db.commit()
    click.echo(f"{queued} recordatorios en la bandeja de salida.")


@click.group("reviews")
def reviews_group() -> None:
    """Access review campaigns."""


@reviews_group.command("sweep")
def reviews_sweep() -> None:
    """Open scheduled campaigns, send reminders and escalations now (the worker does it
    every six hours)."""
    from provisioning import db
    from provisioning.reviews import services

    done = services.sweep()
    db.commit()
    click.echo(f"Revisiones abiertas: {len(done.opened)}; recordatorios: {done.reminders}; "
               f"escalamientos: {done.escalations}.")


# ---------------------------------------------------------------------------------------------


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the ready jobs, then exit.")
@click.option("--poll", type=float, default=1.0, show_default=True,
              help="Seconds between looks at an empty queue.")
@click.option("--lease", type=float, default=300.0, show_default=True,
              help="Seconds a claimed job stays this worker's; if it dies, another worker "
                   "takes the job after that. Longer than any job may run.")
def worker_command(once: bool, poll: float, lease: float) -> None:
    """Run background jobs (provisioning, e-mail, periodic tasks) until stopped."""
    from datetime import timedelta

    from provisioning.directory.connection import close_for
    from provisioning.jobs.worker import Worker

    try:
        done = Worker(poll_seconds=poll, lease=timedelta(seconds=lease)).run(once=once)
    finally:
        close_for(current_app)
    if once:
        click.echo(f"{done} tareas ejecutadas.")


# ---------------------------------------------------------------------------------------------


@click.command("demo")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")))
@click.option("--no-serve", is_flag=True, help="Prepare the demo data and exit.")
def demo_command(port: int, no_serve: bool) -> None:
    """Prepare demo data (schema, catalogs, one account per role) and serve on 127.0.0.1."""
    from provisioning import demo

    demo.run(port=port, serve=not no_serve)



# ---------------------------------------------------------------------------------------------


@click.group("directory")
def directory_group() -> None:
    """The existing Active Directory: import its accounts and link them to people."""


@directory_group.command("import")
@click.option("--base", default="", help="OU to read (relative to base_dn; default: all).")
@click.option("--every", default=1000, show_default=True, help="Print progress every N.")
@click.option("--no-link", is_flag=True, help="Do not link by CURP nor propose names.")
def directory_import(base: str, every: int, no_link: bool) -> None:
    """Read every user account of the directory (paged) and link them to people."""
    from provisioning import db, wording
    from provisioning.directory import connection
    from provisioning.directory.errors import DirectoryError
    from provisioning.reconciliation import services as reconciliation

    actor = _actor()
    shown = [0]

    def checkpoint(run: Any) -> None:
        db.commit()
        if run.seen - shown[0] >= every:
            shown[0] = run.seen
            click.echo(f"{wording.count(run.seen, 'cuenta leída', 'cuentas leídas')}…")

    try:
        directory = connection.current()
        run = reconciliation.import_directory(directory, actor=actor, base=base or None,
                                              checkpoint=checkpoint)
        db.commit()
    except DirectoryError as exc:
        db.commit()  # the failed run and its audit event
        _fail(f"La importación se interrumpió: {exc.message}")
    click.echo(f"Importación {run.id} completa: "
               f"{wording.count(run.seen, 'cuenta leída', 'cuentas leídas')}, "
               f"{wording.count(run.added, 'nueva')}, "
               f"{wording.count(run.updated, 'actualizada')}, "
               f"{wording.count(run.renamed, 'renombrada o movida', 'renombradas o movidas')}, "
               f"{run.deleted} ya no {'está' if run.deleted == 1 else 'están'} en el directorio.")
    if not no_link:
        linked, proposed = reconciliation.finish_linking(run, actor=actor)
        db.commit()
        click.echo(f"{wording.count(linked, 'cuenta vinculada', 'cuentas vinculadas')} por "
                   f"CURP; {proposed} con candidatos por nombre (confírmelos en "
                   "/informatica/directorio/conciliacion).")
