"""The auditor's pages: search the log, one object's full history, exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, render_template, request, stream_with_context

from provisioning import db, timeutil
from provisioning.audit import export, labels
from provisioning.auditor.forms import FIELDS, parse_filter
from provisioning.errors import ValidationError
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.web import client_ip

bp = Blueprint("audit", __name__)
# The auditor's pages name each action in Spanish (the code stays beside it, to search by).
bp.add_app_template_filter(labels.label, "accion")

# The auditor and the records custodian read the log; administrators do not (their own
# actions are what the log reviews).
READERS = (Role.AUDITOR, Role.JEFE_INFORMATICA)
OBJECT_TYPES = {"request": "Solicitud", "staff": "Personal", "catalog": "Catálogo",
                "audit": "Bitácora"}


def _actor() -> Any:
    role = Role.AUDITOR if g.principal.has(Role.AUDITOR) else Role.JEFE_INFORMATICA
    return g.principal.actor(client_ip(), role)


@bp.route("/auditoria")
@auth.roles_required(*READERS)
def search() -> Any:
    """Search by user, action, object and dates; newest first, 50 per page (audited)."""
    query, errors = parse_filter(request.args)
    before = request.args.get("antes", type=int)
    before = before if before and before > 0 else None
    page = export.search(query, before=before)
    export.record_search(query, before=before, invalid=list(errors),
                         results=len(page.events), actor=_actor())
    db.commit()
    params = {k: request.args.get(k, "")[:80] for k in FIELDS if request.args.get(k)}
    if query.curp_hmac:
        params["curp"] = query.curp_hmac  # never the CURP back into links and forms
    return render_template("audit/search.html", page=page, errors=errors, values=params,
                           object_types=OBJECT_TYPES, paged=before is not None,
                           formats=export.FORMATS), 400 if errors else 200


@bp.route("/auditoria/objeto/<object_type>/<path:object_id>")
@auth.roles_required(*READERS)
def history(object_type: str, object_id: str) -> Any:
    """Every event about one object (a request's full history), oldest first (audited)."""
    object_type, object_id = object_type[:40], object_id[:80]
    events = export.history(object_type, object_id)
    export.record_history_view(object_type, object_id, actor=_actor())
    db.commit()
    return render_template("audit/history.html", events=events, object_type=object_type,
                           object_id=object_id, label=OBJECT_TYPES.get(object_type, object_type),
                           limit=export.HISTORY_LIMIT)


@bp.route("/auditoria/exportar", methods=["POST"])
@auth.roles_required(*READERS)
def download() -> Any:
    """Stream the matching events as JSON Lines or CSV (audited; ends at a checkpoint)."""
    fmt = request.form.get("formato", "")
    query, errors = parse_filter(request.form)
    if fmt not in export.FORMATS or errors:
        raise ValidationError("Revise el formato y los filtros de la exportación.")
    export.begin_export(query, fmt, actor=_actor())
    db.commit()
    upto = export.exported_upto()
    connection = db.session().connection()
    stamp = timeutil.to_local(upto.created_at).strftime("%Y%m%d-%H%M%S")
    chunks = export.export_chunks(connection, fmt, query, upto=upto.seq)
    return Response(stream_with_context(chunks), mimetype=export.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="bitacora-{stamp}.{fmt}"',
        "X-Alta-Checkpoint": f"{upto.number} {upto.seq} {upto.hash}"})
