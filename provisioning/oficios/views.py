"""The liaison's oficio pages; the Departamento de Informática's inbox, acuse, accounts of a
received oficio and reply oficio; the liaison's acuse of the reply."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db
from provisioning.approvals import services as approvals
from provisioning.config import current as settings
from provisioning.errors import NotFound, ValidationError
from provisioning.oficios import replies, services
from provisioning.oficios.models import ENVIO, KIND_LABELS, RECEIVED, RESPUESTA, SENT, Oficio
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, form_ids, rate_limited

bp = Blueprint("oficios", __name__)


def _index(*, error: str | None = None, errors: dict[str, str] | None = None,
           status: int = 200, selected: list[int] | None = None) -> Any:
    principal = g.principal
    ready = services.ready_requests(principal)
    approvals.record_list_view(ready, actor=principal.actor(client_ip()), where="oficios")
    db.commit()
    return render_template("oficios/index.html", ready=ready,
                           oficios=services.oficios_for(principal, kind=services.ENVIO),
                           replies=services.oficios_for(principal, kind=RESPUESTA),
                           is_liaison=principal.has(Role.ENLACE), error=error,
                           errors=errors or {}, selected=set(selected or []),
                           subject=request.form.get("subject") or settings().oficios.subject,
                           kinds=KIND_LABELS), status


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
        user_names={} if envio else services.user_names(requests),
        can_acknowledge=is_it and oficio.status == SENT and envio,
        can_acknowledge_reply=liaison and oficio.status == SENT and not envio,
        can_cancel=oficio.status == SENT and envio and liaison,
        it_accounts=is_it and envio and oficio.status == RECEIVED,
        in_reply_to=db.get(Oficio, oficio.in_reply_to_id) if oficio.in_reply_to_id else None,
        replies=replies.replies_to(oficio) if envio else [], kinds=KIND_LABELS,
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


@bp.route("/informatica/oficios")
@auth.roles_required(*services.IT_ROLES)
def it_inbox() -> Any:
    """Oficios received by the Departamento de Informática and waiting for the acuse."""
    return render_template("oficios/it_inbox.html", pending=services.it_inbox(),
                           recent=services.oficios_for(g.principal, kind=services.ENVIO,
                                                       limit=50),
                           replies=services.oficios_for(g.principal, kind=RESPUESTA, limit=50))


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


# ---------------------------------------------------------------------------------------------
# IT: the accounts of a received oficio, and the reply oficio

REFRESH_SECONDS = 3


def _it_actor() -> Any:
    role = Role.INFORMATICA if g.principal.has(Role.INFORMATICA) else Role.JEFE_INFORMATICA
    return g.principal.actor(client_ip(), role)


def _envio(oficio_id: int) -> Any:
    oficio = services.get_for(g.principal, oficio_id)
    if oficio.kind != ENVIO:
        raise NotFound("No encontramos ese oficio de envío.")
    return oficio


@bp.route("/informatica/oficios/<int:oficio_id>/cuentas")
@auth.roles_required(*services.IT_ROLES)
def it_accounts(oficio_id: int) -> Any:
    """The oficio's accounts: progress while the worker runs, created / linked / failed."""
    oficio = _envio(oficio_id)
    accounts = replies.accounts_of(oficio)
    approvals.record_list_view([r.request for r in accounts.rows], actor=_it_actor(),
                               where=f"cuentas del oficio {oficio.number}")
    db.commit()
    return render_template(
        "oficios/it_accounts.html", oficio=oficio, accounts=accounts,
        progress=accounts.progress, rows=accounts.rows,
        refresh=None if accounts.progress.finished else REFRESH_SECONDS,
        can_sign=g.principal.has(replies.SIGNER_ROLE))


@bp.route("/informatica/oficios/<int:oficio_id>/crear-cuentas", methods=["POST"])
@auth.roles_required(*services.IT_ROLES)
def it_provision(oficio_id: int) -> Any:
    """Queue account creation for every request of the received oficio."""
    oficio = _envio(oficio_id)
    result = replies.provision_all(oficio, actor=_it_actor())
    db.commit()
    message = (f"{len(result.queued)} solicitudes del oficio {oficio.number} enviadas a crear "
               "su cuenta.")
    if result.skipped:
        message += f" Omitidas: {len(result.skipped)}."
    flash(message, "ok")
    return redirect(url_for("oficios.it_accounts", oficio_id=oficio.id))


def _reply_form(oficio: Any, *, error: str | None = None, status: int = 200) -> Any:
    accounts = replies.accounts_of(oficio)
    ready = accounts.ready_for_reply
    approvals.record_list_view(ready, actor=_it_actor(),
                               where=f"respuesta al oficio {oficio.number}")
    db.commit()
    return render_template(
        "oficios/it_reply.html", oficio=oficio, accounts=accounts, ready=ready,
        user_names=services.user_names(ready), can_sign=g.principal.has(replies.SIGNER_ROLE),
        subject=request.form.get("subject") or settings().oficios.respuesta_subject,
        error=error), status


@bp.route("/informatica/oficios/<int:oficio_id>/respuesta", methods=["GET"])
@auth.roles_required(*services.IT_ROLES)
def it_reply_form(oficio_id: int) -> Any:
    """The accounts ready for the reply oficio, and (for the head of IT) the signing form."""
    return _reply_form(_envio(oficio_id))


@bp.route("/informatica/oficios/<int:oficio_id>/respuesta", methods=["POST"])
@auth.roles_required(replies.SIGNER_ROLE)
@rate_limited("acceso")
def it_reply_sign(oficio_id: int) -> Any:
    """Sign the reply oficio with a fresh TOTP code."""
    oficio = _envio(oficio_id)
    try:
        reply = replies.issue_reply(oficio, principal=g.principal, user=auth.current_user(),
                                    subject=request.form.get("subject", "")[:400],
                                    code=request.form.get("code", "")[:20], ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _reply_form(oficio, error=exc.message,
                                                        status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _reply_form(oficio, error=exc.message, status=400)
    db.commit()
    flash(f"Oficio de respuesta {reply.number} firmado y enviado al enlace jurisdiccional.", "ok")
    return redirect(url_for("oficios.detail", oficio_id=reply.id))
