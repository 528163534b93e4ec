"""Sign-in pages (password, TOTP enrolment and verification, password change), the staff
home and account pages, and the administrator's staff management pages."""

from __future__ import annotations

from typing import Any

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from provisioning import db
from provisioning.catalogs import services as catalogs
from provisioning.errors import AltaError, ValidationError
from provisioning.staff import auth, services
from provisioning.staff.auth import Stage
from provisioning.staff.models import ROLE_LABELS, Role
from provisioning.textcheck import TextError, clean, email, person_name
from provisioning.web import client_ip, rate_limited

bp = Blueprint("staff", __name__)


def _field(name: str, limit: int = 200) -> str:
    return request.form.get(name, "")[:limit]


# ---------------------------------------------------------------------------------------------
# Sign-in


@bp.route("/acceso", methods=["GET", "POST"])
@rate_limited("acceso")
def login() -> Any:
    """First factor: user name and password."""
    if g.principal is not None:
        return redirect(url_for("staff.home"))
    error = None
    status = 200
    if request.method == "POST":
        try:
            user = services.check_password(_field("username", 60), _field("password", 200),
                                           ip=client_ip())
        except services.AuthError as exc:
            db.commit()  # the failure count and its audit event must persist
            error, status = exc.message, exc.status
        else:
            auth.start(user, Stage.SECOND_FACTOR if user.totp_enrolled else Stage.ENROL)
            session["next"] = auth.safe_next(request.args.get("next"))
            db.commit()
            return redirect(url_for("staff.continue_login"))
    return render_template("staff/login.html", error=error,
                           username=_field("username", 40)), status


@bp.route("/acceso/continuar")
def continue_login() -> Any:
    """Send a half-signed-in person to their next step."""
    step = auth.stage()
    target = {
        Stage.SECOND_FACTOR: "staff.second_factor",
        Stage.ENROL: "staff.enrol",
        Stage.ENROLLED: "staff.after_enrolment",
        Stage.CHANGE_PASSWORD: "staff.change_password",
        Stage.FULL: "staff.home",
    }.get(step, "staff.login") if step else "staff.login"
    return redirect(url_for(target))


def _require_stage(*stages: Stage) -> Any:
    if auth.stage() not in stages:
        if g.get("session_expired"):
            flash("Su sesión se cerró por inactividad. Inicie sesión de nuevo.", "aviso")
        return redirect(url_for("staff.continue_login" if auth.stage() else "staff.login"))
    return None


def _finish_login(factor: str) -> Any:
    user = auth.current_user()
    if user.must_change_password:
        auth.start(user, Stage.CHANGE_PASSWORD)
        db.commit()
        return redirect(url_for("staff.change_password"))
    services.complete_login(user, ip=client_ip(), factor=factor)
    target = session.get("next")
    auth.start(user, Stage.FULL)
    if factor == "totp":
        services.code_typed(user, client_ip())  # a signature right after needs no new code
    db.commit()
    return redirect(auth.safe_next(target) or url_for("staff.home"))


@bp.route("/acceso/verificacion", methods=["GET", "POST"])
@rate_limited("acceso")
def second_factor() -> Any:
    """Second factor: TOTP code or a recovery code."""
    if (early := _require_stage(Stage.SECOND_FACTOR)) is not None:
        return early
    error, status = None, 200
    if request.method == "POST":
        try:
            factor = services.check_second_factor(auth.current_user(), _field("code", 40),
                                                  ip=client_ip())
        except services.AuthError as exc:
            db.commit()
            error, status = exc.message, exc.status
            if status == 403:
                auth.end()
        else:
            return _finish_login(factor)
    return render_template("staff/second_factor.html", error=error), status


@bp.route("/acceso/configurar-autenticador", methods=["GET", "POST"])
@rate_limited("acceso")
def enrol() -> Any:
    """Mandatory TOTP enrolment at first sign-in: QR code, confirmation, recovery codes."""
    if (early := _require_stage(Stage.ENROL)) is not None:
        return early
    user = auth.current_user()
    error, status = None, 200
    if request.method == "POST":
        try:
            codes = services.confirm_enrolment(user, _field("code", 20), ip=client_ip())
        except AltaError as exc:
            db.commit()
            error, status = exc.message, exc.status
        else:
            # The confirmed code counts as the second factor; only the next page accepts it.
            auth.start(user, Stage.ENROLLED)
            db.commit()
            next_url = url_for("staff.after_enrolment")
            return render_template("staff/recovery_codes.html", codes=codes,
                                   next_url=next_url)
    secret, uri = services.begin_enrolment(user)
    db.commit()
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, title="Código QR del autenticador")
    return render_template("staff/enrol.html", secret=secret, qr_svg=qr_svg, error=error,
                           issuer=services.settings().security.totp_issuer), status


@bp.route("/acceso/autenticador-listo", methods=["GET", "POST"])
def after_enrolment() -> Any:
    """After the person saved their recovery codes, finish signing in (GET: the button again,
    for a reload; the codes themselves are never shown twice)."""
    if (early := _require_stage(Stage.ENROLLED)) is not None:
        return early
    if request.method == "GET":
        return render_template("staff/recovery_codes.html", codes=None,
                               next_url=url_for("staff.after_enrolment"))
    user = auth.current_user()
    if user.totp_enrolled_at is None:
        abort(400)
    return _finish_login("totp")


@bp.route("/acceso/cambiar-contrasena", methods=["GET", "POST"])
@rate_limited("acceso")
def change_password() -> Any:
    """Change one's own password (mandatory after an administrator set it)."""
    if (early := _require_stage(Stage.CHANGE_PASSWORD, Stage.FULL)) is not None:
        return early
    user = auth.current_user()
    forced = auth.stage() == Stage.CHANGE_PASSWORD
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        new, repeat = _field("password", 200), _field("password2", 200)
        try:
            if new != repeat:
                raise ValidationError("Las dos contraseñas nuevas no coinciden.",
                                      {"password2": "No coincide."})
            services.change_password(user, current=_field("current", 200), new=new,
                                     ip=client_ip())
        except ValidationError as exc:
            db.commit()
            errors, status = exc.fields or {"password": exc.message}, 400
        else:
            if forced:
                services.complete_login(user, ip=client_ip(), factor="totp")
            target = session.get("next") if forced else None
            auth.start(user, Stage.FULL)
            db.commit()
            flash("Su contraseña se cambió correctamente.", "ok")
            return redirect(auth.safe_next(target) or url_for("staff.home"))
    return render_template("staff/change_password.html", errors=errors, forced=forced,
                           min_length=services.settings().security.min_password_length), status


@bp.route("/salir", methods=["POST"])
def logout() -> Any:
    """End the session."""
    if g.principal is not None:
        services.record_logout(g.principal, ip=client_ip(), reason="cierre por el usuario")
        db.commit()
    auth.end()
    flash("Sesión cerrada.", "ok")
    return redirect(url_for("staff.login"))


# ---------------------------------------------------------------------------------------------
# Home and own account


@bp.route("/panel")
@auth.login_required
def home() -> Any:
    """The staff home: roles held, their pending work (counted by the provider the app
    factory sets in ``alta.panel``) and the pages available to them."""
    provider = current_app.extensions.get("alta.panel")
    return render_template("staff/home.html", grants=g.principal.grants,
                           work=provider(g.principal) if provider else [],
                           units={u.clues: u for u in catalogs.units()},
                           jurisdictions={j.code: j for j in catalogs.jurisdictions()})


@bp.route("/cuenta", methods=["GET"])
@auth.login_required
def account() -> Any:
    """The signed-in person's own account."""
    user = auth.current_user()
    left = sum(1 for r in user.recovery_codes if r.used_at is None)
    return render_template("staff/account.html", user=user, recovery_left=left)


@bp.route("/cuenta/codigos-de-recuperacion", methods=["POST"])
@auth.login_required
@rate_limited("acceso")
def renew_recovery_codes() -> Any:
    """New recovery codes, after a fresh TOTP code."""
    user = auth.current_user()
    try:
        services.verify_step_up(user, _field("code", 20), ip=client_ip(), fresh=True)
    except services.AuthError as exc:
        db.commit()
        flash(exc.message, "error")
        return redirect(url_for("staff.account"))
    codes = services.regenerate_recovery_codes(user, actor=g.principal.actor(client_ip()))
    db.commit()
    return render_template("staff/recovery_codes.html", codes=codes, next_url=None)


# ---------------------------------------------------------------------------------------------
# Administration of staff accounts


def _admin_actor() -> Any:
    return g.principal.actor(client_ip(), Role.ADMIN)


def _detail_page(user: Any, *, error: str | None = None, status: int = 200,
                 errors: dict[str, str] | None = None) -> Any:
    return render_template("staff/admin_detail.html", user=user, errors=errors or {},
                           action_error=error, now_locked=services.is_locked(user),
                           **_catalog_context()), status


def _staff_form() -> tuple[dict[str, str], dict[str, str]]:
    values, errors = {}, {}
    checks = {
        "full_name": lambda v: person_name(v, max_length=120),
        "email": lambda v: email(v),
        "position": lambda v: clean(v, max_length=120, required=False),
    }
    for name, check in checks.items():
        raw = _field(name, 400)
        try:
            values[name] = check(raw)
        except TextError as exc:
            values[name], errors[name] = raw, exc.message
    return values, errors


def _grant_from_form() -> services.Grant:
    try:
        role = Role(_field("role", 40))
    except ValueError:
        raise ValidationError("Elija un rol de la lista.", {"role": "Rol no válido."}) from None
    return services.Grant(role, _field("unit", 11) or None, _field("jurisdiction", 8) or None)


def _catalog_context() -> dict[str, Any]:
    return {"units": catalogs.units(), "jurisdictions": catalogs.jurisdictions(),
            "role_labels": ROLE_LABELS}


@bp.route("/admin/personal")
@auth.roles_required(Role.ADMIN)
def staff_list() -> Any:
    """Every staff account with its roles and state."""
    return render_template("staff/admin_list.html", staff=services.list_staff(),
                           **_catalog_context())


@bp.route("/admin/personal/nuevo", methods=["GET", "POST"])
@auth.roles_required(Role.ADMIN)
def staff_new() -> Any:
    """Create a staff account with its first role; shows the temporary password once."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values, errors = _staff_form()
        values["username"] = _field("username", 60)
        refused = auth.fresh_code_refused(lambda message, code: (render_template(
            "staff/admin_new.html", values=values, errors={**errors, "code": message},
            **_catalog_context()), code))
        if refused is not None:
            return refused
        try:
            if errors:
                raise ValidationError("Revise los datos marcados.", errors)
            grant = _grant_from_form()
            user, temporary = services.create_staff(
                username=values["username"], full_name=values["full_name"],
                email=values["email"], position=values["position"], grants=[grant],
                actor=_admin_actor())
        except ValidationError as exc:
            db.rollback()
            errors = {**errors, **exc.fields} or {"username": exc.message}
            status = 400
        except AltaError as exc:
            db.rollback()
            errors, status = {"username": exc.message}, exc.status
        else:
            db.commit()
            return render_template("staff/admin_password.html", user=user, password=temporary,
                                   created=True)
    return render_template("staff/admin_new.html", values=values, errors=errors,
                           **_catalog_context()), status


@bp.route("/admin/personal/<int:staff_id>", methods=["GET", "POST"])
@auth.roles_required(Role.ADMIN)
def staff_detail(staff_id: int) -> Any:
    """One account: edit data, roles, lock and authenticator state."""
    user = services.get(staff_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values, errors = _staff_form()
        if errors:
            status = 400
        else:
            services.update_staff(user, actor=_admin_actor(), **values)
            db.commit()
            flash("Datos actualizados.", "ok")
            return redirect(url_for("staff.staff_detail", staff_id=user.id))
    services.record_view(user, actor=_admin_actor())
    db.commit()
    return _detail_page(user, errors=errors, status=status)


@bp.route("/admin/personal/<int:staff_id>/roles", methods=["POST"])
@auth.roles_required(Role.ADMIN)
def staff_grant(staff_id: int) -> Any:
    """Add a role with its scope (fresh TOTP code)."""
    user = services.get(staff_id)
    refused = auth.fresh_code_refused(lambda message, code: _detail_page(
        user, error=message, status=code))
    if refused is not None:
        return refused
    services.grant_role(user, _grant_from_form(), actor=_admin_actor())
    db.commit()
    flash("Rol agregado.", "ok")
    return redirect(url_for("staff.staff_detail", staff_id=user.id))


@bp.route("/admin/personal/<int:staff_id>/roles/<int:role_id>/quitar", methods=["POST"])
@auth.roles_required(Role.ADMIN)
def staff_revoke(staff_id: int, role_id: int) -> Any:
    """Remove one role."""
    user = services.get(staff_id)
    services.revoke_role(user, role_id, actor=_admin_actor())
    db.commit()
    flash("Rol retirado.", "ok")
    return redirect(url_for("staff.staff_detail", staff_id=user.id))


# Actions on another account that give someone a way in: a stolen administrator session
# alone must not be enough for them.
STEP_UP_ACTIONS = frozenset({"activar", "restablecer-autenticador", "restablecer-contrasena"})


@bp.route("/admin/personal/<int:staff_id>/<action>", methods=["POST"])
@auth.roles_required(Role.ADMIN)
def staff_action(staff_id: int, action: str) -> Any:
    """Unlock, enable/disable, reset password or authenticator (those that restore access
    ask for a fresh TOTP code)."""
    user = services.get(staff_id)
    actor = _admin_actor()
    if action in STEP_UP_ACTIONS:
        refused = auth.fresh_code_refused(lambda message, code: _detail_page(
            user, error=message, status=code))
        if refused is not None:
            return refused
    if action == "desbloquear":
        services.unlock(user, actor=actor)
        message = "Cuenta desbloqueada."
    elif action == "activar":
        services.set_active(user, True, actor=actor)
        message = "Cuenta activada."
    elif action == "desactivar":
        services.set_active(user, False, actor=actor)
        message = "Cuenta desactivada; sus sesiones abiertas terminaron."
    elif action == "restablecer-autenticador":
        services.reset_totp(user, actor=actor)
        message = "Autenticador restablecido: configurará uno nuevo al iniciar sesión."
    elif action == "restablecer-contrasena":
        temporary = services.reset_password(user, actor=actor)
        db.commit()
        return render_template("staff/admin_password.html", user=user, password=temporary,
                               created=False)
    else:
        abort(404)
    db.commit()
    flash(message, "ok")
    return redirect(url_for("staff.staff_detail", staff_id=user.id))
