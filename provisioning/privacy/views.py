"""Privacy pages: the aviso de privacidad, the person's own data (access, rectification,
cancellation) and the custodian's ARCO tasks."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from provisioning import db
from provisioning.account_requests import services as account_requests
from provisioning.config import current as settings
from provisioning.documents import privacy_export
from provisioning.errors import AltaError, NotFound, ValidationError
from provisioning.privacy import services
from provisioning.privacy.models import ArcoKind, ArcoStatus
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.textcheck import TextError, clean
from provisioning.web import client_ip, rate_limited
from provisioning.web.applicant import (
    TRACKED_MINUTES,
    forget_tracked,
    remember_tracked,
    tracked,
    tracked_folio,
)

bp = Blueprint("privacy", __name__)

@bp.route("/aviso-de-privacidad")
def notice() -> Any:
    """The full aviso de privacidad (text from [privacy].aviso_integral)."""
    privacy = settings().privacy
    paragraphs = [p.strip() for p in privacy.aviso_integral.split("\n\n") if p.strip()]
    return render_template("privacy/notice.html", paragraphs=paragraphs,
                           responsable=privacy.responsable, contacto=privacy.contacto_arco)


@bp.route("/mis-datos", methods=["GET", "POST"])
@rate_limited("seguimiento")
def mine() -> Any:
    """Sign in with folio + tracking code, then see the options on one's own data."""
    if request.method == "POST":
        try:
            found = account_requests.track(request.form.get("folio", "")[:40],
                                           request.form.get("code", "")[:40], ip=client_ip())
        except AltaError as exc:
            db.rollback()
            return render_template("privacy/access_form.html", error=exc.message,
                                   folio=request.form.get("folio", "")[:40]), exc.status
        db.commit()
        remember_tracked(found.folio)
        return redirect(url_for("privacy.mine"))
    folio = tracked_folio()
    if folio is None:
        return render_template("privacy/access_form.html", error=None, folio="")
    own = services.by_folio(folio)
    return render_template("privacy/mine.html", request=own,
                           until=services.retention_until(own), minutes=TRACKED_MINUTES)


@bp.route("/mis-datos/descarga.<fmt>")
def download(fmt: str) -> Any:
    """Everything Alta holds about the person, as JSON or PDF (audited)."""
    if fmt not in ("json", "pdf"):
        raise NotFound()
    own = tracked(account_requests.by_folio)
    data = services.personal_data(own)
    services.record_export(own, fmt, ip=client_ip())
    db.commit()
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2).encode()
        mimetype = "application/json"
    else:
        body, mimetype = privacy_export.render(data), "application/pdf"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="mis-datos-{own.folio}.{fmt}"'})


@bp.route("/mis-datos/rectificacion", methods=["POST"])
def rectification() -> Any:
    """Ask for a correction of one's data (a task for the records custodian)."""
    own = tracked(account_requests.by_folio)
    try:
        text = clean(request.form.get("description", "")[:4000], max_length=2000,
                     multiline=True)
    except TextError as exc:
        flash(f"Rectificación: {exc.message}", "error")
        return redirect(url_for("privacy.mine"))
    services.request_rectification(own, text, ip=client_ip())
    db.commit()
    flash("Recibimos su solicitud de rectificación. El Departamento de Informática la "
          "atenderá y la respuesta aparecerá en su descarga de datos.", "ok")
    return redirect(url_for("privacy.mine"))


@bp.route("/mis-datos/cancelacion", methods=["POST"])
def cancellation() -> Any:
    """Ask for the cancellation of one's data: answered with the date it applies from."""
    own = tracked(account_requests.by_folio)
    _arco, answer = services.request_cancellation(own, ip=client_ip())
    db.commit()
    flash(answer, "aviso")
    return redirect(url_for("privacy.mine"))


@bp.route("/mis-datos/salir", methods=["POST"])
def leave() -> Any:
    """Forget the access in this browser."""
    forget_tracked()
    return redirect(url_for("privacy.mine"))


# ---------------------------------------------------------------------------------------------
# Staff: ARCO tasks of the records custodian


@bp.route("/privacidad/solicitudes")
@auth.roles_required(Role.JEFE_INFORMATICA)
def tasks() -> Any:
    """Rectification requests to answer and the latest ARCO requests."""
    return render_template("privacy/tasks.html", open_tasks=services.open_tasks(),
                           recent=services.recent_requests(), ArcoKind=ArcoKind,
                           ArcoStatus=ArcoStatus)


def _actor() -> Any:
    return g.principal.actor(client_ip(), Role.JEFE_INFORMATICA)


@bp.route("/privacidad/solicitudes/<int:arco_id>", methods=["GET", "POST"])
@auth.roles_required(Role.JEFE_INFORMATICA)
def task(arco_id: int) -> Any:
    """One ARCO request with the solicitud's data (audited read); answer it."""
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        arco, _own = services.task(arco_id, actor=_actor())
        try:
            decision = request.form.get("decision", "")
            if decision not in ("atendida", "improcedente"):
                raise ValidationError("Elija una respuesta.", {"decision": "Elija una opción."})
            try:
                response = clean(request.form.get("response", "")[:4000], max_length=2000,
                                 multiline=True)
            except TextError as exc:
                raise ValidationError(exc.message, {"response": exc.message}) from None
            services.resolve(arco, accepted=decision == "atendida", response=response,
                             actor=_actor())
        except ValidationError as exc:
            db.rollback()
            errors, status = exc.fields, 400
        else:
            db.commit()
            flash("Respuesta registrada.", "ok")
            return redirect(url_for("privacy.tasks"))
    arco, own = services.task(arco_id, actor=_actor())
    db.commit()
    return render_template("privacy/task.html", arco=arco, request=own,
                           data=services.personal_data(own)["solicitud"], errors=errors,
                           ArcoKind=ArcoKind, ArcoStatus=ArcoStatus), status
