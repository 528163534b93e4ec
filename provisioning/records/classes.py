"""The record classes Alta keeps, with their retention rules.

To add one (e.g. the oficio, 3 years from issue, ``[retention].oficio_years``), define a
``RecordClass`` next to its model and list it in ``CLASSES`` before ``AUDIT_EVENTS``: the
audit events go last, so every disposal of the run is itself recorded before old events
are purged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from provisioning import timeutil
from provisioning.account_requests.models import AccountRequest, RequestEvent
from provisioning.approvals import services as approvals
from provisioning.audit.models import AuditEvent, AuditHead
from provisioning.audit.services import purge_through
from provisioning.db import session
from provisioning.documents import models as documents_models
from provisioning.documents import services as documents
from provisioning.handoff import services as handoff
from provisioning.it import services as it
from provisioning.lifecycle import records as lifecycle_records
from provisioning.notifications import services as notifications
from provisioning.oficios.models import Oficio
from provisioning.people import accounts as people_accounts
from provisioning.people import services as people
from provisioning.preregistration import services as preregistration
from provisioning.privacy.models import ArcoRequest
from provisioning.retention.models import Disposal
from provisioning.retention.services import (
    Candidate,
    RecordClass,
    add_years,
    held_audit_objects,
    subtract_years,
)
from provisioning.reviews import documents as review_documents
from provisioning.reviews import records as review_records
from provisioning.roster import records as roster_records

# ---------------------------------------------------------------------------------------------
# Solicitud FO-DPE-STI-DI-04: 3 years from the request's closure, then anonymized.



def _request_ids(folios: list[str]) -> list[int]:
    return list(session().scalars(select(AccountRequest.id).where(
        AccountRequest.folio.in_(folios))))


def _remove_request_documents(folios: list[str]) -> None:
    """The issued PDFs of the solicitudes (they print the person's data)."""
    documents.remove_issued(documents_models.SOLICITUD, _request_ids(folios))


def _remove_request_mail(folios: list[str]) -> None:
    """The e-mails kept in the outbox about the requests (they name the person)."""
    notifications.remove_about("request", folios)


def _clear_history_reasons(folios: list[str]) -> None:
    """Return/reject reasons may quote personal data; the moves themselves stay."""
    session().execute(update(RequestEvent).where(
        RequestEvent.request_id.in_(_request_ids(folios))).values(reason=None))


def _remove_handoff_data(folios: list[str]) -> None:
    """The person's pre-registration (Tabla 1), the activation codes' rows (hashes, which
    ID they showed) and the link reviews (the account's DN names the person); the custody
    hops stay (staff names and folios, no personal data)."""
    ids = _request_ids(folios)
    preregistration.remove(ids)
    handoff.remove_codes(ids)
    it.remove_link_reviews(ids)  # the existing accounts IT was asked about


def _clear_signed_contents(folios: list[str]) -> None:
    """What each signature signed is the request as filed; its SHA-256 stays."""
    approvals.clear_contents(_request_ids(folios))


def _forget_people(folios: list[str]) -> None:
    """The people of these requests, once none of their requests keeps a CURP: their CURP
    and names go too (the row stays, so their anonymized cases still share an owner)."""
    owners = set(session().scalars(select(AccountRequest.person_id).where(
        AccountRequest.folio.in_(folios))))
    _anonymize_people(owners)


def _anonymize_people(owners: set[int], *, ignoring: tuple[str, list[str]] | None = None
                      ) -> None:
    """Blank the CURP and names of these people unless a request still keeps its CURP or a
    baja, cambio, prórroga or access review of theirs is not disposed of yet (``ignoring``:
    (record class name, folios) being disposed of in this run)."""
    kept = set(session().scalars(select(AccountRequest.person_id).where(
        AccountRequest.person_id.in_(owners), AccountRequest.curp != "")))
    kept |= lifecycle_records.people_kept(owners, _disposed, ignoring)
    kept |= review_records.people_kept(owners, _disposed, ignoring)
    people.anonymize(owners - kept)


def _disposed(record_class: str) -> object:
    return select(Disposal.record_key).where(Disposal.record_class == record_class)


def _forget_account_names(folios: list[str]) -> None:
    """The account's DN, user name and UPN are made of the person's names; the GUID stays."""
    people_accounts.forget_names(_request_ids(folios))


# Stored files and texts of solicitudes, removed when they are anonymized: each takes the
# folios of one batch.
SOLICITUD_FILE_REMOVERS: tuple[Callable[[list[str]], None], ...] = (
    _remove_request_documents, _remove_request_mail, _clear_history_reasons,
    _remove_handoff_data, _clear_signed_contents, _forget_account_names, _forget_people)
ANONYMIZED = "purgado"  # what replaces the tracking code's hash: no code matches it


def _solicitud_due(until: datetime, years: int) -> list[Candidate]:
    disposed = select(Disposal.record_key).where(Disposal.record_class == "solicitud")
    rows = session().execute(
        select(AccountRequest.folio, AccountRequest.closed_at, AccountRequest.submitted_at,
               AccountRequest.status, AccountRequest.unit_clues)
        .where(AccountRequest.closed_at <= subtract_years(until, years),
               AccountRequest.folio.not_in(disposed))
        .order_by(AccountRequest.closed_at, AccountRequest.id))
    found = []
    for folio, closed_at, submitted_at, status, unit in rows:
        due_at = add_years(closed_at, years)
        if due_at <= until:
            found.append(Candidate(
                "solicitud", folio, closed_at, due_at, f"Solicitud {folio}",
                {"status": status, "submitted_at": submitted_at.isoformat(),
                 "closed_at": closed_at.isoformat(), "unit_clues": unit}))
    return found


def _solicitud_dispose(candidates: list[Candidate]) -> str:
    """Clear the people's data; keep folio, dates, status and unit (the tombstone)."""
    folios = [c.key for c in candidates]
    session().execute(
        update(AccountRequest).where(AccountRequest.folio.in_(folios))
        .values(curp="", nombres="", primer_apellido="", segundo_apellido=None,
                extension=None, telefono="", contact_email="", departamento="",
                tracking_code_hash=ANONYMIZED, updated_at=timeutil.now(),
                version=AccountRequest.version + 1)
        .execution_options(synchronize_session=False))
    # What the person wrote in ARCO requests is personal data too.
    session().execute(update(ArcoRequest).where(ArcoRequest.folio.in_(folios))
                      .values(description="", response=None))
    for remove in SOLICITUD_FILE_REMOVERS:
        remove(folios)
    return "anonimizado"


def _solicitud_exists(folio: str) -> bool:
    return session().scalar(
        select(func.count()).select_from(AccountRequest).where(
            AccountRequest.folio == folio,
            AccountRequest.folio.not_in(select(Disposal.record_key).where(
                Disposal.record_class == "solicitud")))) == 1


SOLICITUD = RecordClass(
    name="solicitud", label="Solicitud FO-DPE-STI-DI-04",
    years=lambda r: r.solicitud_years, due=_solicitud_due, dispose=_solicitud_dispose,
    exists=_solicitud_exists, audit_object_type="request")


# ---------------------------------------------------------------------------------------------
# Oficio: 3 years from its signature; then its annex (names) and its PDFs go, and the row
# stays as the tombstone (number, dates, areas, signer, hash of what was signed).


def _oficio_due(until: datetime, years: int) -> list[Candidate]:
    disposed = select(Disposal.record_key).where(Disposal.record_class == "oficio")
    rows = session().execute(
        select(Oficio.number, Oficio.signed_at, Oficio.kind, Oficio.status)
        .where(Oficio.signed_at <= subtract_years(until, years),
               Oficio.number.not_in(disposed))
        .order_by(Oficio.signed_at, Oficio.id))
    found = []
    for number, signed_at, kind, status in rows:
        due_at = add_years(signed_at, years)
        if due_at <= until:
            found.append(Candidate("oficio", number, signed_at, due_at, f"Oficio {number}",
                                   {"kind": kind, "status": status,
                                    "signed_at": signed_at.isoformat()}))
    return found


def _oficio_dispose(candidates: list[Candidate]) -> str:
    numbers = [c.key for c in candidates]
    ids = list(session().scalars(select(Oficio.id).where(Oficio.number.in_(numbers))))
    documents.remove_issued(documents_models.OFICIO, ids)
    notifications.remove_about("oficio", numbers)
    # The signed content lists each person's folio and name; its hash stays as evidence.
    session().execute(update(Oficio).where(Oficio.id.in_(ids)).values(content="{}")
                      .execution_options(synchronize_session=False))
    return "anonimizado"


def _oficio_exists(number: str) -> bool:
    return session().scalar(select(func.count()).select_from(Oficio).where(
        Oficio.number == number,
        Oficio.number.not_in(select(Disposal.record_key).where(
            Disposal.record_class == "oficio")))) == 1


OFICIO = RecordClass(
    name="oficio", label="Oficio", years=lambda r: r.oficio_years, due=_oficio_due,
    dispose=_oficio_dispose, exists=_oficio_exists, audit_object_type="oficio")


# ---------------------------------------------------------------------------------------------
# Bajas, cambios de adscripción and prórrogas: 3 years from their closure (execution,
# cancellation; a prórroga's signature); then the account name, the written reasons and
# what was signed go (hashes, dates, units and reason codes stay), and the person is
# anonymized once nothing else of theirs is kept.


def _lifecycle_class(kind: lifecycle_records.Kind,
                     years: Callable[[Any], int]) -> RecordClass:
    def due(until: datetime, period: int) -> list[Candidate]:
        done = set(session().scalars(_disposed(kind.name)))
        found = []
        for folio, closed_at, status in lifecycle_records.closed_before(
                kind, subtract_years(until, period)):
            due_at = add_years(closed_at, period)
            if folio not in done and due_at <= until:
                found.append(Candidate(kind.name, folio, closed_at, due_at,
                                       f"{kind.label} {folio}",
                                       {"status": status, "closed_at": closed_at.isoformat()}))
        return found

    def dispose(candidates: list[Candidate]) -> str:
        folios = [c.key for c in candidates]
        notifications.remove_about(kind.name, folios)
        # The issued PDFs print the person's data; their kind is the record class's name.
        documents.remove_issued(kind.name, lifecycle_records.ids_of(kind, folios))
        owners = lifecycle_records.forget(kind, folios)
        # This run's folios are recorded as disposed after dispose returns: leave them out.
        _anonymize_people(owners, ignoring=(kind.name, folios))
        return "anonimizado"

    return RecordClass(name=kind.name, label=kind.label, years=years, due=due,
                       dispose=dispose, audit_object_type=kind.name,
                       exists=lambda folio: lifecycle_records.exists(
                           kind, folio, _disposed(kind.name)))


BAJA = _lifecycle_class(lifecycle_records.BAJA, lambda r: r.baja_years)
CAMBIO = _lifecycle_class(lifecycle_records.CAMBIO, lambda r: r.cambio_years)
PRORROGA = _lifecycle_class(lifecycle_records.PRORROGA, lambda r: r.prorroga_years)


# ---------------------------------------------------------------------------------------------
# Access review campaigns: 3 years from their closure; then the account names of their items,
# the results signed at closing (their SHA-256 stays), the report PDFs and the mail go, and
# the people reviewed are anonymized once nothing else of theirs is kept. Dates, units,
# answers, counts, who answered and the hashes stay.


def _revision_due(until: datetime, years: int) -> list[Candidate]:
    done = set(session().scalars(_disposed(review_records.NAME)))
    found = []
    for folio, closed_at, status in review_records.closed_before(subtract_years(until, years)):
        due_at = add_years(closed_at, years)
        if folio not in done and due_at <= until:
            found.append(Candidate(review_records.NAME, folio, closed_at, due_at,
                                   f"{review_records.LABEL} {folio}",
                                   {"status": status, "closed_at": closed_at.isoformat()}))
    return found


def _revision_dispose(candidates: list[Candidate]) -> str:
    folios = [c.key for c in candidates]
    notifications.remove_about("review", folios)
    # The report prints every account reviewed and its person's name.
    documents.remove_issued(review_documents.KIND, review_records.ids_of(folios))
    owners = review_records.forget(folios)
    # This run's folios are recorded as disposed after dispose returns: leave them out.
    _anonymize_people(owners, ignoring=(review_records.NAME, folios))
    return "anonimizado"


REVISION = RecordClass(
    name=review_records.NAME, label=review_records.LABEL, years=lambda r: r.revision_years,
    due=_revision_due, dispose=_revision_dispose, audit_object_type="review",
    exists=lambda folio: review_records.exists(folio, _disposed(review_records.NAME)))


# ---------------------------------------------------------------------------------------------
# Staff rosters: 1 year from their upload, then deleted with their lines (CURP and names).


def _padron_due(until: datetime, years: int) -> list[Candidate]:
    done = set(session().scalars(_disposed(roster_records.NAME)))
    found = []
    for key, uploaded_at in roster_records.uploaded_before(subtract_years(until, years)):
        due_at = add_years(uploaded_at, years)
        if key not in done and due_at <= until:
            found.append(Candidate(roster_records.NAME, key, uploaded_at, due_at,
                                   f"{roster_records.LABEL} del "
                                   f"{timeutil.format_date(uploaded_at)}",
                                   {"uploaded_at": uploaded_at.isoformat()}))
    return found


def _padron_dispose(candidates: list[Candidate]) -> str:
    roster_records.delete_rosters([c.key for c in candidates])
    return "eliminado"


PADRON = RecordClass(
    name=roster_records.NAME, label=roster_records.LABEL, years=lambda r: r.padron_years,
    due=_padron_due, dispose=_padron_dispose, audit_object_type="roster",
    exists=lambda key: roster_records.exists(key, _disposed(roster_records.NAME)))


# ---------------------------------------------------------------------------------------------
# Audit events: a longer period, then the oldest stretch of the chain is deleted.


def _audit_due(until: datetime, years: int) -> list[Candidate]:
    """The oldest events due by ``until``, up to the first about a record under hold."""
    db = session()
    start = db.scalar(select(AuditHead.purged_through).where(AuditHead.id == 1))
    young = db.scalar(select(func.min(AuditEvent.seq)).where(
        AuditEvent.seq > start, AuditEvent.occurred_at > subtract_years(until, years)))
    through = (young - 1) if young is not None else db.scalar(
        select(AuditHead.seq).where(AuditHead.id == 1))
    held = held_audit_objects()
    if held:
        first_held = db.scalar(select(func.min(AuditEvent.seq)).where(
            AuditEvent.seq > start,
            or_(*(and_(AuditEvent.object_type == t, AuditEvent.object_id == k)
                  for t, k in held))))
        if first_held is not None:
            through = min(through, first_held - 1)
    if through <= start:
        return []
    first_at, last_at = (db.scalar(select(AuditEvent.occurred_at).where(AuditEvent.seq == s))
                         for s in (start + 1, through))
    key = f"{start + 1}-{through}"
    return [Candidate("audit_events", key, first_at, add_years(last_at, years),
                      f"Eventos {start + 1} a {through} de la bitácora",
                      {"first_seq": str(start + 1), "last_seq": str(through),
                       "first_at": first_at.isoformat(), "last_at": last_at.isoformat()})]


def _audit_dispose(candidates: list[Candidate]) -> str:
    (candidate,) = candidates  # one stretch of the chain per run
    through = int(candidate.key.split("-")[1])
    checkpoint = purge_through(through)
    if candidate.details is not None:
        candidate.details["checkpoint"] = str(checkpoint.number)
    return "eliminado"


AUDIT_EVENTS = RecordClass(
    name="audit_events", label="Eventos de la bitácora",
    years=lambda r: r.audit_events_years, due=_audit_due, dispose=_audit_dispose)


CLASSES: tuple[RecordClass, ...] = (SOLICITUD, OFICIO, BAJA, CAMBIO, PRORROGA, REVISION,
                                    PADRON, AUDIT_EVENTS)
