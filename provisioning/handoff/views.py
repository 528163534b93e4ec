"""Hand-off pages: the custody inbox (/entregas) for liaisons, unit heads and responsables,
delivery in person with the printable slip, and the public activation page (/activar)."""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db, timeutil, wording
from provisioning.approvals import services as approvals
from provisioning.config import current as settings
from provisioning.directory.errors import PasswordRejected
from provisioning.errors import NotFound, ValidationError
from provisioning.handoff import custody, rules, services
from provisioning.handoff.services import ActivationRefused
from provisioning.notifications.services import link
from provisioning.oficios import services as oficios
from provisioning.oficios.models import RESPUESTA, SENT
from provisioning.oficios.views import detail_page as oficio_page
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, form_ids, rate_limited

bp = Blueprint("handoff", __name__)

CUSTODY_ROLES = (Role.ENLACE, *services.DELIVERING_ROLES)


def _field(name: str, limit: int = 600) -> str:
    return request.form.get(name, "")[:limit]


# ---------------------------------------------------------------------------------------------
# Custody inbox


def _inbox(*, error: str | None = None, errors: dict[str, str] | None = None,
           status: int = 200) -> Any:
    principal = g.principal
    held = custody.held_by_liaison(principal)
    receipts = custody.pending_receipts(principal)
    to_deliver = custody.to_deliver(principal)
    delivered = custody.delivered(principal)
    replies = [o for o in oficios.oficios_for(principal, kind=RESPUESTA)
               if o.status == SENT] if principal.has(Role.ENLACE) else []
    shown = [*held, *to_deliver, *delivered,
             *(r for t in receipts for r in custody.requests_of(t))]
    approvals.record_list_view(shown, actor=principal.actor(client_ip()), where="entregas")
    db.commit()
    return render_template(
        "handoff/inbox.html", held=held, receipts=receipts, to_deliver=to_deliver,
        delivered=delivered, replies=replies, requests_of=custody.requests_of,
        receiver_label=custody.receiver_label, live_code=services.live_code,
        holder=lambda r: rules.final_holder(r).label,
        is_liaison=principal.has(Role.ENLACE), error=error, errors=errors or {}), status


@bp.route("/entregas")
@auth.roles_required(*CUSTODY_ROLES)
def inbox() -> Any:
    """Accounts in the signed-in person's care: to release, to receive, to deliver."""
    return _inbox()


@bp.route("/entregas/liberar", methods=["POST"])
@auth.roles_required(Role.ENLACE)
@rate_limited("acceso")
def release() -> Any:
    """The liaison hands the selected (or all) accounts to whoever delivers them."""
    principal = g.principal
    ids = form_ids("request_id", limit=custody.MAX_RELEASE)
    if request.form.get("all") == "on":
        ids = [r.id for r in custody.held_by_liaison(principal)]
    try:
        transfers = custody.release(principal=principal, user=auth.current_user(),
                                    request_ids=ids, code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _inbox(error=exc.message,
                                                   errors={"code": exc.message},
                                                   status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _inbox(error=exc.message, errors=exc.fields, status=400)
    db.commit()
    count = sum(len(t.items) for t in transfers)
    flash(f"{wording.count(count, 'cuenta')} para {wording.count(len(transfers), 'responsable')}"
          " de su entrega en persona; cada uno debe confirmar que las recibió.", "ok")
    return redirect(url_for("handoff.inbox"))


@bp.route("/entregas/<int:transfer_id>/recibir", methods=["POST"])
@auth.roles_required(*services.DELIVERING_ROLES)
@rate_limited("acceso")
def receive(transfer_id: int) -> Any:
    """Confirm receiving the accounts of a transfer (TOTP)."""
    principal = g.principal
    transfer = custody.get_for_receiver(principal, transfer_id)
    try:
        requests = custody.receive(transfer, principal=principal, user=auth.current_user(),
                                   code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _inbox(
            error=exc.message, errors={f"code-{transfer.id}": exc.message}, status=exc.status)
    db.commit()
    flash(f"Recepción confirmada: {wording.count(len(requests), 'cuenta')} bajo su resguardo "
          "para entregar en persona.", "ok")
    return redirect(url_for("handoff.inbox"))


@bp.route("/entregas/recibir", methods=["POST"])
@auth.roles_required(*services.DELIVERING_ROLES)
@rate_limited("acceso")
def receive_batch() -> Any:
    """Confirm receiving the transfers ticked, with one TOTP code, all or none."""
    principal = g.principal
    ids = list(dict.fromkeys(form_ids("transfer_id", limit=custody.MAX_RECEIPTS)))
    transfers = [custody.get_for_receiver(principal, i) for i in ids]
    try:
        requests = custody.receive_batch(transfers, principal=principal,
                                         user=auth.current_user(), code=_field("code", 20),
                                         ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _inbox(
            error=exc.message, errors={"code-lote": exc.message}, status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _inbox(error=exc.message, errors={"code-lote": exc.message}, status=400)
    db.commit()
    flash(f"Recepción confirmada de {wording.count(len(transfers), 'entrega')}: "
          f"{wording.count(len(requests), 'cuenta')} bajo su resguardo para entregar en "
          "persona.", "ok")
    return redirect(url_for("handoff.inbox"))


@bp.route("/oficios/acuse-respuestas", methods=["POST"])
@auth.roles_required(Role.ENLACE)
@rate_limited("acceso")
def acknowledge_replies() -> Any:
    """The liaison acknowledges the reply oficios ticked in «Entregas», with one TOTP
    code, all or none."""
    principal = g.principal
    ids = list(dict.fromkeys(form_ids("oficio_id", limit=oficios.BATCH_LIMIT)))
    chosen = [oficios.get_for(principal, i) for i in ids]
    try:
        transfers = custody.acknowledge_replies(chosen, principal=principal,
                                                user=auth.current_user(),
                                                code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _inbox(
            error=exc.message, errors={"code-respuestas": exc.message}, status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _inbox(error=exc.message, errors={"code-respuestas": exc.message}, status=400)
    db.commit()
    count = sum(len(t.items) for t in transfers)
    flash(f"Acuse de recibo de {wording.count(len(chosen), 'oficio')} de respuesta: "
          f"{wording.count(count, 'cuenta')} quedaron bajo su resguardo.", "ok")
    return redirect(url_for("handoff.inbox"))


# ---------------------------------------------------------------------------------------------
# Delivery in person


def _delivery_page(account_request: Any, *, error: str | None = None,
                   errors: dict[str, str] | None = None, status: int = 200) -> Any:
    principal = g.principal
    approvals.record_view(account_request, actor=principal.actor(client_ip()))
    db.commit()
    return render_template(
        "handoff/deliver.html", r=account_request, unit_name=approvals.unit_name(account_request),
        user_name=services.user_name(account_request),
        codes=services.codes_of(account_request), live=services.live_code(account_request),
        id_documents=services.ID_DOCUMENTS, error=error, errors=errors or {},
        now=timeutil.now()), status


@bp.route("/entregas/cuentas/<int:request_id>")
@auth.roles_required(*services.DELIVERING_ROLES)
def delivery(request_id: int) -> Any:
    """Identity check screen: CURP and name to compare with the person's official ID."""
    return _delivery_page(services.get_for_holder(g.principal, request_id))


def _slip(slip: services.Slip) -> Any:
    url = link(url_for("handoff.activate", usuario=slip.user_name))
    qr_svg = segno.make(url, error="m").svg_inline(scale=3, title="Código QR de activación")
    return render_template("handoff/slip.html", slip=slip, url=url, qr_svg=qr_svg,
                           base=link(url_for("handoff.activate")),
                           preregistro=link(url_for("preregistration.sign_in")),
                           backoff_after=settings().handoff.code_backoff_after)


def _deliver(request_id: int, operation: Any, **extra: Any) -> Any:
    principal = g.principal
    account_request = services.get_for_holder(principal, request_id)
    try:
        slip = operation(account_request, principal=principal, user=auth.current_user(),
                         code=_field("code", 20), id_document=_field("id_document", 20),
                         identity_confirmed=request.form.get("identity") == "on",
                         ip=client_ip(), **extra)
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _delivery_page(
            account_request, error=exc.message, errors={"code": exc.message},
            status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _delivery_page(account_request, error=exc.message, errors=exc.fields,
                              status=400)
    db.commit()
    if slip.delivery.sheet_sealed is None:  # [handoff].sheet_minutes = 0: shown only here
        return _slip(slip)
    # Post/redirect/get: a refresh or «back» reopens the sheet (for its holder, a while)
    # instead of posting the delivery again; the code never goes in a URL.
    return redirect(url_for("handoff.sheet", request_id=request_id), 303)


@bp.route("/entregas/cuentas/<int:request_id>/hoja")
@auth.roles_required(*services.DELIVERING_ROLES)
def sheet(request_id: int) -> Any:
    """The printable activation sheet again, for the staff member who delivered it."""
    principal = g.principal
    account_request = services.get_for_holder(principal, request_id)
    try:
        slip = services.open_sheet(account_request, user=auth.current_user(), ip=client_ip(),
                                   actor=principal.actor(client_ip()))
    except NotFound as exc:
        db.commit()  # a sheet past its time was wiped
        return _delivery_page(account_request, error=exc.message)  # the receipt, the reason
    db.commit()
    return _slip(slip)


@bp.route("/entregas/cuentas/<int:request_id>/hoja/cerrar", methods=["POST"])
@auth.roles_required(*services.DELIVERING_ROLES)
def close_sheet(request_id: int) -> Any:
    """Stop keeping the code once the sheet is printed or dictated."""
    principal = g.principal
    account_request = services.get_for_holder(principal, request_id)
    if services.close_sheet(account_request, user=auth.current_user(),
                            actor=principal.actor(client_ip())):
        flash(f"Hoja de {account_request.folio} cerrada: Alta ya no guarda su código.", "ok")
    db.commit()
    return redirect(url_for("handoff.inbox"))


@bp.route("/entregas/cuentas/<int:request_id>/entregar", methods=["POST"])
@auth.roles_required(*services.DELIVERING_ROLES)
@rate_limited("acceso")
def deliver(request_id: int) -> Any:
    """Deliver: a new activation code, shown once on the printable slip."""
    return _deliver(request_id, services.deliver)


@bp.route("/entregas/cuentas/<int:request_id>/reemitir", methods=["POST"])
@auth.roles_required(*services.DELIVERING_ROLES)
@rate_limited("acceso")
def reissue(request_id: int) -> Any:
    """Replace the delivered code, with a reason; the old one stops working."""
    return _deliver(request_id, services.reissue, reason=_field("reason", 600))


# ---------------------------------------------------------------------------------------------
# Activation (public)


def _activation_form(*, error: str | None = None, errors: dict[str, str] | None = None,
                     status: int = 200, keep_code: bool = False) -> Any:
    """The activation form; ``keep_code`` when only the password was wrong (the person
    retypes the password, not the code from the sheet; the page is no-store)."""
    values = {"usuario": (request.values.get("usuario") or "")[:40],
              "curp": request.form.get("curp", "")[:30],
              "code": request.form.get("code", "")[:30] if keep_code else ""}
    return render_template("handoff/activate.html", values=values, error=error,
                           errors=errors or {}, policy=settings().handoff.password_policy
                           ), status


@bp.route("/activar", methods=["GET", "POST"])
@rate_limited("activar")
def activate() -> Any:
    """User name + activation code + CURP → the person chooses their own password."""
    if request.method == "GET":
        return _activation_form()
    try:
        password = services.check_password_form(request.form.get("password", "")[:200],
                                                request.form.get("password2", "")[:200])
    except ValidationError as exc:
        return _activation_form(error=exc.message, errors=exc.fields, status=400,
                                keep_code=True)
    try:
        target = services.check_activation(_field("usuario", 300), _field("code", 60),
                                           _field("curp", 40), ip=client_ip())
    except ActivationRefused as exc:  # ActivationWait too (429)
        db.commit()  # the attempt counts, the refusal is audited
        return _activation_form(error=exc.message, status=exc.status)
    db.commit()  # no transaction (nor SQLite lock) stays open while the DC answers
    try:
        services.set_chosen_password(target, password)
    except PasswordRejected as exc:
        services.record_password_rejected(target, reason=exc.reason, ip=client_ip())
        db.commit()
        return _activation_form(error=exc.message, errors={"password": exc.message},
                                status=400, keep_code=True)
    services.record_activation(target, ip=client_ip())
    db.commit()
    return render_template("handoff/activated.html", user_name=target.user_name,
                           folio=target.folio)


@bp.route("/oficios/<int:oficio_id>/acuse-respuesta", methods=["POST"])
@auth.roles_required(Role.ENLACE)
@rate_limited("acceso")
def acknowledge_reply(oficio_id: int) -> Any:
    """The liaison acknowledges IT's reply oficio (TOTP): the accounts are now in their care
    (the first custody receipt)."""
    principal = g.principal
    oficio = oficios.get_for(principal, oficio_id)
    try:
        custody.acknowledge_reply(oficio, principal=principal, user=auth.current_user(),
                                  code=request.form.get("code", "")[:20], ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or oficio_page(oficio, error=exc.message,
                                                        status=exc.status)
    db.commit()
    flash(f"Acuse de recibo del oficio {oficio.number} registrado: las cuentas quedaron bajo su "
          "resguardo. Entréguelas desde «Entregas».", "ok")
    return redirect(url_for("oficios.detail", oficio_id=oficio.id))
