"""The Departamento de Informática's step: provision requests into Active Directory (queue,
record the outcome, show progress), the existing accounts IT must confirm, and (``replies``)
the reply oficio.

The web never talks to the DC. IT queues requests (``queue_provisioning``): one job per
request, with the key ``directory.provision:<id>``, in IT's own transaction. ``alta worker``
runs the job (``it.tasks``): it reads the request, creates or links the account on the
DC, and records the outcome here (``record_outcome``) in a new transaction, which moves the
request to ``cuenta_creada``. The job is safe to run again at any point.

An existing account with the person's CURP that is disabled, has adminCount=1 or lives
outside Alta's OUs is never linked on the job's own: the job records a ``LinkReview``
(``hold_link``) and waits; an IT user confirms (fresh TOTP, ``confirm_link``) or rejects
(``reject_link``) it, and a confirmed job goes on and links exactly that account.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from provisioning import audit, db, timeutil, wording
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus, transition
from provisioning.approvals import services as approvals
from provisioning.config import current as settings
from provisioning.crypto import pseudonym
from provisioning.directory.accounts import (
    ACCOUNTDISABLE,
    CONCERNS,
    LinkApproval,
    Outcome,
    Person,
)
from provisioning.directory.errors import DirectoryNotConfigured, LinkNeedsConfirmation
from provisioning.errors import Conflict, NotFound
from provisioning.it.models import (
    CONFIRMED,
    PENDING,
    REJECTED,
    SUPERSEDED,
    LinkReview,
    ProvisioningBatch,
)
from provisioning.jobs import services as jobs
from provisioning.jobs.models import CANCELLED, FAILED, QUEUED, RUNNING, WAITING, Job
from provisioning.notifications import services as notifications
from provisioning.oficios import services as oficios
from provisioning.oficios.models import ENVIO, RECEIVED, Oficio
from provisioning.people import rules as people_rules
from provisioning.people.accounts import CREATED, LINKED, DirectoryAccount, account_of
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser

KIND = "directory.provision"
OBJECT_TYPE = "request"
WORKER = audit.Actor.system("alta-worker")
# The requests IT works on: received (to create) and created (waiting for the reply oficio).
IT_STATES = (RequestStatus.RECIBIDA_INFORMATICA, RequestStatus.CUENTA_CREADA)


def configured() -> bool:
    """True when a directory is configured and enabled."""
    return settings().directory.active


def job_key(request_id: int) -> str:
    """The idempotency key of a request's provisioning job."""
    return f"{KIND}:{request_id}"


# ---------------------------------------------------------------------------------------------
# Queueing (IT, in the web request's transaction)


@dataclass(frozen=True)
class QueueResult:
    """What ``queue_provisioning`` did: the batch, and what it left out and why."""

    batch: ProvisioningBatch
    queued: list[AccountRequest]
    skipped: list[tuple[str, str]]  # (folio or id, Spanish reason)


def queue_provisioning(request_ids: Iterable[int], *, actor: audit.Actor) -> QueueResult:
    """Queue account creation for requests received by IT; returns the batch.

    Requests not in «recibida por Informática» or that already have an account are skipped
    with a reason. A failed or cancelled job is queued again. Audits ``directory.queued``
    per request and ``directory.batch_queued``. Raises Conflict when nothing could be
    queued, DirectoryNotConfigured without a directory.
    """
    if not configured():
        raise DirectoryNotConfigured()
    ids = list(dict.fromkeys(int(i) for i in request_ids))
    if not ids:
        raise Conflict("No eligió ninguna solicitud.")
    session = db.session()
    found = {r.id: r for r in session.scalars(
        select(AccountRequest).where(AccountRequest.id.in_(ids)))}
    with_account = set(session.scalars(
        select(DirectoryAccount.request_id).where(DirectoryAccount.request_id.in_(ids))))
    queued: list[AccountRequest] = []
    skipped: list[tuple[str, str]] = []
    for request_id in ids:
        request = found.get(request_id)
        if request is None:
            skipped.append((str(request_id), "no existe"))
        elif request_id in with_account:
            skipped.append((request.folio, "ya tiene cuenta"))
        elif request.status != RequestStatus.RECIBIDA_INFORMATICA:
            skipped.append((request.folio, f"está en «{RequestStatus(request.status).label}»"))
        else:
            _enqueue(request, actor)
            queued.append(request)
    if not queued:
        reasons = "; ".join(f"{who}: {why}" for who, why in skipped[:5])
        raise Conflict(f"Ninguna de las solicitudes elegidas puede enviarse al directorio "
                       f"({reasons}).")
    batch = ProvisioningBatch(created_at=timeutil.now(), created_by=actor.name,
                              request_ids_json=json.dumps([r.id for r in queued]))
    session.add(batch)
    session.flush()
    audit.record("directory.batch_queued", actor=actor, object_type="directory_batch",
                 object_id=batch.id,
                 summary=f"Lote {batch.id}: {len(queued)} solicitudes enviadas a crear su "
                         f"cuenta" + (f" ({len(skipped)} omitidas)" if skipped else ""),
                 details={"queued": len(queued), "skipped": len(skipped)})
    return QueueResult(batch, queued, skipped)


def _enqueue(request: AccountRequest, actor: audit.Actor) -> Job:
    job = jobs.enqueue(KIND, {"request_id": request.id, "queued_by": actor.name},
                       key=job_key(request.id), object_type=OBJECT_TYPE,
                       object_id=str(request.id))
    audit.record("directory.queued", actor=actor, object_type="request",
                 object_id=request.folio,
                 summary=f"Solicitud {request.folio}: creación de la cuenta en cola",
                 details={"job_id": job.id})
    return job


def batch(batch_id: int) -> ProvisioningBatch:
    """A batch by id, or NotFound."""
    found = db.get(ProvisioningBatch, batch_id)
    if found is None:
        raise NotFound("No existe ese lote.")
    return found


def job_for(request: AccountRequest) -> Job | None:
    """The provisioning job of a request, if it was ever queued."""
    return db.session().scalar(select(Job).where(Job.key == job_key(request.id)))


def retry(request: AccountRequest, *, actor: audit.Actor) -> Job:
    """Queue the request's job again now (after an error, a cancellation, or a long wait)."""
    job = job_for(request)
    if job is None:
        if not configured():
            raise DirectoryNotConfigured()
        if request.status != RequestStatus.RECIBIDA_INFORMATICA:
            raise Conflict(f"La solicitud {request.folio} no está en Informática.")
        return _enqueue(request, actor)
    jobs.retry(job, actor=actor)
    return job


def cancel(request: AccountRequest, *, actor: audit.Actor) -> Job:
    """Cancel the request's queued or failed job (the request stays with IT)."""
    job = job_for(request)
    if job is None:
        raise Conflict(f"La solicitud {request.folio} no tiene una creación de cuenta en "
                       "curso.")
    jobs.cancel(job, actor=actor)
    return job


# ---------------------------------------------------------------------------------------------
# The worker's side (called by directory.tasks)


def person_for(request_id: int) -> Person | None:
    """What the directory needs to create the request's account; None when already done.

    Raises NotFound, or Conflict when the request is no longer with IT.
    """
    request = db.get(AccountRequest, request_id)
    if request is None:
        raise NotFound(f"La solicitud {request_id} ya no existe.")
    if account_of(request) is not None:
        return None
    if request.status != RequestStatus.RECIBIDA_INFORMATICA:
        state = RequestStatus(request.status).label
        raise Conflict(f"La solicitud {request.folio} está en «{state}»: ya no se crea su "
                       "cuenta.")
    return Person(curp=request.curp, given_names=request.nombres,
                  first_surname=request.primer_apellido,
                  second_surname=request.segundo_apellido, folio=request.folio,
                  unit_name=request.unit.name, unit_clues=request.unit_clues,
                  unit_type=request.unit_type, jurisdiction_code=request.jurisdiction_code,
                  staff_type_code=request.staff_type_code,
                  wants_email=request.wants_email_account,
                  expires_at=people_rules.expires_at(request.end_date))


def record_outcome(request_id: int, outcome: Outcome, *,
                   queued_by: str | None = None) -> DirectoryAccount:
    """Record the request's account and move it to «cuenta creada»; idempotent.

    Audits ``directory.account_created`` or ``directory.account_linked`` and the transition.
    """
    session = db.session()
    request = session.get(AccountRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFound(f"La solicitud {request_id} ya no existe.")
    existing = account_of(request)
    if existing is not None:
        if existing.object_guid != outcome.account.guid:
            raise Conflict(f"La solicitud {request.folio} ya tiene otra cuenta registrada "
                           f"({existing.sam_account_name}).")
        return existing
    account = outcome.account
    row = DirectoryAccount(request_id=request.id, person_id=request.person_id,
                           sam_account_name=account.sam_account_name,
                           user_principal_name=account.user_principal_name or "",
                           object_guid=account.guid, dn=account.dn,
                           origin=CREATED if outcome.created else LINKED,
                           created_at=timeutil.now())
    # A run of this job on another worker (whose lease had expired) could insert the same
    # row at the same time: the unique request_id then fails this transaction, and the
    # job's next run finds the account recorded.
    session.add(row)
    session.flush()
    # The names and the DN spell out the person: the log, kept longer than the request,
    # gets their keyed hashes (see crypto.Pseudonymizer) and the account's GUID.
    details = {"object_guid": account.guid, "origin": row.origin, "queued_by": queued_by,
               "curp_hmac": pseudonym("curp", request.curp),
               "user_hmac": pseudonym("user", account.sam_account_name)}
    review = latest_review(request)
    confirmed = (review if review is not None and review.status == CONFIRMED
                 and review.object_guid == account.guid and not outcome.created else None)
    if confirmed is not None:
        details["link_review"] = confirmed.id
    transition(request, "account_created", actor=WORKER, details=details)
    verb = "creada" if outcome.created else "vinculada (ya existía con la misma CURP)"
    if confirmed is not None:
        verb = f"vinculada (ya existía con la misma CURP; la confirmó {confirmed.decided_by_name})"
    audit.record(f"directory.account_{row.origin}", actor=WORKER, object_type="request",
                 object_id=request.folio,
                 summary=f"Solicitud {request.folio}: cuenta del directorio {verb}",
                 details={**details, "dn_hmac": pseudonym("dn", account.dn)})
    return row


# ---------------------------------------------------------------------------------------------
# Existing accounts that wait for IT (the worker holds, IT decides)


def reasons_text(review: LinkReview) -> list[str]:
    """Why the account waits for IT, in Spanish (one line per reason)."""
    return [CONCERNS[r] for r in sorted(review.concerns) if r in CONCERNS]


def latest_review(request: AccountRequest) -> LinkReview | None:
    """The request's newest link review (None: provisioning never had to ask)."""
    return db.session().scalar(select(LinkReview).where(
        LinkReview.request_id == request.id).order_by(LinkReview.id.desc()).limit(1))


def pending_review(request: AccountRequest) -> LinkReview | None:
    """The link review waiting for IT's decision, if any."""
    return db.session().scalar(select(LinkReview).where(
        LinkReview.request_id == request.id, LinkReview.status == PENDING))


def approved_link(request_id: int) -> LinkApproval | None:
    """What IT confirmed for the request's job to link, if its newest review is a
    confirmation (a later hold or rejection takes it back)."""
    request = db.get(AccountRequest, request_id)
    review = latest_review(request) if request is not None else None
    if review is None or review.status != CONFIRMED:
        return None
    return LinkApproval(review.object_guid, review.concerns)


def hold_link(request_id: int, held: LinkNeedsConfirmation) -> LinkReview:
    """The worker found a risky existing account: record what the DC showed and wait.

    Idempotent: the same account with the same reasons keeps its pending review; a changed
    one replaces it (``superseded``). Audits ``directory.link_held`` and tells IT by e-mail.
    Called by the job handler, which then raises NeedsDecision (committed with the job).
    """
    session = db.session()
    request = session.get(AccountRequest, request_id, populate_existing=True)
    if request is None:
        raise NotFound(f"La solicitud {request_id} ya no existe.")
    account = held.account
    reasons = ",".join(sorted(held.concerns))
    now = timeutil.now()
    pending = pending_review(request)
    if pending is not None:
        if pending.object_guid == account.guid and pending.reasons == reasons:
            return pending
        pending.status, pending.decided_at = SUPERSEDED, now
        session.flush()
    review = LinkReview(request_id=request.id, object_guid=account.guid,
                        sam_account_name=account.sam_account_name, dn=account.dn,
                        user_account_control=account.user_account_control,
                        admin_count=account.admin_count, reasons=reasons, found_at=now,
                        status=PENDING)
    session.add(review)
    session.flush()
    why = "; ".join(reasons_text(review))
    audit.record("directory.link_held", actor=WORKER, object_type="request",
                 object_id=request.folio,
                 summary=f"Solicitud {request.folio}: la cuenta existente "
                         f"{account.sam_account_name} no se vinculó; espera la confirmación "
                         f"de Informática ({why})"[:500],
                 details={"review": review.id, "object_guid": account.guid, "dn": account.dn,
                          "sam_account_name": account.sam_account_name,
                          "user_account_control": account.user_account_control,
                          "admin_count": account.admin_count, "reasons": sorted(held.concerns)})
    notifications.queue(staff.it_emails(), "vinculo_pendiente",
                        f"Solicitud {request.folio}: confirme o rechace el vínculo con una "
                        "cuenta existente", object_type="request", object_id=request.folio,
                        request=request, sam_account_name=account.sam_account_name,
                        path=f"/informatica/solicitudes/{request.id}/vinculo")
    return review


def waiting_message(review: LinkReview) -> str:
    """What IT reads next to the request while the job waits (Spanish)."""
    return (f"la cuenta existente {review.sam_account_name} "
            + "; ".join(reasons_text(review)) + ". Revísela y confirme o rechace el vínculo.")


def _decidable(request: AccountRequest) -> LinkReview:
    review = pending_review(request)
    if review is None:
        raise Conflict(f"La solicitud {request.folio} no tiene una cuenta existente por "
                       "confirmar (¿ya la decidió otra persona?).")
    if request.status != RequestStatus.RECIBIDA_INFORMATICA.value:
        raise Conflict(f"La solicitud {request.folio} ya no está en Informática.")
    return review


def _decide(request: AccountRequest, review: LinkReview, status: str, *,
            principal: staff.Principal, user: StaffUser, ip: str | None,
            reason: str | None = None) -> audit.Actor:
    """Record and audit the decision (``directory.link_<status>``); only one of two people
    deciding at the same moment wins. Returns the deciding actor."""
    decided = db.session().execute(
        update(LinkReview).where(LinkReview.id == review.id, LinkReview.status == PENDING)
        .values(status=status, decided_at=timeutil.now(), decided_ip=ip,
                decided_by_id=user.id, decided_by_name=user.full_name,
                decision_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if decided != 1:
        raise Conflict("Otra persona de Informática ya decidió sobre esta cuenta. Vuelva a "
                       "cargar la página.")
    db.session().refresh(review)
    actor = principal.actor(ip, _it_role(principal))
    verb = "confirmó" if status == CONFIRMED else "rechazó"
    audit.record(f"directory.link_{status}", actor=actor, object_type="request",
                 object_id=request.folio,
                 summary=f"Solicitud {request.folio}: {user.full_name} {verb} vincular la "
                         f"cuenta existente {review.sam_account_name}"[:500],
                 details={"review": review.id, "object_guid": review.object_guid,
                          "dn": review.dn, "reasons": sorted(review.concerns),
                          "user_account_control": review.user_account_control,
                          "admin_count": review.admin_count,
                          "reenables": status == CONFIRMED
                          and bool(review.user_account_control & ACCOUNTDISABLE),
                          "reason": reason})
    return actor


def confirm_link(request: AccountRequest, *, principal: staff.Principal, user: StaffUser,
                 code: str, ip: str | None) -> LinkReview:
    """An IT user confirms linking the pending account, with a fresh TOTP code.

    The confirmation covers that account (objectGUID) and the reasons shown; the job is
    queued again and links it (a changed account is held again). Nothing is written on the
    DC here. Audits ``directory.link_confirmed``.
    """
    review = _decidable(request)
    # It may re-enable a disabled account: a new code, never the step-up window.
    staff.verify_step_up(user, code, ip=ip, fresh=True)
    actor = _decide(request, review, CONFIRMED, principal=principal, user=user, ip=ip)
    retry(request, actor=actor)
    return review


def reject_link(request: AccountRequest, *, principal: staff.Principal, user: StaffUser,
                reason: str, ip: str | None) -> LinkReview:
    """An IT user refuses the link, with a reason: the job is cancelled, the account stays
    as it is and the request stays with IT. Audits ``directory.link_rejected``."""
    review = _decidable(request)
    reason = approvals.reason_text(reason)
    actor = _decide(request, review, REJECTED, principal=principal, user=user, ip=ip,
                    reason=reason)
    job = job_for(request)
    if job is not None and job.status == WAITING:
        jobs.cancel(job, actor=actor)
    return review


def _it_role(principal: staff.Principal) -> Role:
    return next(r for r in (Role.JEFE_INFORMATICA, Role.INFORMATICA) if principal.has(r))


def remove_link_reviews(request_ids: list[int]) -> int:
    """Delete the requests' link reviews (retention: they name the account); the audit log
    keeps each decision. Returns how many went."""
    result = db.session().execute(delete(LinkReview).where(
        LinkReview.request_id.in_(request_ids)))
    return result.rowcount or 0


# ---------------------------------------------------------------------------------------------
# What IT sees


@dataclass(frozen=True)
class Row:
    """One request as IT's pages list it."""

    request: AccountRequest
    account: DirectoryAccount | None
    job: Job | None
    review: LinkReview | None = None  # the newest link review, if provisioning had to ask

    @property
    def status_text(self) -> str:
        """The request's provisioning status in Spanish."""
        if self.account is not None:
            verb = "Cuenta creada" if self.account.created else "Vinculada a cuenta existente"
            return f"{verb}: {self.account.sam_account_name}"
        if self.needs_decision:
            assert self.review is not None
            return f"Espera confirmación de Informática: {waiting_message(self.review)}"
        if self.review is not None and self.review.status == REJECTED and (
                self.job is None or self.job.status == CANCELLED):
            return (f"Vínculo rechazado con la cuenta existente {self.review.sam_account_name}"
                    f": {self.review.decision_reason}")
        if self.job is None:
            return "Sin enviar al directorio"
        return jobs.status_text(self.job)

    @property
    def needs_decision(self) -> bool:
        """An existing account waits for IT to confirm or reject the link."""
        return (self.account is None and self.review is not None
                and self.review.status == PENDING)

    @property
    def can_retry(self) -> bool:
        """IT may queue it (again) now."""
        return self.account is None and (self.job is None or self.job.status in (
            FAILED, CANCELLED, QUEUED))

    @property
    def can_cancel(self) -> bool:
        """IT may cancel its job."""
        return self.account is None and self.job is not None and self.job.status in (
            QUEUED, FAILED)


QUEUE_PAGE = 100  # rows of the IT accounts list per page (keyset: after the last id)


def rows(*, request_ids: Iterable[int] | None = None,
         states: Iterable[RequestStatus] = IT_STATES, after: int | None = None,
         limit: int | None = None) -> list[Row]:
    """Requests with their account and job: the given ids, or every request in ``states``
    (by id; with ``after``/``limit``, one keyset page of them)."""
    session = db.session()
    query = select(AccountRequest)
    if request_ids is not None:
        query = query.where(AccountRequest.id.in_(list(request_ids)))
    else:
        query = query.where(AccountRequest.status.in_([s.value for s in states]))
    if after is not None:
        query = query.where(AccountRequest.id > after)
    query = query.order_by(AccountRequest.id)
    requests = list(session.scalars(query.limit(limit) if limit else query))
    ids = [r.id for r in requests]
    accounts = {a.request_id: a for a in session.scalars(
        select(DirectoryAccount).where(DirectoryAccount.request_id.in_(ids)))}
    by_key = {j.key: j for j in session.scalars(
        select(Job).where(Job.key.in_([job_key(i) for i in ids])))}
    reviews: dict[int, LinkReview] = {}
    for review in session.scalars(select(LinkReview).where(LinkReview.request_id.in_(ids))
                                  .order_by(LinkReview.id)):
        reviews[review.request_id] = review  # the newest wins
    return [Row(r, accounts.get(r.id), by_key.get(job_key(r.id)), reviews.get(r.id))
            for r in requests]


def pending_count() -> int:
    """Requests received by IT and waiting for their account."""
    return db.session().scalar(select(func.count()).select_from(AccountRequest).where(
        AccountRequest.status == RequestStatus.RECIBIDA_INFORMATICA.value)) or 0


@dataclass(frozen=True)
class Progress:
    """How far a set of requests got: counts by outcome."""

    total: int
    created: int
    linked: int
    queued: int  # waiting, running or retrying
    failed: int
    cancelled: int
    not_queued: int
    to_confirm: int = 0  # an existing account waits for IT to confirm the link

    @property
    def finished(self) -> bool:
        """Nothing is waiting any more (every request has an account, failed or stopped)."""
        return self.queued == 0

    @property
    def percent(self) -> int:
        """Share of requests with an account, 0–100."""
        return round(100 * (self.created + self.linked) / self.total) if self.total else 100


def progress(request_ids: Iterable[int]) -> Progress:
    """Counts of created / linked / in queue / failed for these requests."""
    ids = list(dict.fromkeys(int(i) for i in request_ids))
    session = db.session()
    origins = dict(session.execute(
        select(DirectoryAccount.request_id, DirectoryAccount.origin)
        .where(DirectoryAccount.request_id.in_(ids))).all())
    statuses = dict(session.execute(
        select(Job.key, Job.status).where(Job.key.in_([job_key(i) for i in ids]))).all())
    counts = dict.fromkeys(("created", "linked", "queued", "failed", "cancelled",
                            "not_queued", "to_confirm"), 0)
    for request_id in ids:
        status = statuses.get(job_key(request_id))
        if request_id in origins:
            counts["created" if origins[request_id] == CREATED else "linked"] += 1
        elif status in (QUEUED, RUNNING):
            counts["queued"] += 1
        elif status == FAILED:
            counts["failed"] += 1
        elif status == CANCELLED:
            counts["cancelled"] += 1
        elif status == WAITING:
            counts["to_confirm"] += 1
        else:
            counts["not_queued"] += 1
    return Progress(total=len(ids), **counts)


# ---------------------------------------------------------------------------------------------
# The accounts of a received oficio


def require_received(oficio: Oficio) -> None:
    """Refuse anything but a liaison's oficio that IT acknowledged."""
    if oficio.kind != ENVIO or oficio.status != RECEIVED:
        raise Conflict(f"El oficio {oficio.number} no es un oficio de envío con acuse de recibo: "
                       "registre primero el acuse.")





def waiting(rows: Sequence[Row]) -> list[AccountRequest]:
    """The rows' requests that one action would send to the directory now."""
    return [r.request for r in rows if r.account is None
            and r.request.status == RequestStatus.RECIBIDA_INFORMATICA.value
            and (r.job is None or r.job.status in (FAILED, CANCELLED))]


def queue_oficio(oficio: Oficio, *, actor: audit.Actor) -> QueueResult:
    """Queue account creation for every request of a received oficio not in the queue and
    without an account (failed and cancelled ones go again).

    The oficio's entrance to ``queue_provisioning`` (one batch). Audits
    ``oficio.provisioning_queued``.
    """
    return queue_oficios([oficio], actor=actor)


def _waiting_ids(oficio: Oficio) -> list[int]:
    """The oficio's requests one action would queue; Conflict when it is not received or
    none is waiting."""
    require_received(oficio)
    ids = [r.id for r in waiting(rows(
        request_ids=[r.id for r in oficios.requests_of(oficio)]))]
    if not ids:
        raise Conflict(f"Ninguna solicitud del oficio {oficio.number} espera que se cree su "
                       "cuenta (las demás ya la tienen o están en la cola).")
    return ids


def queue_oficios(chosen: Sequence[Oficio], *, actor: audit.Actor) -> QueueResult:
    """Queue account creation for the waiting requests of several received oficios in one
    batch, as ``queue_oficio`` does for one. All or none: each oficio must be received and
    have a request waiting, else nothing is queued (409). Audits
    ``oficio.provisioning_queued`` per oficio."""
    oficios.check_batch(chosen)
    waiting_by_oficio = [(oficio, _waiting_ids(oficio)) for oficio in chosen]
    result = queue_provisioning([i for _, ids in waiting_by_oficio for i in ids], actor=actor)
    queued = {r.id for r in result.queued}
    for oficio, ids in waiting_by_oficio:
        count = len(queued.intersection(ids))
        audit.record("oficio.provisioning_queued", actor=actor, object_type="oficio",
                     object_id=oficio.number,
                     summary=f"Oficio {oficio.number}: "
                             f"{wording.count(count, 'cuenta')} por crear "
                             f"(lote {result.batch.id})",
                     details={"batch": result.batch.id, "queued": count,
                              "skipped": len(ids) - count})
    return result
