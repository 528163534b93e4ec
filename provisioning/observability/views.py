"""/healthz/live, /healthz/ready and /metrics (Prometheus text, bearer token)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from provisioning.config import current as settings
from provisioning.observability import services

bp = Blueprint("observability", __name__)


@bp.route("/healthz/live")
def live() -> Any:
    """The process answers; no I/O (a restart would not fix a dependency)."""
    return jsonify({"status": "ok"})


@bp.route("/healthz/ready")
def ready() -> Any:
    """200 when every dependency answers, 503 otherwise; only each check's status is shown."""
    cache = current_app.extensions.setdefault("alta.readiness", {})
    checks = services.readiness(settings(), cache)
    failed = services.ERROR in checks.values()
    body = {"status": "error" if failed else "ok", "checks": checks}
    return jsonify(body), 503 if failed else 200


@bp.route("/metrics")
def metrics() -> Any:
    """Prometheus text format, for whoever shows [observability].metrics_token (401 else)."""
    # No token configured: nothing matches, every call is refused (metrics stay off).
    token = settings().observability.metrics_token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if not (token and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip().encode(), token.encode())):
        response = jsonify({"error": "Se requiere el token de métricas "
                                     "(Authorization: Bearer)."})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="alta-metrics"'
        response.headers["Cache-Control"] = "no-store"
        return response
    body = services.exposition(services.metrics())
    response = Response(body, content_type="text/plain; version=0.0.4; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response

