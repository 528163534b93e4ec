"""/api/v1: the person-status endpoint and its OpenAPI document; /admin/api for clients."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import text

from provisioning import db
from provisioning.api import openapi, services
from provisioning.config import current as settings
from provisioning.errors import AltaError
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.web import client_ip

bp = Blueprint("api", __name__)

# A caller is answered within this time or gets an error, never kept waiting.
STATEMENT_TIMEOUT_MS = 2000


def _account_name(account_request: Any) -> str | None:
    """The domain user name of a request with access (from the directory records)."""
    from provisioning.directory import services as directory

    account = directory.account_of(account_request)
    return account.sam_account_name if account else None


# No merging of "//" into a redirect: a caller gets JSON (a 400 for a CURP with slashes),
# never an HTML redirect page.
@bp.route("/api/v1/personal/<path:curp>", merge_slashes=False)
def person_status(curp: str) -> Any:
    """One person's status by CURP: no_encontrado, en_tramite or activo."""
    try:
        client = services.authenticate(request.headers.get("Authorization"))
    except services.ApiAuthError as exc:
        response = jsonify({"error": exc.message, "status": 401})
        response.headers["WWW-Authenticate"] = 'Bearer realm="alta"'
        return response, 401
    if db.database().dialect == "postgresql":
        db.session().execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    answer = services.person_status(curp, client=client, ip=client_ip(),
                                    account_name=_account_name)
    db.commit()
    return jsonify(answer)


@bp.route("/api/v1/openapi.json")
def openapi_document() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi.document(settings().app.base_url))


@bp.route("/admin/api", methods=["GET", "POST"])
@auth.roles_required(Role.ADMIN)
def clients() -> Any:
    """List API clients; register a new one (its token is shown once)."""
    actor = g.principal.actor(client_ip(), Role.ADMIN)
    error, status = None, 200
    if request.method == "POST":
        try:
            client, token = services.create_client(request.form.get("name", "")[:200],
                                                   actor=actor)
        except AltaError as exc:
            db.rollback()
            error, status = exc.message, exc.status
        else:
            db.commit()
            return render_template("api/token.html", client=client, token=token)
    return render_template("api/clients.html", clients=services.list_clients(),
                           error=error), status


@bp.route("/admin/api/<int:client_id>/revocar", methods=["POST"])
@auth.roles_required(Role.ADMIN)
def revoke(client_id: int) -> Any:
    """Revoke a client's token."""
    services.revoke_client(services.get_client(client_id),
                           actor=g.principal.actor(client_ip(), Role.ADMIN))
    db.commit()
    return redirect(url_for("api.clients"))


