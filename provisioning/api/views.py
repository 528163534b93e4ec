"""/api/v1: the person-status endpoint and its OpenAPI document; /admin/api for clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import text

from provisioning import db
from provisioning.api import openapi, services
from provisioning.api.models import ApiClient
from provisioning.config import current as settings
from provisioning.errors import AltaError, ValidationError
from provisioning.staff import auth
from provisioning.staff.models import Role
from provisioning.web import client_ip

bp = Blueprint("api", __name__)

# A caller is answered within this time or gets an error, never kept waiting.
STATEMENT_TIMEOUT_MS = 2000
# A body with one CURP is under 100 bytes; anything much longer is not a query.
MAX_BODY_BYTES = 1024
BAD_BODY = ("El cuerpo de la consulta debe ser un objeto JSON con un solo campo, «curp»: la "
            "CURP de 18 caracteres.")


def api_operation(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An API operation: the caller's token (401), its quota (429, counted and committed
    before anything else, so a failing call still counts), the ``scope`` it needs (403);
    then the view runs with the client, under the statement timeout."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            client = services.authenticate(request.headers.get("Authorization"))
            try:
                services.count_call(client)
            finally:
                db.commit()
            services.require_scope(client, scope)
            if db.database().dialect == "postgresql":
                db.session().execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            return view(client, *args, **kwargs)

        return wrapper

    return decorate


def _account_name(account_request: Any) -> str | None:
    """The domain user name of a request with access (from the directory records)."""
    from provisioning.people import accounts as people_accounts

    account = people_accounts.account_of(account_request)
    return account.sam_account_name if account else None


def _curp_from_body() -> str:
    """The CURP of a ``{"curp": "..."}`` JSON body, or ValidationError (400)."""
    if not request.is_json:
        raise ValidationError("La consulta debe enviarse como JSON (Content-Type: "
                              "application/json), con la CURP en el campo «curp».")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ValidationError(BAD_BODY)
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:  # also keeps the JSON parser away from deep nesting
        raise ValidationError(BAD_BODY)
    try:
        body = json.loads(raw)
    except ValueError:  # not JSON, or not UTF-8
        raise ValidationError(BAD_BODY) from None
    if not isinstance(body, dict) or set(body) != {"curp"} or not isinstance(body["curp"], str):
        raise ValidationError(BAD_BODY)
    return body["curp"]


# The CURP goes in the body, never in the URL: URLs end up in access logs (the server's,
# every proxy's) that Alta neither audits nor controls. No merging of "//" into a redirect:
# a caller gets JSON, never an HTML redirect page.
@bp.route("/api/v1/personal/estado", methods=["POST"], merge_slashes=False)
@api_operation(services.STATUS_READ)
def person_status(client: ApiClient) -> Any:
    """One person's status by CURP: no_encontrado, en_tramite or activo."""
    answer = services.person_status(_curp_from_body(), client=client, ip=client_ip(),
                                    account_name=_account_name)
    db.commit()
    return jsonify(answer)


@bp.route("/api/v1/openapi.json")
def openapi_document() -> Any:
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi.document(settings().app.base_url, settings().api))


@bp.route("/admin/api", methods=["GET", "POST"])
@auth.roles_required(Role.ADMIN)
def clients() -> Any:
    """List API clients; register a new one (its token is shown once)."""
    actor = g.principal.actor(client_ip(), Role.ADMIN)
    error, status = None, 200
    if request.method == "POST":
        if (refused := auth.fresh_code_refused(_clients_page)) is not None:
            return refused
        try:
            client, token = services.create_client(
                request.form.get("name", "")[:200],
                scopes=[scope[:40] for scope in request.form.getlist("scopes")[:10]],
                actor=actor)
        except AltaError as exc:
            db.rollback()
            error, status = exc.message, exc.status
        else:
            db.commit()
            return render_template("api/token.html", client=client, token=token)
    return _clients_page(error, status)


def _clients_page(error: str | None = None, status: int = 200) -> Any:
    return render_template("api/clients.html", clients=services.list_clients(),
                           scopes=services.SCOPES, error=error), status


@bp.route("/admin/api/<int:client_id>/revocar", methods=["POST"])
@auth.roles_required(Role.ADMIN)
def revoke(client_id: int) -> Any:
    """Revoke a client's token (fresh TOTP code)."""
    if (refused := auth.fresh_code_refused(_clients_page)) is not None:
        return refused
    services.revoke_client(services.get_client(client_id),
                           actor=g.principal.actor(client_ip(), Role.ADMIN))
    db.commit()
    return redirect(url_for("api.clients"))


@bp.route("/admin/api/<int:client_id>/rotar", methods=["POST"])
@auth.roles_required(Role.ADMIN)
def rotate(client_id: int) -> Any:
    """Give a client a new token (shown once); the old one works during the grace period."""
    client = services.get_client(client_id)
    if (refused := auth.fresh_code_refused(_clients_page)) is not None:
        return refused
    token = services.rotate_token(client, actor=g.principal.actor(client_ip(), Role.ADMIN))
    db.commit()
    return render_template("api/token.html", client=client, token=token)
