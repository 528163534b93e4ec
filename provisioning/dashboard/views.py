"""The dashboard page (/tablero)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request

from provisioning.account_requests.workflow import RequestStatus
from provisioning.catalogs import services as catalogs
from provisioning.dashboard import services
from provisioning.lifecycle import services as lifecycle
from provisioning.staff import auth
from provisioning.staff.models import Role

bp = Blueprint("dashboard", __name__)


@bp.route("/tablero")
@auth.roles_required(*Role)
def index() -> Any:
    """Counts by stage × unit/jurisdiction and the ageing list, scoped by role."""
    principal = g.principal
    filters = services.parse_filters(request.args, principal)
    return render_template("dashboard/index.html", board=services.board(principal, filters),
                           filters=filters, units=services.allowed_units(principal),
                           jurisdictions=catalogs.jurisdictions(),
                           statuses=list(RequestStatus),
                           bajas=lifecycle.counts_for(principal))
