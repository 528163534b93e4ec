"""The liaison's oficio pages; the Departamento de Informática's inbox, acuse, accounts of a
received oficio and reply oficio; the liaison's acuse of the reply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db
from provisioning.approvals import services as approvals
from provisioning.config import current as settings
from provisioning.errors import ValidationError
from provisioning.oficios import services
from provisioning.oficios.models import ENVIO, KIND_LABELS, RECEIVED, RESPUESTA, SENT, Oficio
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, form_ids, rate_limited

bp = Blueprint("oficios", __name__)


def _index(*, error: str | None = None, errors: dict[str, str] | None = None,
           status: int = 200, selected: list[int] | None = None,
           preview: services.Draft | None = None) -> Any:
    principal = g.principal
    ready = services.ready_requests(principal)
    approvals.record_list_view(ready, actor=principal.actor(client_ip()), where="oficios")
    db.commit()
    return render_template("oficios/index.html", ready=ready,
                           ready_total=services.ready_count(principal) if ready else 0,
                           oficios=services.oficios_for(principal, kind=services.ENVIO),
                           replies=services.oficios_for(principal, kind=RESPUESTA),
                           is_liaison=principal.has(Role.ENLACE), error=error,
                           errors=errors or {}, selected=set(selected or []),
                           subject=request.form.get("subject") or settings().oficios.subject,
                           kinds=KIND_LABELS, preview=preview), status


@bp.route("/oficios", methods=["GET"])
@auth.roles_required(Role.ENLACE, *services.SERVICE_WIDE)
def index() -> Any:
    """Ready requests (liaison) and the oficios in scope."""
    return _index()


@bp.route("/oficios", methods=["POST"])
@auth.roles_required(Role.ENLACE)
@rate_limited("acceso")
def issue() -> Any:
    """Sign an oficio with the selected (or all) ready requests, after a TOTP code."""
    principal = g.principal
    ids = form_ids("request_id", limit=services.MAX_ITEMS)
    if request.form.get("all") == "on":
        ids = [r.id for r in services.ready_requests(principal)]
    if request.form.get("preview"):
        # The oficio as it would be signed, on this page, before any code: nothing changes.
        try:
            draft = services.draft(principal=principal, request_ids=ids,
                                   subject=request.form.get("subject", "")[:400])
        except ValidationError as exc:
            return _index(error=exc.message, errors=exc.fields, status=400, selected=ids)
        return _index(selected=ids, preview=draft)
    try:
        oficio = services.issue(principal=principal, user=auth.current_user(), request_ids=ids,
                                subject=request.form.get("subject", "")[:400],
                                code=request.form.get("code", "")[:20], ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _index(
            error=exc.message, errors={"code": exc.message}, status=exc.status, selected=ids)
    except ValidationError as exc:
        db.rollback()
        return _index(error=exc.message, errors=exc.fields, status=400, selected=ids)
    db.commit()
    flash(f"Oficio {oficio.number} firmado y enviado al Departamento de Informática.", "ok")
    return redirect(url_for("oficios.detail", oficio_id=oficio.id))


def detail_page(oficio: Any, *, error: str | None = None, status: int = 200) -> Any:
    principal = g.principal
    services.record_view(oficio, actor=principal.actor(client_ip()))
    db.commit()
    liaison = oficio.jurisdiction_code in principal.jurisdictions(Role.ENLACE)
    is_it = principal.has(*services.IT_ROLES)
    envio = oficio.kind == ENVIO
    requests = services.requests_of(oficio, live_only=False)
    return render_template(
        "oficios/detail.html", oficio=oficio, requests=requests,
        addressee=services.addressee_lines(oficio),
        user_names={} if envio else services.user_names(requests),
        can_acknowledge=is_it and oficio.status == SENT and envio,
        can_acknowledge_reply=liaison and oficio.status == SENT and not envio,
        can_cancel=oficio.status == SENT and envio and liaison,
        it_accounts=is_it and envio and oficio.status == RECEIVED,
        in_reply_to=db.get(Oficio, oficio.in_reply_to_id) if oficio.in_reply_to_id else None,
        replies=services.replies_to(oficio) if envio else [], kinds=KIND_LABELS,
        error=error), status


@bp.route("/oficios/<int:oficio_id>")
@auth.roles_required(Role.ENLACE, *services.SERVICE_WIDE)
def detail(oficio_id: int) -> Any:
    """One oficio: header, annex, signature, acuse (404 outside the viewer's scope)."""
    return detail_page(services.get_for(g.principal, oficio_id))


@bp.route("/oficios/<int:oficio_id>/cancelar", methods=["POST"])
@auth.roles_required(Role.ENLACE)
def cancel(oficio_id: int) -> Any:
    """Withdraw an oficio not yet acknowledged."""
    principal = g.principal
    oficio = services.get_for(principal, oficio_id)
    services.cancel(oficio, principal=principal, reason=request.form.get("reason", "")[:600],
                    ip=client_ip())
    db.commit()
    flash(f"Oficio {oficio.number} cancelado; sus solicitudes quedaron listas otra vez.", "ok")
    return redirect(url_for("oficios.index"))


@bp.route("/oficios/<int:oficio_id>/acuse", methods=["POST"])
@auth.roles_required(*services.IT_ROLES)
def acknowledge(oficio_id: int) -> Any:
    """Record the acuse de recibo."""
    principal = g.principal
    oficio = services.get_for(principal, oficio_id)
    services.acknowledge(oficio, principal=principal, user=auth.current_user(), ip=client_ip())
    db.commit()
    flash(f"Acuse de recibo del oficio {oficio.number} registrado.", "ok")
    return redirect(url_for("oficios.detail", oficio_id=oficio.id))
