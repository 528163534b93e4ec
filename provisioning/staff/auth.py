"""Staff sessions: who is signed in, idle timeout, and the decorators views use.

The session cookie holds only the account id, a stage and timestamps. Each sign-in step
sets its own stage and each page accepts exactly the stage that only the step before it sets
(see ``Stage``), so no page can be reached by skipping one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, flash, g, redirect, render_template, request, session, url_for

from provisioning import db, timeutil
from provisioning.config import current as settings
from provisioning.errors import Forbidden
from provisioning.staff import services
from provisioning.staff.models import Role, StaffUser
from provisioning.web import client_ip

ABSOLUTE_SESSION_HOURS = 12


class Stage(StrEnum):
    """Where a sign-in stands; the page that accepts each one is named beside it."""

    SECOND_FACTOR = "second_factor"  # password checked, TOTP enrolled: /acceso/verificacion
    ENROL = "enrol"  # password checked, no TOTP yet: /acceso/configurar-autenticador
    ENROLLED = "enrolled"  # new TOTP confirmed, recovery codes shown: /acceso/autenticador-listo
    # Both factors passed; an administrator set the password, which must be changed now.
    CHANGE_PASSWORD = "change_password"  # noqa: S105 (a stage name, not a password)
    FULL = "full"  # signed in


PENDING = (Stage.SECOND_FACTOR, Stage.ENROL, Stage.ENROLLED, Stage.CHANGE_PASSWORD)


def init_app(app: Flask) -> None:
    """Load the signed-in staff member before every request."""
    app.before_request(_load)
    services.use_step_up_window(SessionWindow())
    # A global, not a context variable: the form macros (imported without context) use it.
    app.jinja_env.globals["step_up_until"] = _window_until

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"principal": g.get("principal"), "Role": Role}


class SessionWindow:
    """The step-up window kept in the signed session cookie: who typed a good code, from
    which IP, at which second, under which session version. A new cookie (``start``), a
    logout, another IP or another account closes it."""

    def _open_until(self, user: StaffUser, ip: str | None) -> int | None:
        seconds = settings().security.step_up_window_seconds
        mark = session.get("step_up") or {}
        if (seconds <= 0 or session.get("stage") != Stage.FULL or mark.get("u") != user.id
                or mark.get("v") != user.session_version or mark.get("ip") != ip):
            return None
        until = int(mark.get("at", 0)) + seconds
        return until if int(timeutil.now().timestamp()) <= until else None

    def fresh(self, user: StaffUser, ip: str | None) -> bool:
        return self._open_until(user, ip) is not None

    def renew(self, user: StaffUser, ip: str | None) -> None:
        session["step_up"] = {"u": user.id, "v": user.session_version, "ip": ip,
                              "at": int(timeutil.now().timestamp())}


def _window_until() -> str | None:
    """Until when (local HH:MM) this session's last code covers a signature, or None."""
    user = g.get("staff_user")
    if user is None:
        return None
    until = SessionWindow()._open_until(user, client_ip())
    if until is None:
        return None
    return timeutil.to_local(datetime.fromtimestamp(until, UTC)).strftime("%H:%M")


def _load() -> None:
    g.principal = None
    g.staff_user = None
    staff_id = session.get("staff_id")
    if staff_id is None or request.path.startswith("/static/"):
        return
    now = int(timeutil.now().timestamp())
    idle = settings().security.idle_timeout_minutes * 60
    if now - session.get("seen", 0) > idle or now - session.get("started", 0) > (
            ABSOLUTE_SESSION_HOURS * 3600):
        user = db.session().get(StaffUser, staff_id)
        if user is not None and session.get("stage") == Stage.FULL:
            services.record_logout(services.principal_for(user), ip=request.remote_addr,
                                   reason="inactividad")
            db.commit()
        session.clear()
        g.session_expired = True
        return
    user = db.session().get(StaffUser, staff_id)
    if user is None or not user.active or user.session_version != session.get("ver"):
        session.clear()
        return
    session["seen"] = now
    g.staff_user = user
    if session.get("stage") == Stage.FULL:
        g.principal = services.principal_for(user)


def start(user: StaffUser, stage: Stage) -> None:
    """Begin (or advance) the session of ``user`` at ``stage``; a new cookie every time."""
    started = session.get("started") if session.get("staff_id") == user.id else None
    session.clear()
    now = int(timeutil.now().timestamp())
    session.update(staff_id=user.id, ver=user.session_version, stage=str(stage), seen=now,
                   started=started or now)


def stage() -> Stage | None:
    """The current sign-in stage, or None when nobody is signing in (or the cookie names a
    stage this version does not know)."""
    if g.get("staff_user") is None:
        return None
    try:
        return Stage(session.get("stage"))
    except ValueError:
        return None


def end() -> None:
    """Forget the session."""
    session.clear()


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the sign-in page (with a note if their session expired)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("principal") is None:
            if g.get("session_expired"):
                flash("Su sesión se cerró por inactividad. Inicie sesión de nuevo.", "aviso")
            if stage() in PENDING:
                return redirect(url_for("staff.continue_login"))
            return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only staff holding one of ``roles`` (403 otherwise)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @login_required
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not g.principal.has(*roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def step_up_refused(exc: services.AuthError) -> Any | None:
    """After a refused TOTP step-up: keep the failure count (commit) and, on a lockout, end
    the session. Returns the page to show for a lockout; None: re-show the form with the
    message."""
    db.commit()
    if exc.status == 403:
        end()
        return render_template("error.html", message=exc.message, status=403), 403
    return None


def fresh_code_refused(render: Callable[[str, int], Any]) -> Any | None:
    """Actions that grant or restore access ask for a fresh TOTP code (form field ``code``).

    Returns None when the code is good; else the page ``render(message, status)`` builds, or
    the lockout page (with the session ended)."""
    try:
        services.verify_step_up(current_user(), request.form.get("code", "")[:20],
                                ip=request.remote_addr, fresh=True)
    except services.AuthError as exc:
        return step_up_refused(exc) or render(exc.message, exc.status)
    return None


def current() -> services.Principal:
    """The signed-in principal (views behind login_required only)."""
    return g.principal


def current_user() -> StaffUser:
    """The signed-in account row (views behind login_required only)."""
    return g.staff_user
