"""The person's pre-registration pages: sign in with the new domain account, the Tabla 1
form, and the printable confirmation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from provisioning import curp, db
from provisioning.account_requests.workflow import RequestStatus
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.errors import AltaError, ValidationError
from provisioning.handoff import services as handoff
from provisioning.jobs.models import FAILED
from provisioning.preregistration import forms, services
from provisioning.web import SessionWindow, client_ip, rate_limited

bp = Blueprint("preregistration", __name__)

# After a successful bind the browser may fill the form for a short while: the session keeps
# the folio (never the password) and its deadline.
_SIGNED_IN = SessionWindow("preregistro")
REFRESH_SECONDS = 3


def _signed_in_request() -> Any:
    folio = _SIGNED_IN.folio()
    if folio is None:
        raise AltaError("Por seguridad, vuelva a iniciar sesión con su usuario y su contraseña "
                        "para continuar con su pre-registro.", status=403)
    return services.request_for(folio)


def _next_page(account_request: Any) -> str:
    if account_request.status == RequestStatus.ACTIVADA.value and services.of(
            account_request) is None:
        return url_for("preregistration.form")
    return url_for("preregistration.confirmation")


@bp.route("/preregistro", methods=["GET", "POST"])
@rate_limited("preregistro")
def sign_in() -> Any:
    """Sign in with the domain user name and the password the person chose (only while the
    pre-registration is pending)."""
    user_name = (request.values.get("usuario") or "")[:40]
    if request.method == "GET":
        return render_template("preregistration/sign_in.html", user_name=user_name, error=None)

    def refused(exc: AltaError) -> Any:
        return render_template("preregistration/sign_in.html", user_name=user_name,
                               error=exc.message), exc.status

    try:
        attempt = services.begin_sign_in(request.form.get("usuario", ""), ip=client_ip())
    except services.SignInThrottled as exc:
        db.commit()  # the refusal stays in the audit log
        return refused(exc)
    db.commit()  # the attempt counts; no transaction (nor SQLite lock) open while the DC answers
    try:
        services.check_credentials(attempt, request.form.get("password", ""))
    except services.SignInRefused:
        error = services.record_refusal(attempt, ip=client_ip())
        db.commit()
        return refused(error)
    except AltaError as exc:  # the DC did not answer: the attempt does not count
        services.release(attempt)
        db.commit()
        return refused(exc)
    services.record_sign_in(attempt, ip=client_ip())
    db.commit()
    assert attempt.folio is not None
    _SIGNED_IN.remember(attempt.folio,
                        minutes=settings().handoff.preregistration_session_minutes)
    return redirect(_next_page(services.request_for(attempt.folio)))


def _from_curp(account_request: Any) -> curp.CurpInfo:
    """What the request's CURP says of the person: birth date, sex and state of birth are
    taken from it, never asked again (Tabla 1 must agree with it anyway)."""
    return curp.validate(account_request.curp, allow_sex_x=settings().form.allow_sex_x)


def _form(account_request: Any, values: Any, *, errors: dict[str, str] | None = None,
          message: str | None = None, status: int = 200) -> Any:
    staff_types = catalogs.staff_types()
    required = settings().handoff.cedula_required_for
    return render_template(
        "preregistration/form.html", r=account_request, values=values, errors=errors or {},
        message=message, states=curp.STATES, nationalities=catalogs.nationalities(),
        staff_types=staff_types, born=_from_curp(account_request),
        cedula_required=[t.name.lower() for t in staff_types if t.code in required],
        cedula_required_now=values.get("staff_type_code") in required), status


@bp.route("/preregistro/datos", methods=["GET", "POST"])
def form() -> Any:
    """NOM-024 Tabla 1 data, cross-checked with the CURP; completing it queues SIEMPRE access."""
    account_request = _signed_in_request()
    if request.method == "GET":
        if account_request.status != RequestStatus.ACTIVADA.value or services.of(
                account_request) is not None:
            return redirect(url_for("preregistration.confirmation"))
        services.record_view(account_request, ip=client_ip(), what="pre-registro")
        db.commit()
        return _form(account_request, {
            "nombres": account_request.nombres, "primer_apellido": account_request.primer_apellido,
            "segundo_apellido": account_request.segundo_apellido or "",
            "staff_type_code": account_request.staff_type_code,
            "telefono_institucional": account_request.telefono, "nacionalidad": "MEX"})
    posted = request.form.copy()
    born = _from_curp(account_request)
    posted["fecha_nacimiento"] = born.birth_date.isoformat()  # item assignment replaces
    posted["sexo"], posted["entidad_nacimiento"] = born.sex, born.state_code
    try:
        data = forms.parse(posted, allow_sex_x=settings().form.allow_sex_x)
        services.complete(account_request, data, ip=client_ip())
    except ValidationError as exc:
        db.rollback()
        return _form(account_request, request.form, errors=exc.fields, message=exc.message,
                     status=400)
    db.commit()
    flash("Su pre-registro quedó completo.", "ok")
    return redirect(url_for("preregistration.confirmation"))


@bp.route("/preregistro/confirmacion")
def confirmation() -> Any:
    """Printable confirmation; refreshes itself until SIEMPRE access is active."""
    account_request = _signed_in_request()
    row = services.of(account_request)
    if row is None:
        return redirect(_next_page(account_request))
    services.record_view(account_request, ip=client_ip(), what="confirmación de pre-registro")
    db.commit()
    active = account_request.status == RequestStatus.ACCESO_ACTIVO.value
    job = services.access_job(account_request)
    return render_template(
        "preregistration/confirmation.html", r=account_request, row=row, active=active,
        job=job, user_name=handoff.user_name(account_request),
        refresh=None if active or (job is not None and job.status == FAILED)
        else REFRESH_SECONDS,
        states=curp.STATES, nationalities={n.code: n.name for n in catalogs.nationalities()},
        staff_types={t.code: t.name for t in catalogs.staff_types()},
        siempre_url=settings().handoff.siempre_url)


@bp.route("/preregistro/salir", methods=["POST"])
def sign_out() -> Any:
    """End the pre-registration session."""
    _SIGNED_IN.forget()
    flash("Sesión del pre-registro cerrada.", "ok")
    return redirect(url_for("preregistration.sign_in"))
