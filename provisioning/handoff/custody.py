"""The chain of custody of created accounts: IT → liaison → the person who delivers them.

No secret travels along the chain: what passes from hand to hand is the responsibility for
a set of accounts (folio, name, user name). Each hop is a ``CustodyTransfer``:

1. IT releases the accounts by signing its reply oficio (``open_from_it``, TOTP in the
   signature); the liaison of the jurisdiction confirms the receipt with the acuse of that
   oficio (``receive_from_it``, TOTP).
2. The liaison releases them (``release``, TOTP) to the head of each request's unit, or for
   expediente electrónico accounts of centros de salud to the responsable jurisdiccional
   (observación 6, ``rules.final_holder``); one transfer per receiver. The receiver confirms
   the receipt (``receive``, TOTP) and from then on delivers in person (``handoff.services``).

Requests stay in ``en_entrega`` during the hops: each release and receipt is a non-moving
history row (``workflow.note``) and an audit event, so it shows on the request's history
and in the audit log. A request passes each hop once (unique hop number per request), so two
people releasing the same account at the same time cannot both succeed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError

from provisioning import audit, timeutil, wording
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.db import get as db_get
from provisioning.db import session
from provisioning.errors import Conflict, Forbidden, NotFound, ValidationError
from provisioning.handoff import rules
from provisioning.handoff.models import (
    HOPS,
    IT_TO_LIAISON,
    LIAISON_TO_HOLDER,
    CustodyItem,
    CustodyTransfer,
)
from provisioning.notifications import services as notifications
from provisioning.oficios import services as oficios
from provisioning.oficios.models import RESPUESTA, Oficio
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser

MAX_RELEASE = 500
MAX_RECEIPTS = 50  # transfers confirmed at once


# ---------------------------------------------------------------------------------------------
# Reading


def receiver_label(transfer: CustodyTransfer) -> str:
    """Who receives a transfer, in Spanish ('el enlace jurisdiccional de la …')."""
    return rules.describe(Role(transfer.to_role), transfer.to_unit_clues,
                          transfer.to_jurisdiction_code)


def is_receiver(principal: staff.Principal, transfer: CustodyTransfer) -> bool:
    """True when ``principal`` holds the receiving role over the transfer's scope."""
    role = Role(transfer.to_role)
    if role.scope == "unit":
        return transfer.to_unit_clues in principal.units(role)
    return transfer.to_jurisdiction_code in principal.jurisdictions(role)


def _receiver_condition(principal: staff.Principal) -> ColumnElement[bool] | None:
    """SQL: transfers whose receiving side ``principal`` holds (None: no such role)."""
    conditions = []
    for role in (Role.ENLACE, Role.RESPONSABLE_JURISDICCIONAL):
        if scope := principal.jurisdictions(role):
            conditions.append(and_(CustodyTransfer.to_role == role.value,
                                   CustodyTransfer.to_jurisdiction_code.in_(scope)))
    if units := principal.units(Role.JEFE_UNIDAD):
        conditions.append(and_(CustodyTransfer.to_role == Role.JEFE_UNIDAD.value,
                               CustodyTransfer.to_unit_clues.in_(units)))
    return or_(*conditions) if conditions else None


def requests_of(transfer: CustodyTransfer) -> list[AccountRequest]:
    """The requests of a transfer, in the order they were released."""
    return list(session().scalars(
        select(AccountRequest).join(CustodyItem, CustodyItem.request_id == AccountRequest.id)
        .where(CustodyItem.transfer_id == transfer.id).order_by(CustodyItem.id)))


def current_transfer(request: AccountRequest) -> CustodyTransfer | None:
    """The request's latest hop (None before IT's reply oficio)."""
    return session().scalar(
        select(CustodyTransfer).join(CustodyItem, CustodyItem.transfer_id == CustodyTransfer.id)
        .where(CustodyItem.request_id == request.id)
        .order_by(CustodyItem.hop.desc()).limit(1))


def transfers_of(request: AccountRequest) -> list[CustodyTransfer]:
    """Every hop of the request, first to last."""
    return list(session().scalars(
        select(CustodyTransfer).join(CustodyItem, CustodyItem.transfer_id == CustodyTransfer.id)
        .where(CustodyItem.request_id == request.id).order_by(CustodyItem.hop)))


def holds_for_delivery(principal: staff.Principal, request: AccountRequest) -> bool:
    """True when ``principal`` received the request's account in the last hop."""
    transfer = current_transfer(request)
    return (transfer is not None and transfer.stage == LIAISON_TO_HOLDER
            and transfer.received and is_receiver(principal, transfer))


def pending_receipts(principal: staff.Principal) -> list[CustodyTransfer]:
    """Transfers waiting for ``principal`` to confirm their receipt, oldest first.

    The liaison's first hop is acknowledged on the reply oficio, so it is not listed here.
    """
    condition = _receiver_condition(principal)
    if condition is None:
        return []
    return list(session().scalars(
        select(CustodyTransfer).where(condition, CustodyTransfer.stage == LIAISON_TO_HOLDER,
                                      CustodyTransfer.received_at.is_(None))
        .order_by(CustodyTransfer.released_at, CustodyTransfer.id)))


def _held(principal: staff.Principal, stage: str, statuses: Sequence[RequestStatus]
          ) -> list[AccountRequest]:
    """Requests in ``statuses`` whose last hop is a received ``stage`` transfer to them."""
    condition = _receiver_condition(principal)
    if condition is None:
        return []
    later = aliased(CustodyItem)
    return list(session().scalars(
        select(AccountRequest)
        .join(CustodyItem, CustodyItem.request_id == AccountRequest.id)
        .join(CustodyTransfer, CustodyTransfer.id == CustodyItem.transfer_id)
        .where(condition, CustodyTransfer.stage == stage,
               CustodyTransfer.received_at.is_not(None),
               AccountRequest.status.in_([s.value for s in statuses]),
               ~exists().where(later.request_id == AccountRequest.id,
                               later.hop > CustodyItem.hop))
        .order_by(AccountRequest.unit_clues, AccountRequest.folio)))


def held_by_liaison(principal: staff.Principal) -> list[AccountRequest]:
    """Accounts the liaison received from IT and has not released yet."""
    return _held(principal, IT_TO_LIAISON, [RequestStatus.EN_ENTREGA])


def to_deliver(principal: staff.Principal) -> list[AccountRequest]:
    """Accounts ``principal`` received and must deliver in person (none delivered yet)."""
    return _held(principal, LIAISON_TO_HOLDER, [RequestStatus.EN_ENTREGA])


def delivered(principal: staff.Principal) -> list[AccountRequest]:
    """Accounts ``principal`` delivered whose person has not activated them yet."""
    return _held(principal, LIAISON_TO_HOLDER, [RequestStatus.ENTREGADA])


def rows_for_export(request: AccountRequest) -> list[dict[str, str]]:
    """The request's hops as rows for the person's data export and the staff page."""
    rows = []
    for transfer in transfers_of(request):
        rows.append({
            "paso": str(HOPS[transfer.stage]),
            "libero": transfer.released_by_name,
            "liberada_el": timeutil.format_datetime(transfer.released_at, seconds=True),
            "para": receiver_label(transfer),
            "recibio": transfer.received_by_name or "",
            "recibida_el": timeutil.format_datetime(transfer.received_at, seconds=True),
        })
    return rows


# ---------------------------------------------------------------------------------------------
# Hops


def _add(transfer: CustodyTransfer) -> None:
    db = session()
    try:
        with db.begin_nested():
            db.add(transfer)
    except IntegrityError:
        raise Conflict("Alguna de las cuentas ya pasó por esta entrega (otra persona la "
                       "registró al mismo tiempo). Vuelva a cargar la página.") from None


def open_from_it(oficio: Oficio, requests: Sequence[AccountRequest], *, signer: StaffUser,
                 actor: audit.Actor) -> CustodyTransfer:
    """First hop: IT releases the reply oficio's accounts to the liaison of its jurisdiction.

    Called when the reply oficio is signed (the signature's TOTP confirms the release; the
    caller moves the requests by ``reply_oficio``). Audits ``custody.released``.
    """
    transfer = CustodyTransfer(
        stage=IT_TO_LIAISON, oficio_id=oficio.id, from_role=actor.role,
        released_by_id=signer.id, released_by_name=signer.full_name,
        released_at=timeutil.now(), released_ip=actor.ip, to_role=Role.ENLACE.value,
        to_jurisdiction_code=oficio.jurisdiction_code,
        items=[CustodyItem(request_id=r.id, folio=r.folio, hop=HOPS[IT_TO_LIAISON])
               for r in requests])
    _add(transfer)
    _audit_release(transfer, requests, actor)
    return transfer


def _audit_release(transfer: CustodyTransfer, requests: Sequence[AccountRequest],
                   actor: audit.Actor) -> None:
    audit.record("custody.released", actor=actor, object_type="custody_transfer",
                 object_id=transfer.id,
                 summary=f"Entrega {transfer.id}: "
                         f"{wording.count(len(requests), 'cuenta liberada', 'cuentas liberadas')}"
                         f" a {receiver_label(transfer)}",
                 details={"hop": HOPS[transfer.stage], "to_role": transfer.to_role,
                          "to_unit": transfer.to_unit_clues,
                          "to_jurisdiction": transfer.to_jurisdiction_code,
                          "folios": [r.folio for r in requests]})


def _refuse_if_received(transfer: CustodyTransfer) -> None:
    if transfer.received:
        raise Conflict(f"{transfer.received_by_name} ya confirmó la recepción de estas cuentas "
                       f"el {timeutil.format_datetime(transfer.received_at)}.")


def _confirm_receipt(transfer: CustodyTransfer, *, user: StaffUser, actor: audit.Actor
                     ) -> list[AccountRequest]:
    """Record who received the transfer, when and from where; note it on each request."""
    _refuse_if_received(transfer)
    now = timeutil.now()
    transfer.received_by_id, transfer.received_by_name = user.id, user.full_name
    transfer.received_at, transfer.received_ip = now, actor.ip
    try:
        session().flush()
    except StaleDataError:
        raise Conflict("Otra persona confirmó la recepción al mismo tiempo. Vuelva a cargar "
                       "la página.") from None
    requests = requests_of(transfer)
    who = Role(transfer.to_role).label.lower()
    for request in requests:
        workflow.note(request, "custody_received", actor=actor,
                      summary=f"cuenta recibida por {user.full_name} ({who}) "
                              f"(entrega {transfer.id})",
                      reason=f"Recibida por {receiver_label(transfer)}.", public=True,
                      details={"transfer": transfer.id, "hop": HOPS[transfer.stage]})
    audit.record("custody.received", actor=actor, object_type="custody_transfer",
                 object_id=transfer.id,
                 summary=f"Entrega {transfer.id}: {user.full_name} confirmó la recepción de "
                         f"{wording.count(len(requests), 'cuenta')}",
                 details={"hop": HOPS[transfer.stage], "released_by": transfer.released_by_name,
                          "folios": [r.folio for r in requests]})
    return requests


def _check_reply(oficio: Oficio, principal: staff.Principal) -> CustodyTransfer:
    """Refuse the liaison's acuse of ``oficio`` before anything is written (the wrong kind
    or jurisdiction: 403; not waiting: 409); the first hop it receives."""
    if oficio.kind != RESPUESTA:
        raise Forbidden("Solo el Departamento de Informática acusa de recibido un oficio de "
                        "envío.")
    if oficio.jurisdiction_code not in principal.jurisdictions(Role.ENLACE):
        raise Forbidden("Solo el enlace jurisdiccional de la jurisdicción acusa de recibido el "
                        "oficio de respuesta.")
    oficios.check_waiting(oficio)
    transfer = session().scalar(select(CustodyTransfer).where(
        CustodyTransfer.oficio_id == oficio.id, CustodyTransfer.stage == IT_TO_LIAISON))
    if transfer is None:
        raise NotFound(f"El oficio {oficio.number} no entrega cuentas.")
    return transfer


def _record_reply_receipt(oficio: Oficio, transfer: CustodyTransfer, *, user: StaffUser,
                          actor: audit.Actor, ip: str | None) -> None:
    def confirm(_requests: list[AccountRequest]) -> None:
        _confirm_receipt(transfer, user=user, actor=actor)

    oficios.record_receipt(oficio, user=user, actor=actor, ip=ip, before_audit=confirm)


def acknowledge_reply(oficio: Oficio, *, principal: staff.Principal, user: StaffUser,
                      code: str, ip: str | None) -> CustodyTransfer:
    """The liaison's acuse of IT's reply oficio, with a fresh TOTP ``code``: the receipt of
    the first hop of the chain (its requests stay ``en_entrega``, now in the liaison's care).
    Only the liaison of the oficio's jurisdiction. Audits ``oficio.acknowledged`` and the
    receipt; tells IT's signer.
    """
    return acknowledge_replies([oficio], principal=principal, user=user, code=code, ip=ip,
                               batch=False)[0]


def acknowledge_replies(chosen: Sequence[Oficio], *, principal: staff.Principal,
                        user: StaffUser, code: str, ip: str | None, batch: bool = True
                        ) -> list[CustodyTransfer]:
    """The liaison's acuse of several reply oficios with one TOTP ``code``, each recorded
    as if acknowledged alone. All or none: every oficio is checked, then the code, before
    anything is written. ``batch``: also audit ``oficio.replies_acknowledged``."""
    oficios.check_batch(chosen)
    checked = [(oficio, _check_reply(oficio, principal)) for oficio in chosen]
    staff.verify_step_up(user, code, ip=ip)
    actor = principal.actor(ip, Role.ENLACE)
    for oficio, transfer in checked:
        _record_reply_receipt(oficio, transfer, user=user, actor=actor, ip=ip)
    if batch:
        audit.record("oficio.replies_acknowledged", actor=actor, object_type="staff",
                     object_id=user.username,
                     summary=wording.count(len(chosen), "oficio de respuesta recibido",
                                           "oficios de respuesta recibidos")
                     + " con un solo código",
                     details={"oficios": [o.number for o in chosen],
                              "transfers": [t.id for _, t in checked]})
    return [t for _, t in checked]


def next_holders(request: AccountRequest) -> list[str]:
    """Whoever received (or must receive) the account in its latest custody hop: they act
    next (acuse, release, receipt or delivery in person). Their e-mail addresses."""
    transfer = current_transfer(request)
    if transfer is None:
        return []
    role = Role(transfer.to_role)
    if role.scope == "unit":
        return staff.emails_of(role, unit_clues=transfer.to_unit_clues)
    return staff.emails_of(role, jurisdiction_code=transfer.to_jurisdiction_code)


def release(*, principal: staff.Principal, user: StaffUser, request_ids: Sequence[int],
            code: str, ip: str | None) -> list[CustodyTransfer]:
    """The liaison hands the selected accounts to whoever delivers each one in person.

    Every request must be held by this liaison (a request of another jurisdiction: 404; not
    held now: 409). Needs a fresh TOTP code. One transfer per receiver (the head of each
    unit, or the responsable jurisdiccional for expediente electrónico accounts of centros
    de salud). Notes and audits each release; tells each receiver.
    """
    ids = sorted(set(request_ids))
    if not ids:
        raise ValidationError("Elija al menos una cuenta para entregar.",
                              {"requests": "Elija al menos una."})
    if len(ids) > MAX_RELEASE:
        raise ValidationError(f"Se entregan como máximo {MAX_RELEASE} cuentas a la vez.")
    scope = principal.jurisdictions(Role.ENLACE)
    held = {r.id for r in held_by_liaison(principal)}
    requests = []
    for request_id in ids:
        request = db_get(AccountRequest, request_id)
        if request is None or request.jurisdiction_code not in scope:
            raise NotFound("No encontramos alguna de las cuentas elegidas.")
        if request.id not in held:
            raise Conflict(f"La cuenta de la solicitud {request.folio} no está bajo su "
                           "resguardo en este momento (¿ya la entregó, o falta el acuse del "
                           "oficio de respuesta?).")
        requests.append(request)
    staff.verify_step_up(user, code, ip=ip)
    actor = principal.actor(ip, Role.ENLACE)
    groups: dict[rules.Holder, list[AccountRequest]] = defaultdict(list)
    for request in requests:
        groups[rules.final_holder(request)].append(request)
    transfers = []
    now = timeutil.now()
    for holder, members in sorted(groups.items(), key=lambda kv: kv[0].label):
        transfer = CustodyTransfer(
            stage=LIAISON_TO_HOLDER, from_role=Role.ENLACE.value, released_by_id=user.id,
            released_by_name=user.full_name, released_at=now, released_ip=ip,
            to_role=holder.role.value, to_unit_clues=holder.unit_clues,
            # A unit's transfer also names its jurisdiction (for lists and the dashboard).
            to_jurisdiction_code=holder.jurisdiction_code or members[0].jurisdiction_code,
            items=[CustodyItem(request_id=r.id, folio=r.folio, hop=HOPS[LIAISON_TO_HOLDER])
                   for r in members])
        _add(transfer)
        for request in members:
            workflow.note(request, "custody_released", actor=actor,
                          summary=f"cuenta liberada por el enlace jurisdiccional a {holder.label} "
                                  f"(entrega {transfer.id})",
                          reason=f"Enviada por el enlace jurisdiccional para su entrega "
                                 f"en persona por {holder.label}.",
                          public=True, details={"transfer": transfer.id, "hop": 2})
        _audit_release(transfer, members, actor)
        # The next holder confirms the receipt (never a code by mail).
        notifications.queue(
            staff.emails_of(holder.role, unit_clues=holder.unit_clues,
                            jurisdiction_code=holder.jurisdiction_code), "custodia",
            f"{wording.count(len(members), 'cuenta')} de usuario para entregar en persona",
            object_type="custody_transfer", object_id=str(transfer.id), count=len(members),
            giver=user.full_name, path="/entregas")
        transfers.append(transfer)
    return transfers


def get_for_receiver(principal: staff.Principal, transfer_id: int) -> CustodyTransfer:
    """A transfer ``principal`` receives; NotFound for anyone else (never say it exists)."""
    transfer = db_get(CustodyTransfer, transfer_id)
    if transfer is None or transfer.stage != LIAISON_TO_HOLDER or not is_receiver(
            principal, transfer):
        raise NotFound("No encontramos esa entrega.")
    return transfer


def receive(transfer: CustodyTransfer, *, principal: staff.Principal, user: StaffUser,
            code: str, ip: str | None) -> list[AccountRequest]:
    """The unit head (or responsable) confirms receiving the accounts, with a fresh TOTP.

    From now on they deliver each account in person. Notes and audits the receipt; tells
    each applicant to come for their activation code (never the code itself).
    """
    return receive_batch([transfer], principal=principal, user=user, code=code, ip=ip,
                         batch=False)


def receive_batch(transfers: Sequence[CustodyTransfer], *, principal: staff.Principal,
                  user: StaffUser, code: str, ip: str | None, batch: bool = True
                  ) -> list[AccountRequest]:
    """Confirm receiving several transfers with one TOTP ``code``, each recorded as if
    received alone. All or none: every transfer must be waiting (409), then the code is
    checked, before anything is written. ``batch``: also audit ``custody.batch_received``.
    The caller found each transfer with ``get_for_receiver`` (scope)."""
    if not transfers:
        raise ValidationError("Elija al menos una entrega.",
                              {"transfer_id": "Elija al menos una."})
    if len(transfers) > MAX_RECEIPTS:
        raise ValidationError(f"Se confirman a lo más {MAX_RECEIPTS} entregas a la vez.",
                              {"transfer_id": f"A lo más {MAX_RECEIPTS}."})
    if len({t.id for t in transfers}) != len(transfers):
        raise ValidationError("Eligió una entrega dos veces.", {"transfer_id": "Repetida."})
    for transfer in transfers:
        if not is_receiver(principal, transfer):  # callers use get_for_receiver; never trust
            raise NotFound("No encontramos esa entrega.")
        _refuse_if_received(transfer)
    staff.verify_step_up(user, code, ip=ip)
    received: list[AccountRequest] = []
    for transfer in transfers:
        actor = principal.actor(ip, Role(transfer.to_role))
        requests = _confirm_receipt(transfer, user=user, actor=actor)
        for request in requests:
            # The applicant comes for the activation code in person (never the code by mail).
            notifications.queue([request.contact_email], "codigo_listo",
                                f"Su cuenta de la solicitud {request.folio} está lista para "
                                "entregarse", object_type="request", object_id=request.folio,
                                request=request, holder=receiver_label(transfer))
        received += requests
    if batch:
        audit.record("custody.batch_received", actor=principal.actor(ip),
                     object_type="staff", object_id=user.username,
                     summary=wording.count(len(transfers), "entrega recibida",
                                           "entregas recibidas") + " con un solo código",
                     details={"transfers": [t.id for t in transfers],
                              "folios": [r.folio for r in received]})
    return received
