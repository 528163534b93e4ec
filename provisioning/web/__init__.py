"""HTTP plumbing shared by every blueprint: errors, security headers, client IP, rate limits,
template filters. No business logic."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request, session
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from provisioning import db, timeutil, wording
from provisioning.config import Settings
from provisioning.config import current as settings
from provisioning.errors import AltaError
from provisioning.web import ratelimit

_HTTP_MESSAGES = {
    400: "La solicitud no es válida.",
    401: "Necesita iniciar sesión.",
    403: "No tiene permiso para ver esta página.",
    404: "No encontramos la página que busca.",
    405: "Esa acción no está permitida en esta página.",
    409: "La operación no se puede realizar en el estado actual.",
    413: "Lo que envió es demasiado grande.",
    429: "Demasiadas solicitudes. Espere un momento e intente de nuevo.",
    500: "Ocurrió un error interno. Nada de lo que envió quedó a medias; intente de nuevo más "
         "tarde.",
}

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def client_ip() -> str | None:
    """The caller's IP: the peer's address, or with ``[app].trusted_proxies`` = N the address
    the Nth proxy from us wrote in X-Forwarded-For (ProxyFix applied it already; entries a
    client forges in front of it are ignored)."""
    return request.remote_addr


def wants_json() -> bool:
    """True for API calls, which get JSON errors."""
    return request.path.startswith("/api/")


def error_response(message: str, status: int) -> tuple[Any, int]:
    """A Spanish error page (or JSON for the API) with ``status``."""
    if wants_json():
        return jsonify({"error": message, "status": status}), status
    return render_template("error.html", message=message, status=status), status


def rate_limited(bucket: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Count POSTs to the decorated view per client (client_ip; IPv6 by /64, see
    ratelimit.bucket_address); over the configured limit answer 429.

    The count is committed at once, so it holds even if the request then fails.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            limits = settings().rate_limit
            if limits.enabled and request.method == "POST":
                try:
                    ratelimit.hit(bucket, client_ip() or "-", limit=getattr(limits, bucket),
                                  window_seconds=limits.window_seconds)
                finally:
                    db.commit()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def form_ids(name: str, *, limit: int) -> list[int]:
    """The ids ticked in form field ``name`` (checkboxes): at most ``limit`` + 1 (so the
    service can refuse too many), anything that is not a plain positive integer dropped."""
    return [int(raw) for raw in request.form.getlist(name)[: limit + 1]
            if raw.isascii() and raw.isdigit() and len(raw) < 19]


MAX_ID = 2**31 - 1  # the id columns are INTEGER


def positive_id(raw: str | None) -> int | None:
    """``raw`` as an id (a keyset cursor such as ``?desde=``), or None when it is not a plain
    positive integer that fits an id column (PostgreSQL's integer: a bigger one fails there
    as «integer out of range»): a list given a bad cursor starts from its beginning."""
    raw = raw or ""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


class SessionWindow:
    """A folio this browser may act on for a few minutes (never a secret).

    Kept in the signed session cookie with its deadline; reading it after the deadline
    forgets it. Used after a person proves who they are without a staff account (folio and
    tracking code, or their new domain credentials).
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def remember(self, folio: str, *, minutes: int) -> None:
        """Let this browser act on ``folio`` for ``minutes``."""
        until = int(timeutil.now().timestamp()) + minutes * 60
        session[self.key] = {"folio": folio, "until": until}

    def forget(self) -> None:
        """End the window."""
        session.pop(self.key, None)

    def folio(self) -> str | None:
        """The folio while the window lasts, else None."""
        kept = session.get(self.key) or {}
        if kept.get("until", 0) < int(timeutil.now().timestamp()):
            self.forget()
            return None
        return str(kept.get("folio", ""))


def init_app(app: Flask, config: Settings) -> None:
    """Install error handlers, headers, proxy handling and template filters."""
    if config.app.trusted_proxies:
        n = config.app.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    @app.errorhandler(AltaError)
    def _alta_error(exc: AltaError) -> Any:
        db.rollback()
        response = make_response(*error_response(exc.message, exc.status))
        response.headers.update(exc.headers)
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc: CSRFError) -> Any:
        db.rollback()
        return error_response(
            "El formulario caducó o no proviene de esta página (protección CSRF). Vuelva a "
            "cargar la página e intente de nuevo.", 400)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        # Also receives unhandled exceptions as a 500, after Flask has logged the traceback.
        db.rollback()
        status = exc.code or 500
        body, status = error_response(_HTTP_MESSAGES.get(status, _HTTP_MESSAGES[400]), status)
        response = make_response(body, status)
        # Headers the status needs (Allow on a 405, as RFC 9110 requires); our own body.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Other sites never see our URLs; our own pages send their full URL, which
        # Flask-WTF requires on every POST over HTTPS (WTF_CSRF_SSL_STRICT).
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), "
                                                          "geolocation=()")
        if config.app.base_url.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if not request.path.startswith("/static/"):
            # Pages may carry personal data or one-time codes: never cache them.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_template_filter(timeutil.format_date, "fecha")
    app.add_template_filter(timeutil.format_datetime, "fecha_hora")
    app.add_template_filter(timeutil.format_long_date, "fecha_larga")
    app.add_template_filter(wording.count, "cantidad")
