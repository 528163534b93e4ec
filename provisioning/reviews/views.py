"""Pages of the access reviews: /revisiones (the list, and IT's form to open one), each
campaign with its progress per unit, closing and the report PDF, and each unit's accounts
that its head confirms or revokes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from provisioning import db, timeutil, wording
from provisioning.catalogs import services as catalogs
from provisioning.documents import services as documents
from provisioning.documents.views import pdf_response
from provisioning.errors import AltaError, ValidationError
from provisioning.lifecycle import rules as lifecycle_rules
from provisioning.reviews import documents as review_documents
from provisioning.reviews import records as review_records
from provisioning.reviews import services
from provisioning.reviews.models import PENDIENTE, Campaign, ReviewUnit
from provisioning.staff import auth
from provisioning.staff import services as staff
from provisioning.staff.models import Role
from provisioning.web import client_ip, rate_limited

bp = Blueprint("reviews", __name__)


def _field(name: str, limit: int = 600) -> str:
    return request.form.get(name, "")[:limit]


def _index_page(*, errors: dict[str, str] | None = None, error: str | None = None,
                form: dict[str, Any] | None = None, status: int = 200) -> Any:
    principal = g.principal
    rows = services.campaigns_for(principal)
    return render_template(
        "reviews/index.html", campaigns=rows, mine=services.open_progress_for(principal),
        may_open=principal.has(*services.IT_ROLES),
        units=sorted(catalogs.units(), key=lambda u: (u.jurisdiction_code, u.name)),
        default_days=",".join(str(d) for d in services.DEFAULT_REMINDER_DAYS),
        errors=errors or {}, error=error, form=form or {}), status


@bp.route("/revisiones")
@auth.roles_required(*services.VIEWERS)
def index() -> Any:
    """The campaigns of the viewer's scope; the units waiting for their answer first."""
    return _index_page()


@bp.route("/revisiones", methods=["POST"])
@auth.roles_required(*services.IT_ROLES)
def open_campaign() -> Any:
    """IT opens a campaign now (the snapshot is taken at once)."""
    form = {k: _field(k) for k in ("alcance", "fecha_limite", "recurrencia_meses",
                                   "dias_recordatorio")}
    chosen = [c[:20] for c in request.form.getlist("unidad")[:500]]
    try:
        data = services.read_form(form, chosen)
        campaign = services.open_campaign(g.principal, data, ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        return _index_page(errors=exc.fields, error=exc.message,
                           form={**form, "unidad": chosen}, status=400)
    db.commit()
    flash(f"Revisión de acceso {campaign.folio} abierta.", "ok")
    return redirect(url_for("reviews.campaign", campaign_id=campaign.id))


def _campaign_page(campaign: Campaign, *, error: str | None = None,
                   errors: dict[str, str] | None = None, status: int = 200) -> Any:
    principal = g.principal
    rows = services.progress(services.units_for(principal, campaign))
    following = services.next_of(campaign)
    return render_template(
        "reviews/campaign.html", campaign=campaign, rows=rows,
        may_close=principal.has(*services.IT_ROLES) and campaign.status == "abierta",
        following=following, today=timeutil.local_today(), error=error,
        errors=errors or {}), status


@bp.route("/revisiones/<int:campaign_id>")
@auth.roles_required(*services.VIEWERS)
def campaign(campaign_id: int) -> Any:
    """One campaign: progress per unit (only the viewer's units unless IT or audit)."""
    return _campaign_page(services.get_campaign_for(g.principal, campaign_id))


@bp.route("/revisiones/<int:campaign_id>/cerrar", methods=["POST"])
@auth.roles_required(*services.IT_ROLES)
@rate_limited("acceso")
def close(campaign_id: int) -> Any:
    """IT closes and signs the campaign (TOTP); a recurrence schedules the next one."""
    target = services.get_campaign_for(g.principal, campaign_id)
    try:
        following = services.close(target, principal=g.principal, user=auth.current_user(),
                                   code=_field("code", 20), ip=client_ip())
    except staff.AuthError as exc:
        return auth.step_up_refused(exc) or _campaign_page(
            target, error=exc.message, errors={"code": exc.message}, status=exc.status)
    db.commit()
    message = f"Revisión {target.folio} cerrada y firmada."
    if following is not None:
        message += (f" La siguiente, {following.folio}, abre el "
                    f"{timeutil.format_date(following.starts_on)}.")
    flash(message, "ok")
    return redirect(url_for("reviews.campaign", campaign_id=target.id))


@bp.route("/revisiones/<int:campaign_id>/pdf")
@auth.roles_required(*services.SERVICE_WIDE)
def report_pdf(campaign_id: int) -> Any:
    """The campaign's report with its QR (IT and audit: it lists every unit)."""
    target = services.get_campaign_for(g.principal, campaign_id)
    if review_records.is_disposed(target):
        raise AltaError(f"El informe de la revisión {target.folio} se eliminó al terminar su "
                       "plazo de conservación; quedan sus fechas, respuestas y huellas.",
                       status=410)
    document = documents.download(review_documents.KIND, target,
                                  actor=g.principal.actor(client_ip()))
    db.commit()
    return pdf_response(document)


def _unit_page(unit: ReviewUnit, *, error: str | None = None,
               errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
               status: int = 200) -> Any:
    principal = g.principal
    items = services.items_of(unit)
    services.record_unit_view(unit, items, actor=principal.actor(client_ip()))
    db.commit()
    campaign = services.campaign_of(unit)
    return render_template(
        "reviews/unit.html", unit=unit, campaign=campaign, items=items,
        name=services.unit_name(unit.unit_clues), person_of=services.person_of,
        baja_of=services.baja_of, reasons=lifecycle_rules.REASONS,
        answers=services.answers_for(principal, unit) and campaign.status == "abierta",
        pending=[i for i in items if i.decision == PENDIENTE],
        batch_limit=services.BATCH_LIMIT, error=error, errors=errors or {},
        form=form or {}), status


@bp.route("/revisiones/unidades/<int:review_unit_id>")
@auth.roles_required(*services.VIEWERS)
def unit(review_unit_id: int) -> Any:
    """One unit's accounts and answers (404 outside the viewer's scope)."""
    return _unit_page(services.get_unit_for(g.principal, review_unit_id))


@bp.route("/revisiones/unidades/<int:review_unit_id>/responder", methods=["POST"])
@auth.roles_required(Role.JEFE_UNIDAD)
@rate_limited("acceso")
def answer(review_unit_id: int) -> Any:
    """The unit head confirms or revokes accounts, all with one TOTP code."""
    principal = g.principal
    target = services.get_unit_for(principal, review_unit_id)
    form = {k: v[:600] for k, v in list(request.form.items())[:3 * services.BATCH_LIMIT + 5]
            if k.startswith(("decision-", "motivo-", "detalle-"))}
    try:
        answers = services.read_answers(target, form)
        done = services.answer(target, answers, principal=principal,
                               user=auth.current_user(), code=_field("code", 20),
                               ip=client_ip())
    except staff.AuthError as exc:  # checked before any write: keep its failure count
        return auth.step_up_refused(exc) or _unit_page(
            target, error=exc.message, errors={"code": exc.message}, form=form,
            status=exc.status)
    except ValidationError as exc:
        db.rollback()
        return _unit_page(target, error=exc.message, errors=exc.fields, form=form, status=400)
    db.commit()
    revoked = sum(1 for i in done if i.baja_id)
    flash(f"{wording.count(len(done), 'cuenta')} respondida{'s' if len(done) != 1 else ''} "
          "con un solo código"
          + (f"; {wording.count(revoked, 'baja')} en curso." if revoked else "."), "ok")
    return redirect(url_for("reviews.unit", review_unit_id=target.id))
