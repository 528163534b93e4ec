"""IT's pages of the existing directory: /informatica/directorio (start an import, follow
it), the reconciliation of imported accounts with people, and the orphans and dormant
accounts report (also as CSV). Only IT sees them."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from provisioning import audit, db, timeutil, wording
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.errors import AltaError, ValidationError
from provisioning.jobs import services as jobs
from provisioning.reconciliation import services, tasks
from provisioning.reconciliation.models import LINK_LABELS, PROPOSED
from provisioning.spreadsheet import cell, csv_text
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.web import client_ip

bp = Blueprint("reconciliation", __name__)

IT_ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
REFRESH_SECONDS = 3
MAX_SELECTION = 500
CLUES = re.compile(r"^[A-Z0-9]{1,20}$")
ID = re.compile(r"^[0-9]{1,9}$")  # ASCII digits only (str.isdigit takes «①»)


def _actor() -> audit.Actor:
    role = next(r for r in IT_ROLES if g.principal.has(r))
    return g.principal.actor(client_ip(), role)


@bp.route("/informatica/directorio")
@auth.roles_required(*IT_ROLES)
def import_page() -> Any:
    """The import runs, the one in progress, and the button that starts one."""
    job = jobs.latest_for("directory_import", "directorio", tasks.KIND)
    running = job is not None and job.status in ("queued", "running")
    latest = services.latest_run()
    return render_template(
        "reconciliation/import.html", runs=services.runs(), job=job,
        job_text=jobs.status_text(job) if job else None, running=running,
        changes=services.changes_of(latest) if latest else [],
        counts=services.counts(), labels=LINK_LABELS,
        refresh=REFRESH_SECONDS if running or (latest and latest.status == "running")
        else None)


@bp.route("/informatica/directorio/importar", methods=["POST"])
@auth.roles_required(*IT_ROLES)
def start_import() -> Any:
    """Queue an import of the configured base (one at a time; ``alta worker`` runs it)."""
    job = tasks.enqueue(actor=_actor())
    db.commit()
    flash(f"Importación en cola (tarea {job.id}); esta página muestra su avance.", "ok")
    return redirect(url_for("reconciliation.import_page"))


def _filters(ous: list[str]) -> services.Filters:
    status = request.args.get("estado", "")[:20]
    ou = request.args.get("ubicacion", "")[:1000]
    if ou and ou not in ous:  # only a choice of the list (never NUL, markup…)
        raise ValidationError("La ubicación (OU) elegida no es la de ninguna cuenta importada; "
                              "elija una de la lista.")
    unit = request.args.get("unidad", "")[:20].strip().upper()
    return services.Filters(status=status if status in LINK_LABELS else "", ou=ou,
                            unit=unit if CLUES.match(unit) else "")


@bp.route("/informatica/directorio/conciliacion")
@auth.roles_required(*IT_ROLES)
def reconcile_page() -> Any:
    """Imported accounts by state and location, with their candidates (audited: names)."""
    ous = services.ous()
    filters = _filters(ous)
    rows, total = services.accounts_for(filters)
    candidates = services.candidates_of([a.id for a in rows])
    people = services.people_of([a.person_id for a in rows if a.person_id])
    services.record_list_view(len(rows), filters, actor=_actor())
    db.commit()
    return render_template(
        "reconciliation/reconcile.html", rows=rows, total=total, filters=filters,
        candidates=candidates, people=people, labels=LINK_LABELS, ous=ous,
        units=sorted(catalogs.units(), key=lambda u: (u.jurisdiction_code, u.name)),
        proposed=PROPOSED)


def _back() -> Any:
    args = {k: request.form.get(k, "")[:1000] for k in ("estado", "ubicacion", "unidad")}
    return redirect(url_for("reconciliation.reconcile_page",
                            **{k: v for k, v in args.items() if v}))


@bp.route("/informatica/directorio/cuentas/<int:account_id>/<decision>", methods=["POST"])
@auth.roles_required(*IT_ROLES)
def decide_account(account_id: int, decision: str) -> Any:
    """Confirm or reject a candidate, mark a service/shared account, or undo a link."""
    if decision not in services.DECISIONS:
        abort(404)
    account = services.get_account(account_id)
    raw = request.form.get("persona", "")[:12]
    person_id = int(raw) if ID.match(raw) else None
    try:
        services.decide(account, decision, actor=_actor(), person_id=person_id)
    except AltaError as exc:
        db.rollback()
        flash(exc.message, "error")
        return _back()
    db.commit()
    flash(f"Cuenta {account.sam_account_name}: {services.DECISION_DONE[decision]}.", "ok")
    return _back()


@bp.route("/informatica/directorio/conciliacion/exactas", methods=["POST"])
@auth.roles_required(*IT_ROLES)
def bulk_confirm() -> Any:
    """Confirm at once the single exact name match of each selected account."""
    values = request.form.getlist("cuenta")
    if len(values) > MAX_SELECTION:
        abort(413)
    ids = [int(v) for v in values if ID.match(v)]
    if not ids:
        flash("Seleccione al menos una cuenta con coincidencia exacta.", "error")
        return _back()
    done = services.confirm_exact(ids, actor=_actor())
    db.commit()
    flash(f"{wording.count(done, 'cuenta vinculada', 'cuentas vinculadas')} por coincidencia "
          "exacta de nombre.", "ok")
    return _back()


def _dormant_days() -> int:
    return settings().directory.dormant_days


@bp.route("/informatica/directorio/huerfanas")
@auth.roles_required(*IT_ROLES)
def orphans_page() -> Any:
    """Accounts with no person, unused for N days, and expired but enabled (audited)."""
    report = services.orphans(_dormant_days())
    services.record_orphans_read(report, actor=_actor(), exported=False)
    db.commit()
    return render_template("reconciliation/orphans.html", report=report)


@bp.route("/informatica/directorio/huerfanas.csv")
@auth.roles_required(*IT_ROLES)
def orphans_csv() -> Any:
    """The same report as CSV (Spanish headers, dates dd/mm/aaaa)."""
    report = services.orphans(_dormant_days())
    services.record_orphans_read(report, actor=_actor(), exported=True)
    db.commit()
    rows = services.orphan_rows(report)
    header = list(services.ORPHAN_HEADER)
    lines = [header] + [[cell(row[k]) for k in header] for row in rows]
    stamp = timeutil.local_today().strftime("%Y%m%d")
    return Response("\ufeff" + csv_text(lines), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="cuentas-huerfanas-{stamp}.csv"'})
