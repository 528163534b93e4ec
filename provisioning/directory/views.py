"""IT pages: requests waiting for their account, bulk creation, progress, retry and cancel,
and the confirmation (or rejection) of a link to a risky existing account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from provisioning import audit, db
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import services as approvals
from provisioning.directory import services
from provisioning.directory.accounts import ACCOUNTDISABLE
from provisioning.directory.models import PENDING
from provisioning.errors import ValidationError
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, rate_limited

bp = Blueprint("directory", __name__)

IT_ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)
REFRESH_SECONDS = 3
MAX_SELECTION = 2000


def _actor() -> audit.Actor:
    role = next(r for r in IT_ROLES if g.principal.has(r))
    return g.principal.actor(client_ip(), role)


def _selected_ids() -> list[int]:
    values = request.form.getlist("solicitud")
    if len(values) > MAX_SELECTION:
        abort(413)
    try:
        return [int(v) for v in values]
    except ValueError:
        abort(400)


def _request(request_id: int) -> AccountRequest:
    found = db.get(AccountRequest, request_id)
    if found is None:
        abort(404)
    return found


@bp.route("/informatica/cuentas")
@auth.roles_required(*IT_ROLES)
def queue_page() -> Any:
    """Requests received by IT and those whose account exists, with their job status."""
    rows = services.rows()
    audit.record("directory.queue_viewed", actor=_actor(), object_type="request",
                 object_id="informatica",
                 summary=f"Consulta de las solicitudes en Informática ({len(rows)})",
                 details={"count": len(rows)})
    db.commit()
    pending = [r for r in rows if r.request.status == RequestStatus.RECIBIDA_INFORMATICA]
    return render_template("directory/queue.html", rows=rows, pending=pending,
                           configured=services.configured())


@bp.route("/informatica/cuentas/crear", methods=["POST"])
@auth.roles_required(*IT_ROLES)
def queue_selected() -> Any:
    """Queue account creation for the chosen requests (or every pending one)."""
    if request.form.get("todas"):
        ids = [r.request.id for r in services.rows(states=[RequestStatus.RECIBIDA_INFORMATICA])
               if r.account is None]
    else:
        ids = _selected_ids()
    result = services.queue_provisioning(ids, actor=_actor())
    db.commit()
    message = f"{len(result.queued)} solicitudes enviadas a crear su cuenta."
    if result.skipped:
        message += " Omitidas: " + "; ".join(f"{who} ({why})" for who, why in result.skipped[:10])
        if len(result.skipped) > 10:
            message += f" y {len(result.skipped) - 10} más"
    flash(message, "ok")
    return redirect(url_for("directory.batch_page", batch_id=result.batch.id))


@bp.route("/informatica/lotes/<int:batch_id>")
@auth.roles_required(*IT_ROLES)
def batch_page(batch_id: int) -> Any:
    """Progress of one batch; refreshes itself until nothing is waiting."""
    batch = services.batch(batch_id)
    ids = batch.request_ids
    progress = services.progress(ids)
    rows = services.rows(request_ids=ids)
    audit.record("directory.batch_viewed", actor=_actor(), object_type="directory_batch",
                 object_id=batch.id, summary=f"Consulta del avance del lote {batch.id}",
                 details={"count": len(ids)})
    db.commit()
    return render_template("directory/batch.html", batch=batch, progress=progress, rows=rows,
                           refresh=None if progress.finished else REFRESH_SECONDS)


@bp.route("/informatica/solicitudes/<int:request_id>/<action>", methods=["POST"])
@auth.roles_required(*IT_ROLES)
def request_action(request_id: int, action: str) -> Any:
    """Retry or cancel one request's account creation."""
    target = _request(request_id)
    if action == "reintentar":
        services.retry(target, actor=_actor())
        message = f"Solicitud {target.folio}: creación de la cuenta en cola de nuevo."
    elif action == "cancelar":
        services.cancel(target, actor=_actor())
        message = f"Solicitud {target.folio}: creación de la cuenta cancelada."
    else:
        abort(404)
    db.commit()
    flash(message, "ok")
    back = auth.safe_next(request.form.get("next"))
    return redirect(back or url_for("directory.queue_page"))


def _review_page(target: AccountRequest, *, error: str | None = None,
                 errors: dict[str, str] | None = None, status: int = 200) -> Any:
    review = services.latest_review(target)
    if review is None:
        abort(404)
    approvals.record_view(target, actor=_actor())
    db.commit()
    return render_template(
        "directory/link_review.html", r=target, review=review,
        reasons=services.reasons_text(review),
        disabled=bool(review.user_account_control & ACCOUNTDISABLE),
        pending=review.status == PENDING, error=error, errors=errors or {}), status


@bp.route("/informatica/solicitudes/<int:request_id>/vinculo")
@auth.roles_required(*IT_ROLES)
def link_review(request_id: int) -> Any:
    """The existing account provisioning did not link on its own: DN, state and why."""
    return _review_page(_request(request_id))


# decision in the URL → (service, form field, its length limit, what the flash says)
LINK_DECISIONS = {
    "confirmar": (services.confirm_link, "code", 20,
                  "confirmado; la creación sigue en la cola"),
    "rechazar": (services.reject_link, "reason", 600, "rechazado; la cuenta no se tocó"),
}


@bp.route("/informatica/solicitudes/<int:request_id>/vinculo/<decision>", methods=["POST"])
@auth.roles_required(*IT_ROLES)
@rate_limited("acceso")
def link_decision(request_id: int, decision: str) -> Any:
    """Confirm (fresh TOTP code) or reject (reason) the link to the existing account."""
    target = _request(request_id)
    if decision not in LINK_DECISIONS:
        abort(404)
    operation, field, limit, outcome = LINK_DECISIONS[decision]
    try:
        review = operation(target, principal=g.principal, user=auth.current_user(),
                           ip=client_ip(), **{field: request.form.get(field, "")[:limit]})
        message = (f"Solicitud {target.folio}: vínculo con la cuenta "
                   f"{review.sam_account_name} {outcome}.")
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _review_page(
            target, error=exc.message, errors={"code": exc.message}, status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _review_page(target, error=exc.message, errors=exc.fields, status=400)
    db.commit()
    flash(message, "ok")
    return redirect(url_for("directory.queue_page"))
