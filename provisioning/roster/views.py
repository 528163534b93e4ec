"""Pages of the staff roster: /padron (the uploads and the form to upload one) and each
roster's reconciliation report, whose lines open the baja or cambio form of the person."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db, wording
from provisioning.catalogs import services as catalogs
from provisioning.roster import services
from provisioning.staff import auth
from provisioning.web import client_ip

bp = Blueprint("roster", __name__)


def _index_page(*, error: str | None = None, errors: list[str] | None = None,
                total: int = 0, status: int = 200) -> Any:
    return render_template("roster/index.html", uploads=services.uploads(), error=error,
                           errors=errors or [], total=total,
                           max_rows=services.MAX_ROWS), status


@bp.route("/padron")
@auth.roles_required(*services.ROLES)
def index() -> Any:
    """The rosters uploaded and the form to upload a new one."""
    return _index_page()


@bp.route("/padron", methods=["POST"])
@auth.roles_required(*services.ROLES)
def upload() -> Any:
    """Upload a roster: stored only if every row is valid; the errors listed otherwise."""
    sent = request.files.get("archivo")
    if sent is None or not sent.filename:
        return _index_page(error="Elija el archivo del padrón (.csv o .xlsx).",
                           status=400)
    raw = sent.stream.read(services.MAX_BYTES + 1)
    try:
        roster = services.upload(raw, sent.filename,
                                 actor=g.principal.actor(client_ip()))
    except services.RosterError as exc:
        db.rollback()
        return _index_page(error=exc.message, errors=exc.errors, total=exc.total,
                           status=400)
    db.commit()
    flash(f"Padrón importado: {wording.count(roster.line_count, 'persona')}.", "ok")
    return redirect(url_for("roster.report", upload_id=roster.id))


@bp.route("/padron/<int:upload_id>")
@auth.roles_required(*services.ROLES)
def report(upload_id: int) -> Any:
    """The roster compared with Alta's people and their active accounts."""
    result = services.report(services.get(upload_id), actor=g.principal.actor(client_ip()))
    db.commit()
    # One query for the unit names, not one per line of the report.
    names = {unit.clues: unit.name for unit in catalogs.units()}
    return render_template(
        "roster/report.html", report=result,
        unit_label=lambda clues: f"{names[clues]} ({clues})" if clues in names else clues)
