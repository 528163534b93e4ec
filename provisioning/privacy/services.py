"""The person's rights (LGPDPPSO): access to everything Alta holds about them, rectification
and cancellation requests.

The export of one solicitud holds: the request as filed; every audit event about its
folio, and the staff events about several requests that list it (lists opened, oficios),
so every staff access to the data, which Alta audits; the person's ARCO requests; and the
sections other domains add through ``SECTIONS`` (signatures, the directory account,
custody, deliveries, pre-registration). Nothing is looked up by name or CURP, so nothing
about anyone else can come in (a list's event shows its description, not its folios).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from provisioning import audit, timeutil
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.approvals import services as approvals
from provisioning.audit.models import AuditEvent
from provisioning.catalogs import services as catalogs
from provisioning.config import current as settings
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict, NotFound
from provisioning.handoff import custody
from provisioning.handoff import services as handoff
from provisioning.lifecycle import cambios, temporary
from provisioning.lifecycle import services as lifecycle
from provisioning.people import accounts as people_accounts
from provisioning.people import services as people
from provisioning.people.models import Person
from provisioning.preregistration import services as preregistration
from provisioning.privacy.models import ArcoKind, ArcoRequest, ArcoStatus
from provisioning.retention import services as retention
from provisioning.reviews import services as reviews

# Roles that are the person or the service itself; any other actor is staff.
_NOT_STAFF = {"solicitante", "sistema"}


@dataclass(frozen=True)
class Section:
    """A part of the export added by another domain: a title and rows of label → value."""

    title: str
    rows: list[dict[str, str]] = field(default_factory=list)


def _section(title: str, rows: list[dict[str, str]]) -> Section | None:
    return Section(title, rows) if rows else None


def _signatures(request: AccountRequest) -> Section | None:
    return _section("Firmas de autorización de su solicitud", approvals.export_rows(request))


def _directory_account(request: AccountRequest) -> Section | None:
    return _section("Su cuenta en el directorio institucional",
                    people_accounts.export_rows(request))


def _custody(request: AccountRequest) -> Section | None:
    return _section("Cadena de custodia de su cuenta", custody.rows_for_export(request))


def _deliveries(request: AccountRequest) -> Section | None:
    return _section("Entregas de su código de activación", handoff.delivery_rows(request))


def _preregistration(request: AccountRequest) -> Section | None:
    return _section("Su pre-registro (NOM-024, tabla 1)", preregistration.export_rows(request))


def _person(request: AccountRequest) -> Section | None:
    return _section("Su registro como persona en Alta",
                    people.export_rows(session().get(Person, request.person_id)))


def _bajas(request: AccountRequest) -> Section | None:
    return _section("Sus bajas (fin del acceso)",
                    lifecycle.export_rows(session().get(Person, request.person_id)))


def _cambios(request: AccountRequest) -> Section | None:
    return _section("Sus cambios de adscripción",
                    cambios.export_rows(session().get(Person, request.person_id)))


def _extensions(request: AccountRequest) -> Section | None:
    return _section("Prórrogas de su acceso temporal",
                    temporary.export_rows(session().get(Person, request.person_id)))


def _reviews(request: AccountRequest) -> Section | None:
    return _section("Revisiones periódicas de su acceso",
                    reviews.export_rows(session().get(Person, request.person_id)))


# Each function gets the request and returns its section (or None). Other domains add
# theirs here.
SECTIONS: tuple[Callable[[AccountRequest], Section | None], ...] = (
    _person, _signatures, _directory_account, _custody, _deliveries, _preregistration,
    _bajas, _cambios, _extensions, _reviews)


def by_folio(folio: str) -> AccountRequest:
    """The request with this folio (after the person proved they hold its code)."""
    request = session().scalar(select(AccountRequest).where(AccountRequest.folio == folio))
    if request is None:
        raise NotFound("No encontramos su solicitud.")
    return request


def retention_until(request: AccountRequest) -> date | None:
    """The local date from which the solicitud may be deleted (None while it is open)."""
    if request.closed_at is None:
        return None
    due = retention.due_at(retention.record_class("solicitud"), request.closed_at)
    return timeutil.to_local(due).date()


def _yes_no(value: bool) -> str:
    return "Sí" if value else "No"


def _mentions(request: AccountRequest) -> list[AuditEvent]:
    """Staff events about several requests that list this one's folio (lists of requests
    opened, oficios issued or cancelled): they showed or moved the person's data too."""
    found = session().scalars(
        select(AuditEvent).where(
            AuditEvent.occurred_at >= request.submitted_at,
            AuditEvent.actor_role.not_in(_NOT_STAFF),
            AuditEvent.details.contains(f'"{request.folio}"', autoescape=True))
        .order_by(AuditEvent.seq))
    return [e for e in found if not (e.object_type == "request"
                                     and e.object_id == request.folio)
            and request.folio in (json.loads(e.details).get("folios") or [])]


def personal_data(request: AccountRequest) -> dict[str, Any]:
    """Everything Alta holds about the person of ``request``, in Spanish, for JSON and PDF."""
    unit = catalogs.unit_by_clues(request.unit_clues)
    names = {o.code: o.name for kind in ("direccion", "subdireccion")
             for o in catalogs.org_units(kind)}
    staff_types = {t.code: t.name for t in catalogs.staff_types()}
    events = list(session().scalars(
        select(AuditEvent).where(AuditEvent.object_type == "request",
                                 AuditEvent.object_id == request.folio)
        .order_by(AuditEvent.seq)))
    staff_events = sorted([e for e in events if e.actor_role not in _NOT_STAFF]
                          + _mentions(request), key=lambda e: e.seq)
    until = retention_until(request)
    years = retention.years_for(retention.record_class("solicitud"))
    arco = session().scalars(select(ArcoRequest).where(ArcoRequest.folio == request.folio)
                             .order_by(ArcoRequest.id))
    return {
        "generado_el": timeutil.format_datetime(timeutil.now(), seconds=True),
        "responsable": settings().privacy.responsable,
        "solicitud": {
            "folio": request.folio,
            "estado": RequestStatus(request.status).label,
            "fecha_del_formato": timeutil.format_date(request.form_date),
            "enviada_el": timeutil.format_datetime(request.submitted_at),
            "concluida_el": timeutil.format_datetime(request.closed_at),
            "curp": request.curp,
            "nombres": request.nombres,
            "primer_apellido": request.primer_apellido,
            "segundo_apellido": request.segundo_apellido or "",
            "unidad": f"{unit.name if unit else ''} ({request.unit_clues})",
            "jurisdiccion": request.jurisdiction_code,
            "direccion": names.get(request.direccion_code, request.direccion_code),
            "subdireccion": names.get(request.subdireccion_code, request.subdireccion_code),
            "departamento": request.departamento,
            "telefono": request.telefono,
            "extension": request.extension or "",
            "correo_electronico": request.contact_email,
            "tipo_de_personal": staff_types.get(request.staff_type_code,
                                                request.staff_type_code),
            "cuenta_de_usuario": _yes_no(request.wants_user_account),
            "cuenta_de_correo": _yes_no(request.wants_email_account),
            "expediente_electronico": _yes_no(request.wants_ece),
            "aviso_de_privacidad_aceptado_sha256": request.privacy_notice_sha256,
        },
        "conservacion": {
            "plazo_en_anios": years,
            "se_conserva_hasta": timeutil.format_date(until) if until else "",
            "explicacion": (f"La solicitud es un registro de calidad del procedimiento: se "
                            f"conserva {years} años desde su conclusión y después se anonimiza."),
        },
        "accesos_y_acciones_del_personal": [
            {"fecha": timeutil.format_datetime(e.occurred_at, seconds=True),
             "usuario": e.actor, "rol": e.actor_role, "accion": e.action,
             "descripcion": e.summary}
            for e in staff_events],
        "bitacora_de_su_solicitud": [
            {"secuencia": e.seq, "fecha": timeutil.format_datetime(e.occurred_at, seconds=True),
             "usuario": e.actor, "rol": e.actor_role,
             # Staff addresses are the staff's data; the person's own are theirs.
             "ip": (e.ip or "") if e.actor_role == "solicitante" else "",
             "accion": e.action, "descripcion": e.summary,
             "detalles": json.loads(e.details)}
            for e in events],
        "solicitudes_arco": [
            {"tipo": ArcoKind(a.kind).label, "estado": ArcoStatus(a.status).label,
             "presentada_el": timeutil.format_datetime(a.submitted_at),
             "descripcion": a.description,
             "procede_a_partir_de": timeutil.format_date(a.applies_from),
             "respuesta": a.response or ""}
            for a in arco],
        "otras_secciones": [
            {"titulo": s.title, "filas": s.rows}
            for s in (section(request) for section in SECTIONS) if s is not None],
    }


def record_export(request: AccountRequest, fmt: str, *, ip: str | None) -> None:
    """Audit that the person downloaded their data."""
    audit.record("privacy.exported", actor=audit.Actor("solicitante", "solicitante", ip),
                 object_type="request", object_id=request.folio,
                 summary=f"El solicitante descargó sus datos personales ({fmt.upper()})",
                 details={"format": fmt})


def request_rectification(request: AccountRequest, description: str, *,
                          ip: str | None) -> ArcoRequest:
    """File a rectification request: a task for the records custodian.

    Audits ``privacy.rectification_requested`` (without the text: it is personal data).
    """
    arco = ArcoRequest(folio=request.folio, kind=ArcoKind.RECTIFICACION.value,
                       status=ArcoStatus.PENDIENTE.value, submitted_at=timeutil.now(),
                       description=description)
    session().add(arco)
    session().flush()
    audit.record("privacy.rectification_requested",
                 actor=audit.Actor("solicitante", "solicitante", ip),
                 object_type="request", object_id=request.folio,
                 summary=f"Solicitud de rectificación de datos de {request.folio}",
                 details={"arco_id": arco.id})
    return arco


def request_cancellation(request: AccountRequest, *, ip: str | None) -> tuple[ArcoRequest, str]:
    """File a cancellation request; returns it and the answer to show the person.

    During retention the answer is the date from which cancellation applies (the end of the
    retention period, when the record is anonymized anyway). Audits
    ``privacy.cancellation_requested``.
    """
    until = retention_until(request)
    today = timeutil.local_today()
    years = retention.years_for(retention.record_class("solicitud"))
    held = retention.hold_for("solicitud", request.folio) is not None
    if until is None:
        answer = (f"Su solicitud sigue en trámite. Es un registro de calidad que debe "
                  f"conservarse {years} años desde su conclusión; la cancelación procederá al "
                  "término de ese plazo y sus datos se anonimizarán entonces.")
    elif until > today:
        answer = (f"Su solicitud es un registro de calidad que debe conservarse {years} años "
                  f"desde su conclusión ({timeutil.format_date(request.closed_at)}). La "
                  f"cancelación procede a partir del {timeutil.format_date(until)}, fecha en "
                  "que sus datos se anonimizarán.")
    else:
        until = today
        answer = ("El plazo de conservación de su solicitud ya terminó: sus datos se "
                  "anonimizarán en la próxima depuración programada.")
    if held:
        answer += (" Además, el registro está sujeto a una conservación por motivo legal; la "
                   "cancelación se aplicará cuando esta concluya.")
    arco = ArcoRequest(folio=request.folio, kind=ArcoKind.CANCELACION.value,
                       status=ArcoStatus.PROGRAMADA.value, submitted_at=timeutil.now(),
                       description="Cancelación de datos personales", applies_from=until,
                       response=answer)
    session().add(arco)
    session().flush()
    audit.record("privacy.cancellation_requested",
                 actor=audit.Actor("solicitante", "solicitante", ip),
                 object_type="request", object_id=request.folio,
                 summary=f"Solicitud de cancelación de datos de {request.folio}",
                 details={"arco_id": arco.id,
                          "applies_from": until.isoformat() if until else None})
    return arco, answer


# ---------------------------------------------------------------------------------------------
# Staff side: the custodian's ARCO tasks


def open_tasks() -> list[ArcoRequest]:
    """Rectification requests not yet answered, oldest first."""
    return list(session().scalars(
        select(ArcoRequest).where(ArcoRequest.status == ArcoStatus.PENDIENTE.value)
        .order_by(ArcoRequest.submitted_at, ArcoRequest.id)))


def recent_requests(limit: int = 50) -> list[ArcoRequest]:
    """The latest ARCO requests of any kind, newest first."""
    return list(session().scalars(select(ArcoRequest).order_by(
        ArcoRequest.submitted_at.desc(), ArcoRequest.id.desc()).limit(limit)))


def task(arco_id: int, *, actor: audit.Actor) -> tuple[ArcoRequest, AccountRequest]:
    """An ARCO request and its solicitud, for staff; audits the read of personal data."""
    arco = db_get(ArcoRequest, arco_id)
    if arco is None:
        raise NotFound("No existe esa solicitud ARCO.")
    audit.record("privacy.arco_viewed", actor=actor, object_type="request",
                 object_id=arco.folio,
                 summary=f"Consulta de la solicitud ARCO {arco.id} de {arco.folio}",
                 details={"arco_id": arco.id})
    return arco, by_folio(arco.folio)


def resolve(arco: ArcoRequest, *, accepted: bool, response: str,
            actor: audit.Actor) -> None:
    """Answer a rectification request (the correction itself is made where the data lives).

    Audits ``privacy.arco_resolved``.
    """
    if arco.status != ArcoStatus.PENDIENTE.value:
        raise Conflict("Esa solicitud ARCO ya fue atendida.")
    arco.status = (ArcoStatus.ATENDIDA if accepted else ArcoStatus.IMPROCEDENTE).value
    arco.response, arco.resolved_at, arco.resolved_by = response, timeutil.now(), actor.name
    session().flush()
    audit.record("privacy.arco_resolved", actor=actor, object_type="request",
                 object_id=arco.folio,
                 summary=f"Solicitud ARCO {arco.id} de {arco.folio}: "
                         f"{ArcoStatus(arco.status).label.lower()}",
                 details={"arco_id": arco.id, "status": arco.status})
