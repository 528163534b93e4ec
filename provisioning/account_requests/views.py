"""Public pages: landing, the request form and tracking by folio + code."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from provisioning import db, timeutil
from provisioning.account_requests import forms, services, workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.errors import AltaError, ValidationError
from provisioning.web import SessionWindow, client_ip, rate_limited

bp = Blueprint("public", __name__)


@bp.app_template_filter("estado")
def status_label(status: str) -> str:
    """Spanish label of a request state (template filter ``estado``)."""
    try:
        return workflow.RequestStatus(status).label
    except ValueError:
        return status


# After folio + code, the applicant may act on the request for a short while: the session keeps
# the verified folio (never the code) and when that lapses.
TRACKED_MINUTES = 15
_TRACKED = SessionWindow("seguimiento")


def remember_tracked(account_request: AccountRequest) -> None:
    """Let this browser act on the request for TRACKED_MINUTES (folio only, never the code)."""
    _TRACKED.remember(account_request.folio, minutes=TRACKED_MINUTES)


def forget_tracked() -> None:
    """End the applicant's verified window."""
    _TRACKED.forget()


def tracked_folio() -> str | None:
    """The folio verified in this session while the window lasts, else None."""
    return _TRACKED.folio()


def tracked_request() -> AccountRequest:
    """The request verified in this session, or 403 asking for folio + code again."""
    folio = tracked_folio()
    if folio is None:
        raise AltaError("Por seguridad, vuelva a escribir su folio y su código de seguimiento "
                        "en la página de Seguimiento.", status=403)
    found = services.by_folio(folio)
    if found is None:
        raise AltaError("No encontramos esa solicitud.", status=404)
    return found


def correction_context() -> dict[str, Any]:
    """Catalogs and texts the request form needs (also for corrections)."""
    return _form_context()


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
        remember_tracked(account_request)
        db.commit()
        return render_template("public/tracking.html", request=account_request,
                               can_correct=workflow.can(account_request, "resubmit"),
                               can_cancel=workflow.can(account_request, "cancel"),
                               unit=account_request.unit,
                               history=workflow.history(account_request, public_only=True))
    return render_template("public/tracking_form.html", error=None, folio="")
