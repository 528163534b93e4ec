"""The dashboard page (/tablero)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request, url_for

from provisioning.account_requests.workflow import RequestStatus
from provisioning.catalogs import services as catalogs
from provisioning.dashboard import services
from provisioning.lifecycle import cambios, temporary
from provisioning.lifecycle import rules as lifecycle_rules
from provisioning.lifecycle import services as lifecycle
from provisioning.reconciliation import services as reconciliation
from provisioning.reconciliation.models import LINKED, PROPOSED, UNLINKED
from provisioning.reviews import services as reviews
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
                           statuses=list(RequestStatus), lifecycle=_lifecycle(principal),
                           reviews=reviews.open_progress_for(principal),
                           it_viewer=principal.has(Role.INFORMATICA, Role.JEFE_INFORMATICA))


def _lifecycle(principal: Any) -> list[tuple[str, int, str]]:
    """The bajas, cambios and temporary accesses ending soon of the viewer's scope:
    (label, count, where to see them); empty for roles that take no part in them."""
    if not principal.has(*lifecycle_rules.STARTERS):
        return []
    rows = [(label, n, url_for("lifecycle.bajas"))
            for label, n in lifecycle.counts_for(principal).items()]
    rows += [(label, n, url_for("lifecycle.cambios_list"))
             for label, n in cambios.counts_for(principal).items()]
    rows.append((f"Accesos temporales que terminan en {temporary.STAGES[0]} días hábiles",
                 temporary.ending_count(principal), url_for("lifecycle.people")))
    if principal.has(Role.INFORMATICA, Role.JEFE_INFORMATICA):  # the imported directory
        pending = reconciliation.counts()
        rows.append(("Personas con una cuenta importada del directorio vinculada",
                     reconciliation.linked_people_count(),
                     url_for("reconciliation.reconcile_page", estado=LINKED)))
        rows.append(("Cuentas importadas sin persona",
                     pending.get(UNLINKED, 0) + pending.get(PROPOSED, 0),
                     url_for("reconciliation.reconcile_page")))
    return rows
