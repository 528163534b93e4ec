"""Counts by stage × unit or jurisdiction, ageing in business days, oldest first.

Scope: a unit head sees their units, a responsable or liaison their jurisdictions, IT,
audit and administration the whole service. Rows show folios, units and ages only (no
personal data).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from provisioning import workdays
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import FINAL_STATES, RequestStatus
from provisioning.approvals import services as approvals
from provisioning.catalogs import services as catalogs
from provisioning.catalogs.models import Unit
from provisioning.db import session
from provisioning.errors import Forbidden
from provisioning.jobs.models import FAILED, WAITING, Job
from provisioning.notifications.models import PENDING, OutboxMessage
from provisioning.oficios.models import REPLY_STATUS_LABELS as REPLY_STATUS
from provisioning.oficios.models import RESPUESTA, Oficio
from provisioning.oficios.models import STATUS_LABELS as OFICIO_STATUS
from provisioning.staff.models import Role
from provisioning.staff.services import Principal
from provisioning.web import positive_id

SERVICE_WIDE = approvals.SERVICE_WIDE
OFICIO_KINDS = {"envio": "Oficios de envío", RESPUESTA: "Oficios de respuesta"}
OPEN_ORDER = [s for s in RequestStatus if s not in FINAL_STATES]
CLOSED_ORDER = [s for s in RequestStatus if s in FINAL_STATES]
PAGE_ROWS = 50  # of the ageing list; the next ones by keyset (?desde=<last id>)


@dataclass(frozen=True)
class Filters:
    """What the viewer asked for (unknown values are ignored)."""

    status: str | None = None
    unit: str | None = None
    jurisdiction: str | None = None
    include_closed: bool = False
    group: str = "jurisdiccion"  # or "unidad"
    after: int | None = None  # the ageing list continues after this request (keyset)

    def query_args(self, **changes: Any) -> dict[str, str]:
        """These filters as the page's query string (with ``changes``)."""
        values = {"estado": self.status, "unidad": self.unit, "jurisdiccion": self.jurisdiction,
                  "cerradas": "1" if self.include_closed else None, "agrupar": self.group,
                  "desde": str(self.after) if self.after else None} | changes
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Row:
    """One request in the ageing list."""

    id: int
    folio: str
    unit_clues: str
    unit_name: str
    jurisdiction: str
    status: RequestStatus
    stage_age: int
    total_age: int


@dataclass
class Board:
    """The dashboard's content."""

    columns: list[RequestStatus]
    matrix: dict[str, Counter[str]]
    group_labels: dict[str, str]
    rows: list[Row]
    more: bool  # the ageing list goes on after its last row
    service_wide: bool
    extras: dict[str, Any] = field(default_factory=dict)


def scope(principal: Principal) -> ColumnElement[bool] | None:
    """SQL condition limiting requests to the viewer's scope (None: everything)."""
    if principal.has(*SERVICE_WIDE):
        return None
    conditions = []
    if units := principal.units(Role.JEFE_UNIDAD):
        conditions.append(AccountRequest.unit_clues.in_(units))
    jurisdictions = (principal.jurisdictions(Role.RESPONSABLE_JURISDICCIONAL)
                     | principal.jurisdictions(Role.ENLACE))
    if jurisdictions:
        conditions.append(AccountRequest.jurisdiction_code.in_(jurisdictions))
    if not conditions:
        raise Forbidden()
    return or_(*conditions)


def parse_filters(args: Any, principal: Principal) -> Filters:
    """Read ?estado=&unidad=&jurisdiccion=&cerradas=&agrupar= keeping only known values."""
    status = args.get("estado") or None
    if status not in {s.value for s in RequestStatus}:
        status = None
    unit = (args.get("unidad") or "")[:11].upper() or None
    if unit and not catalogs.CLUES_RE.match(unit):
        unit = None
    jurisdiction = (args.get("jurisdiccion") or "")[:8].upper() or None
    if jurisdiction and not (jurisdiction.isascii() and jurisdiction.isalnum()):
        jurisdiction = None
    only_units = not principal.has(*SERVICE_WIDE) and not (
        principal.jurisdictions(Role.RESPONSABLE_JURISDICCIONAL)
        | principal.jurisdictions(Role.ENLACE))
    group = args.get("agrupar") or ("unidad" if only_units else "jurisdiccion")
    if group not in ("unidad", "jurisdiccion"):
        group = "jurisdiccion"
    return Filters(status, unit, jurisdiction, args.get("cerradas") == "1", group,
                   positive_id(args.get("desde")))


def _query(principal: Principal, filters: Filters) -> Any:
    query = select(AccountRequest)
    condition = scope(principal)
    if condition is not None:
        query = query.where(condition)
    if filters.status:
        query = query.where(AccountRequest.status == filters.status)
    elif not filters.include_closed:
        query = query.where(AccountRequest.closed_at.is_(None))
    if filters.unit:
        query = query.where(AccountRequest.unit_clues == filters.unit)
    if filters.jurisdiction:
        query = query.where(AccountRequest.jurisdiction_code == filters.jurisdiction)
    return query


def board(principal: Principal, filters: Filters) -> Board:
    """Counts, ageing rows (oldest in their stage first) and, for IT/admin, queue health."""
    db = session()
    key = (AccountRequest.unit_clues if filters.group == "unidad"
           else AccountRequest.jurisdiction_code)
    counted = db.execute(
        _query(principal, filters).with_only_columns(key, AccountRequest.status,
                                                     func.count())
        .group_by(key, AccountRequest.status)).all()
    matrix: dict[str, Counter[str]] = {}
    for group_key, status, count in counted:
        matrix.setdefault(group_key, Counter())[status] = count
    unit_names = {u.clues: u.name for u in catalogs.units()}
    if filters.group == "unidad":
        labels = {clues: f"{name} ({clues})" for clues, name in unit_names.items()}
    else:
        labels = {j.code: j.name for j in catalogs.jurisdictions()}
    # The columns the list shows, not whole requests (each one loaded every personal field).
    listed = _query(principal, filters).with_only_columns(
        AccountRequest.id, AccountRequest.folio, AccountRequest.unit_clues,
        AccountRequest.jurisdiction_code, AccountRequest.status, AccountRequest.updated_at,
        AccountRequest.submitted_at)
    if filters.after:  # keyset: after that request in (updated_at, id) order
        since = (select(AccountRequest.updated_at)
                 .where(AccountRequest.id == filters.after).scalar_subquery())
        listed = listed.where(or_(AccountRequest.updated_at > since,
                                  and_(AccountRequest.updated_at == since,
                                       AccountRequest.id > filters.after)))
    requests = db.execute(listed.order_by(AccountRequest.updated_at, AccountRequest.id)
                          .limit(PAGE_ROWS + 1)).all()
    retired = {r.unit_clues for r in requests} - unit_names.keys()
    if retired:  # units retired from the catalog since: their last name
        unit_names |= dict(db.execute(select(Unit.clues, Unit.name)
                                      .where(Unit.clues.in_(retired))
                                      .order_by(Unit.valid_from)).all())
    rows = [Row(r.id, r.folio, r.unit_clues, unit_names.get(r.unit_clues, r.unit_clues),
                r.jurisdiction_code, RequestStatus(r.status), workdays.age(r.updated_at),
                workdays.age(r.submitted_at)) for r in requests[:PAGE_ROWS]]
    columns = OPEN_ORDER + (CLOSED_ORDER if filters.include_closed or filters.status else [])
    result = Board(columns, matrix, labels, rows, len(requests) > PAGE_ROWS,
                   principal.has(*SERVICE_WIDE))
    if result.service_wide:
        result.extras = {
            "oficios": _oficio_counts(),
            "mail_pending": db.scalar(select(func.count()).select_from(OutboxMessage)
                                      .where(OutboxMessage.status == PENDING)) or 0,
            "jobs_failed": db.scalar(select(func.count()).select_from(Job)
                                     .where(Job.status == FAILED)) or 0,
            "jobs_waiting": db.scalar(select(func.count()).select_from(Job)
                                      .where(Job.status == WAITING)) or 0,
        }
    return result


def _oficio_counts() -> dict[str, int]:
    """Oficios by kind and state, labelled from the side that acknowledges each kind."""
    counts = {}
    for kind, status, n in session().execute(
            select(Oficio.kind, Oficio.status, func.count())
            .group_by(Oficio.kind, Oficio.status)).all():
        labels = REPLY_STATUS if kind == RESPUESTA else OFICIO_STATUS
        counts[f"{OFICIO_KINDS.get(kind, kind)}: {labels.get(status, status)}"] = n
    return counts


def allowed_units(principal: Principal) -> list[Any]:
    """Units the viewer may filter by."""
    condition = scope(principal)
    units = catalogs.units()
    if condition is None:
        return list(units)
    heads = principal.units(Role.JEFE_UNIDAD)
    jurisdictions = (principal.jurisdictions(Role.RESPONSABLE_JURISDICCIONAL)
                     | principal.jurisdictions(Role.ENLACE))
    return [u for u in units if u.clues in heads or u.jurisdiction_code in jurisdictions]


