"""Signature inbox and request pages for staff (the applicant's correction and cancellation
pages are in ``provisioning.applicant``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from provisioning import db
from provisioning.account_requests import workflow
from provisioning.approvals import rules, services
from provisioning.catalogs import services as catalogs
from provisioning.errors import ValidationError
from provisioning.jobs import services as jobs
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, rate_limited

bp = Blueprint("approvals", __name__)

ANY_STAFF = tuple(Role)


def _field(name: str, limit: int = 600) -> str:
    return request.form.get(name, "")[:limit]


# ---------------------------------------------------------------------------------------------
# Staff


@bp.route("/firmas")
@auth.roles_required(*services.SIGNER_ROLES)
def inbox() -> Any:
    """Requests waiting for the signed-in person's signature, oldest first."""
    return _inbox_page()


def _inbox_page(*, error: str | None = None, status: int = 200,
                chosen: set[int] | None = None) -> Any:
    principal = g.principal
    # Out of range or not a number: the service clamps it to the nearest page.
    pending = services.inbox(principal, page=request.args.get("pagina", 1, type=int))
    # The unit's other requests (those not waiting for this person: they are in the inbox).
    recent = [r for r in services.recent_for_units(principal)
              if services.my_turn(principal, r) is None] if pending.page == 1 else []
    services.record_list_view([*pending.rows, *recent], actor=principal.actor(client_ip()),
                              where="firmas")
    db.commit()
    return render_template("approvals/inbox.html", pending=pending, recent=recent,
                           error=error, chosen=chosen or set(),
                           batch_limit=services.BATCH_LIMIT), status



@bp.route("/firmas/lote", methods=["POST"])
@auth.roles_required(*services.SIGNER_ROLES)
@rate_limited("acceso")
def sign_batch() -> Any:
    """Sign the requests ticked in the inbox with one fresh TOTP code."""
    principal = g.principal
    raw = request.form.getlist("request_id")[:services.BATCH_LIMIT + 1]
    try:
        ids = list(dict.fromkeys(int(v) for v in raw))
    except ValueError:
        abort(400)
    chosen = [services.get_for(principal, i) for i in ids]
    try:
        signed = services.sign_batch(chosen, principal=principal, user=auth.current_user(),
                                     code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _inbox_page(error=exc.message, status=exc.status,
                                                        chosen=set(ids))
    except ValidationError as exc:
        db.rollback()
        return _inbox_page(error=exc.message, status=400, chosen=set(ids))
    db.commit()
    flash(f"{len(signed)} solicitud{'es' if len(signed) != 1 else ''} "
          f"firmada{'s' if len(signed) != 1 else ''} con un solo código.", "ok")
    return redirect(url_for("approvals.inbox"))


def _detail(account_request: Any, *, error: str | None = None, status: int = 200,
            errors: dict[str, str] | None = None) -> Any:
    principal = g.principal
    services.record_view(account_request, actor=principal.actor(client_ip()))
    db.commit()
    return render_template(
        "approvals/detail.html", r=account_request, unit_name=services.unit_name(account_request),
        labels=catalogs.request_labels(account_request),
        chain=rules.chain(account_request), request_type=rules.REQUEST_TYPES[
            rules.request_type(account_request)],
        signatures=services.signatures(account_request, live_only=False),
        history=workflow.history(account_request), turn=services.my_turn(principal,
                                                                          account_request),
        content_sha256=services.content_hash(account_request), error=error,
        errors=errors or {},
        jobs=[(jobs.kind_label(j.kind), jobs.status_text(j), j)
              for j in jobs.of_object("request", str(account_request.id))],
        it_viewer=principal.has(Role.INFORMATICA, Role.JEFE_INFORMATICA)), status


@bp.route("/solicitudes/<int:request_id>")
@auth.roles_required(*ANY_STAFF)
def detail(request_id: int) -> Any:
    """One request with its signatures and history (404 outside the viewer's scope)."""
    return _detail(services.get_for(g.principal, request_id))


@bp.route("/solicitudes/<int:request_id>/firmar", methods=["POST"])
@auth.roles_required(*services.SIGNER_ROLES)
@rate_limited("acceso")
def sign(request_id: int) -> Any:
    """Sign with a fresh TOTP code (step-up)."""
    account_request = services.get_for(g.principal, request_id)
    try:
        services.sign(account_request, principal=g.principal, user=auth.current_user(),
                      code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _detail(
            account_request, error=exc.message, status=exc.status, errors={"code": exc.message})
    db.commit()
    flash(f"Solicitud {account_request.folio} firmada.", "ok")
    return redirect(url_for("approvals.inbox"))


def _decide(request_id: int, operation: Any, done: str) -> Any:
    account_request = services.get_for(g.principal, request_id)
    try:
        operation(account_request, principal=g.principal, reason=_field("reason", 600),
                  ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        return _detail(account_request, error=exc.message, status=400, errors=exc.fields)
    db.commit()
    flash(f"Solicitud {account_request.folio} {done}.", "ok")
    return redirect(url_for("approvals.inbox"))


@bp.route("/solicitudes/<int:request_id>/devolver", methods=["POST"])
@auth.roles_required(*services.SIGNER_ROLES)
def return_request(request_id: int) -> Any:
    """Return for correction with a reason."""
    return _decide(request_id, services.return_for_correction, "devuelta para corrección")


@bp.route("/solicitudes/<int:request_id>/rechazar", methods=["POST"])
@auth.roles_required(*services.SIGNER_ROLES)
def reject(request_id: int) -> Any:
    """Reject with a reason."""
    return _decide(request_id, services.reject, "rechazada")
