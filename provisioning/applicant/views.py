"""The applicant's pages, one blueprint: landing, the request form (FO-DPE-STI-DI-04),
tracking by folio + code, and what the verified applicant may do next (correct a returned
request, cancel it, download its PDF)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from provisioning import audit, db, timeutil
from provisioning.account_requests import forms, services, workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.approvals import services as approvals
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.documents import services as documents
from provisioning.documents.models import SOLICITUD
from provisioning.documents.views import pdf_response
from provisioning.errors import AltaError, ValidationError
from provisioning.jobs.models import FAILED
from provisioning.preregistration import services as preregistration
from provisioning.web import client_ip, rate_limited
from provisioning.web.applicant import forget_tracked, remember_tracked, tracked

bp = Blueprint("public", __name__)


@bp.app_template_filter("estado")
def status_label(status: str) -> str:
    """Spanish label of a request state (template filter ``estado``)."""
    try:
        return workflow.RequestStatus(status).label
    except ValueError:
        return status


def tracked_request() -> AccountRequest:
    """The request verified in this session, or 403 asking for folio + code again."""
    return tracked(services.by_folio)


@bp.route("/")
def index() -> Any:
    """What Alta is and where to start."""
    return render_template("public/index.html")


def _form_context() -> dict[str, Any]:
    units = catalogs.units()
    return {
        "jurisdictions": catalogs.jurisdictions(),
        "units_by_jurisdiction": {
            j.code: [u for u in units if u.jurisdiction_code == j.code]
            for j in catalogs.jurisdictions()
        },
        "direcciones": catalogs.org_units("direccion"),
        "subdirecciones": catalogs.org_units("subdireccion"),
        "staff_types": catalogs.staff_types(),
        # alta.js fills dirección and subdirección from the unit type (observación 3).
        "ece_adscription": {"direccion": settings().form.ece_direccion,
                            "by_unit_type": settings().form.ece_subdireccion_by_unit_type},
        "today": timeutil.local_today(),
        "aviso": settings().privacy.aviso_simplificado,
        "responsable": settings().privacy.responsable,
    }


@bp.route("/solicitud", methods=["GET", "POST"])
@rate_limited("solicitud")
def request_form() -> Any:
    """Form FO-DPE-STI-DI-04; on success shows the folio and the tracking code once."""
    errors: dict[str, str] = {}
    message = None
    status = 200
    if request.method == "POST":
        try:
            data = forms.parse(request.form, allow_sex_x=settings().form.allow_sex_x)
            submission = services.submit(data, ip=client_ip())
        except ValidationError as exc:
            db.rollback()
            errors, message, status = exc.fields, exc.message, 400
        except AltaError as exc:
            db.rollback()
            message, status = exc.message, exc.status
        else:
            db.commit()
            # The same page (and status) whether a request was made or the CURP already had
            # an open one; only a new request shows its own folio and code.
            return render_template("public/submitted.html", request=submission.request,
                                   code=submission.code, warning=submission.warning)
    return render_template("public/request_form.html", values=request.form, errors=errors,
                           message=message, **_form_context()), status


@bp.route("/seguimiento", methods=["GET", "POST"])
@rate_limited("seguimiento")
def tracking() -> Any:
    """Status of a request for whoever has its folio and tracking code."""
    if request.method == "POST":
        try:
            account_request = services.track(request.form.get("folio", "")[:40],
                                             request.form.get("code", "")[:40], ip=client_ip())
        except AltaError as exc:
            db.rollback()
            return render_template("public/tracking_form.html", error=exc.message,
                                   folio=request.form.get("folio", "")[:40]), exc.status
        remember_tracked(account_request.folio)
        db.commit()
        return render_template("public/tracking.html", request=account_request,
                               access=_access(account_request),
                               can_correct=workflow.can(account_request, "resubmit"),
                               can_cancel=workflow.can(account_request, "cancel"),
                               unit=account_request.unit,
                               history=workflow.history(account_request, public_only=True))
    return render_template("public/tracking_form.html", error=None, folio="")


@bp.route("/seguimiento/reenviar", methods=["GET", "POST"])
@rate_limited("solicitud")
def resend_code() -> Any:
    """A lost tracking code: folio + CURP → a new one to the request's e-mail (the same
    answer whether they matched or not)."""
    if request.method == "POST":
        services.resend_tracking_code(request.form.get("folio", "")[:40],
                                      request.form.get("curp", "")[:40], ip=client_ip())
        db.commit()
        return render_template("public/resend_code.html", done=services.RESEND_ANSWER,
                               folio=""), 200
    return render_template("public/resend_code.html", done=None, folio="")


def _access(account_request: AccountRequest) -> str | None:
    """Once the pre-registration is saved and until access is granted: "pending" while the
    job works, "failed" when it gave up (IT has it on its page); None otherwise."""
    if account_request.status != workflow.RequestStatus.ACTIVADA.value \
            or preregistration.of(account_request) is None:
        return None
    job = preregistration.access_job(account_request)
    return "failed" if job is not None and job.status == FAILED else "pending"


@bp.route("/seguimiento/corregir", methods=["GET", "POST"])
@rate_limited("solicitud")
def correct() -> Any:
    """The returned request's form, pre-filled; sending it resubmits with the same folio."""
    account_request = tracked_request()
    if account_request.status != workflow.RequestStatus.DEVUELTA.value:
        flash("Solo se puede corregir una solicitud devuelta.", "aviso")
        return redirect(url_for("public.tracking"))
    errors: dict[str, str] = {}
    message = None
    status = 200
    values: Any = services.form_values(account_request)
    if request.method == "POST":
        values = request.form
        try:
            data = forms.parse(request.form, allow_sex_x=settings().form.allow_sex_x)
            services.correct_and_resubmit(account_request, data, ip=client_ip())
        except ValidationError as exc:
            db.rollback()
            errors, message, status = exc.fields, exc.message, 400
        else:
            db.commit()
            flash(f"Solicitud {account_request.folio} corregida y enviada de nuevo a firma.",
                  "ok")
            forget_tracked()
            return redirect(url_for("public.tracking"))
    return render_template("public/request_form.html", values=values, errors=errors,
                           message=message, correcting=account_request,
                           return_reason=services.return_reason(account_request),
                           **_form_context()), status


@bp.route("/seguimiento/cancelar", methods=["POST"])
@rate_limited("solicitud")
def cancel() -> Any:
    """The applicant withdraws their request."""
    account_request = tracked_request()
    approvals.cancel_by_applicant(account_request, ip=client_ip())
    db.commit()
    forget_tracked()
    flash(f"Solicitud {account_request.folio} cancelada.", "ok")
    return redirect(url_for("public.tracking"))


@bp.route("/seguimiento/solicitud.pdf")
def tracked_pdf() -> Any:
    """The applicant's own solicitud (after folio + code on /seguimiento)."""
    account_request = tracked_request()
    document = documents.download(SOLICITUD, account_request,
                                 actor=audit.Actor("solicitante", "solicitante", client_ip()))
    db.commit()
    return pdf_response(document)
