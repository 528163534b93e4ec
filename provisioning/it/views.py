"""IT pages: requests waiting for their account, bulk creation, progress, retry and cancel,
and the confirmation (or rejection) of a link to a risky existing account."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from provisioning import audit, db, wording
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import services as approvals
from provisioning.config import current as settings
from provisioning.directory.accounts import ACCOUNTDISABLE
from provisioning.errors import NotFound, ValidationError
from provisioning.it import replies, services, troubles
from provisioning.it.models import PENDING
from provisioning.oficios import services as oficios
from provisioning.oficios.models import ENVIO, RESPUESTA
from provisioning.spreadsheet import cell, csv_text
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, form_ids, positive_id, rate_limited

bp = Blueprint("it", __name__)

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
    """Requests received by IT and those whose account exists, with their job status, a
    page at a time (?desde=<last id>: keyset, oldest first)."""
    after_id = positive_id(request.args.get("desde"))
    found = services.rows(after=after_id, limit=services.QUEUE_PAGE + 1)
    rows, more = found[:services.QUEUE_PAGE], len(found) > services.QUEUE_PAGE
    audit.record("directory.queue_viewed", actor=_actor(), object_type="request",
                 object_id="informatica",
                 summary=f"Consulta de las solicitudes en Informática ({len(rows)})",
                 details={"count": len(rows), "folios": [r.request.folio for r in rows]})
    db.commit()
    return render_template("it/queue.html", rows=rows, pending=services.pending_count(),
                           configured=services.configured(), after=after_id,
                           next_after=rows[-1].request.id if more else None)


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
    return redirect(url_for("it.batch_page", batch_id=result.batch.id))


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
    return render_template("it/batch.html", batch=batch, progress=progress, rows=rows,
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
    return redirect(back or url_for("it.queue_page"))


@bp.route("/informatica/tareas")
@auth.roles_required(*IT_ROLES)
def troubles_page() -> Any:
    """Failed, retrying, stuck and waiting jobs, with what each was about."""
    rows = troubles.troubles(actor=_actor())
    db.commit()
    return render_template("it/troubles.html", rows=rows)


@bp.route("/informatica/tareas/<int:job_id>/<action>", methods=["POST"])
@auth.roles_required(*IT_ROLES)
def trouble_action(job_id: int, action: str) -> Any:
    """Retry or discard one unfinished job (audited)."""
    if action not in ("reintentar", "descartar"):
        abort(404)
    job = troubles.act(job_id, action, actor=_actor())
    db.commit()
    flash(f"Tarea {job.id} {'en cola de nuevo' if action == 'reintentar' else 'descartada'}.",
          "ok")
    return redirect(url_for("it.troubles_page"))


def _review_page(target: AccountRequest, *, error: str | None = None,
                 errors: dict[str, str] | None = None, status: int = 200) -> Any:
    review = services.latest_review(target)
    if review is None:
        abort(404)
    approvals.record_view(target, actor=_actor())
    db.commit()
    return render_template(
        "it/link_review.html", r=target, review=review,
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
    return redirect(url_for("it.queue_page"))


def _oficio_inbox(*, error: str | None = None, status: int = 200,
                  chosen: set[int] | None = None) -> Any:
    return render_template("it/oficio_inbox.html", pending=oficios.it_inbox(),
                           recent=oficios.oficios_for(g.principal, kind=ENVIO,
                                                       limit=50),
                           replies=oficios.oficios_for(g.principal, kind=RESPUESTA, limit=50),
                           error=error, chosen=chosen or set(),
                           batch_limit=oficios.BATCH_LIMIT), status


@bp.route("/informatica/oficios")
@auth.roles_required(*oficios.IT_ROLES)
def oficios_inbox() -> Any:
    """Oficios received by the Departamento de Informática and waiting for the acuse."""
    return _oficio_inbox()


def _chosen_oficios() -> tuple[list[int], list[Any]]:
    """The oficios ticked in the inbox (field ``oficio_id``), each looked up in the
    principal's scope (404 for one that does not exist)."""
    ids = list(dict.fromkeys(form_ids("oficio_id", limit=oficios.BATCH_LIMIT)))
    return ids, [oficios.get_for(g.principal, i) for i in ids]


@bp.route("/informatica/oficios/acuse", methods=["POST"])
@auth.roles_required(*oficios.IT_ROLES)
def acknowledge_oficios() -> Any:
    """The acuse de recibo of the oficios ticked in the inbox, all or none."""
    ids, chosen = _chosen_oficios()
    try:
        oficios.acknowledge_batch(chosen, principal=g.principal, user=auth.current_user(),
                                  ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        return _oficio_inbox(error=exc.message, status=400, chosen=set(ids))
    db.commit()
    flash(f"Acuse de recibo registrado: {wording.count(len(chosen), 'oficio')} "
          f"({', '.join(o.number for o in chosen)}).", "ok")
    return redirect(url_for("it.oficios_inbox"))


@bp.route("/informatica/oficios/crear-cuentas", methods=["POST"])
@auth.roles_required(*oficios.IT_ROLES)
def provision_oficios() -> Any:
    """Queue account creation for every waiting request of the oficios ticked, in one
    batch, all or none."""
    ids, chosen = _chosen_oficios()
    for oficio in chosen:
        if oficio.kind != ENVIO:
            raise NotFound("No encontramos ese oficio de envío.")
    try:
        result = services.queue_oficios(chosen, actor=_it_actor())
    except ValidationError as exc:
        db.rollback()
        return _oficio_inbox(error=exc.message, status=400, chosen=set(ids))
    db.commit()
    flash(f"{wording.count(len(result.queued), 'solicitud enviada', 'solicitudes enviadas')} "
          f"a crear su cuenta, de {wording.count(len(chosen), 'oficio')}.", "ok")
    return redirect(url_for("it.batch_page", batch_id=result.batch.id))


# ---------------------------------------------------------------------------------------------
# IT: the accounts of a received oficio, and the reply oficio

REFRESH_SECONDS = 3


def _it_actor() -> Any:
    role = Role.INFORMATICA if g.principal.has(Role.INFORMATICA) else Role.JEFE_INFORMATICA
    return g.principal.actor(client_ip(), role)


def _envio(oficio_id: int) -> Any:
    oficio = oficios.get_for(g.principal, oficio_id)
    if oficio.kind != ENVIO:
        raise NotFound("No encontramos ese oficio de envío.")
    return oficio


@bp.route("/informatica/oficios/<int:oficio_id>/cuentas")
@auth.roles_required(*oficios.IT_ROLES)
def oficio_accounts(oficio_id: int) -> Any:
    """The oficio's accounts: progress while the worker runs, created / linked / failed."""
    oficio = _envio(oficio_id)
    accounts = replies.accounts_of(oficio)
    approvals.record_list_view([r.request for r in accounts.rows], actor=_it_actor(),
                               where=f"cuentas del oficio {oficio.number}")
    db.commit()
    return render_template(
        "it/oficio_accounts.html", oficio=oficio, accounts=accounts,
        progress=accounts.progress, rows=accounts.rows,
        refresh=None if accounts.progress.finished else REFRESH_SECONDS,
        can_sign=g.principal.has(replies.SIGNER_ROLE))


@bp.route("/informatica/oficios/<int:oficio_id>/cuentas.csv")
@auth.roles_required(*oficios.IT_ROLES)
def oficio_accounts_csv(oficio_id: int) -> Any:
    """The oficio's requests and their accounts as CSV (no secret: Alta has none to give)."""
    oficio = _envio(oficio_id)
    accounts = replies.accounts_of(oficio)
    approvals.record_list_view([r.request for r in accounts.rows], actor=_it_actor(),
                               where=f"exportación CSV de las cuentas del oficio {oficio.number}")
    db.commit()
    header = ["folio", "nombre", "unidad_clues", "usuario", "upn", "origen", "estado"]
    lines = [header] + [[cell(v) for v in (
        row.request.folio, row.request.full_name, row.request.unit_clues,
        row.account.sam_account_name if row.account else "",
        (row.account.user_principal_name or "") if row.account else "",
        ("creada por Alta" if row.account.created else "vinculada") if row.account else "",
        row.status_text)] for row in accounts.rows]
    name = re.sub(r"[^A-Za-z0-9-]+", "-", oficio.number)
    return Response("\ufeff" + csv_text(lines), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="cuentas-{name}.csv"'})


@bp.route("/informatica/oficios/<int:oficio_id>/crear-cuentas", methods=["POST"])
@auth.roles_required(*oficios.IT_ROLES)
def provision_oficio(oficio_id: int) -> Any:
    """Queue account creation for every request of the received oficio."""
    oficio = _envio(oficio_id)
    result = services.queue_oficio(oficio, actor=_it_actor())
    db.commit()
    message = (f"{len(result.queued)} solicitudes del oficio {oficio.number} enviadas a crear "
               "su cuenta.")
    if result.skipped:
        message += f" Omitidas: {len(result.skipped)}."
    flash(message, "ok")
    return redirect(url_for("it.oficio_accounts", oficio_id=oficio.id))


def _reply_form(oficio: Any, *, error: str | None = None, status: int = 200) -> Any:
    accounts = replies.accounts_of(oficio)
    ready = accounts.ready_for_reply
    approvals.record_list_view(ready, actor=_it_actor(),
                               where=f"respuesta al oficio {oficio.number}")
    db.commit()
    return render_template(
        "it/oficio_reply.html", oficio=oficio, accounts=accounts, ready=ready,
        user_names=oficios.user_names(ready), can_sign=g.principal.has(replies.SIGNER_ROLE),
        subject=request.form.get("subject") or settings().oficios.respuesta_subject,
        error=error), status


@bp.route("/informatica/oficios/<int:oficio_id>/respuesta", methods=["GET"])
@auth.roles_required(*oficios.IT_ROLES)
def reply_form(oficio_id: int) -> Any:
    """The accounts ready for the reply oficio, and (for the head of IT) the signing form."""
    return _reply_form(_envio(oficio_id))


@bp.route("/informatica/oficios/<int:oficio_id>/respuesta", methods=["POST"])
@auth.roles_required(replies.SIGNER_ROLE)
@rate_limited("acceso")
def reply_sign(oficio_id: int) -> Any:
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
