"""The Departamento de Informática's side of a received oficio: create all its accounts with
one action, follow their progress, and answer with the reply oficio.

The reply oficio (kind RESPUESTA, numbered with ``[oficios].respuesta_number_format``) cites
the liaison's oficio, lists folio, name and user name of each account created for it — never
a password — and is signed by the head of the department (jefe_informatica) with a fresh
TOTP code, as the department's outgoing oficios are. Signing it releases the accounts to the
liaison (first hop of ``handoff.custody``) and moves each request to ``en_entrega``. Requests
whose account could not be created stay with IT (retry or cancel on the accounts page) and go
in a later reply to the same oficio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from provisioning import wording
from provisioning.account_requests import workflow
from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.config import current as settings
from provisioning.errors import Conflict, Forbidden
from provisioning.handoff import custody
from provisioning.it import services as it
from provisioning.notifications import services as notifications
from provisioning.oficios import services as oficios
from provisioning.oficios.models import RESPUESTA, Oficio
from provisioning.staff import services as staff
from provisioning.staff.models import Role, StaffUser

SIGNER_ROLE = Role.JEFE_INFORMATICA


# ---------------------------------------------------------------------------------------------
# Accounts of one oficio


@dataclass(frozen=True)
class OficioAccounts:
    """A received oficio's requests with their accounts, progress and replies."""

    oficio: Oficio
    rows: list[it.Row]
    progress: it.Progress
    replies: list[Oficio]

    @property
    def waiting(self) -> list[AccountRequest]:
        """Requests without an account and not in the queue (never sent, failed, cancelled)."""
        return it.waiting(self.rows)

    @property
    def ready_for_reply(self) -> list[AccountRequest]:
        """Requests whose account exists and that no reply oficio carries yet."""
        return ready_for_reply(self.oficio, [r.request for r in self.rows])


def ready_for_reply(oficio: Oficio, requests: Sequence[AccountRequest] | None = None
                    ) -> list[AccountRequest]:
    """The oficio's requests with an account, waiting for the reply (``cuenta_creada``)."""
    requests = oficios.requests_of(oficio) if requests is None else requests
    return [r for r in requests if r.status == RequestStatus.CUENTA_CREADA.value]


def accounts_of(oficio: Oficio) -> OficioAccounts:
    """What IT sees about a received oficio's accounts."""
    ids = [r.id for r in oficios.requests_of(oficio)]
    return OficioAccounts(oficio, it.rows(request_ids=ids), it.progress(ids),
                          oficios.replies_to(oficio))


# ---------------------------------------------------------------------------------------------
# The reply oficio


def reply_body(count: int, jurisdiction: str, *, pending: int) -> str:
    """The body of IT's reply oficio (the reference to the liaison's oficio goes above it)."""
    plural = "s" if count != 1 else ""
    later = ("\n\nLas demás solicitudes de su oficio siguen en trámite en este Departamento y "
             "se le informarán en un oficio posterior." if pending else "")
    return (f"Me permito informarle que este Departamento creó en el directorio institucional "
            f"{count} cuenta{plural} de usuario para el personal de la {jurisdiction}, que se "
            "relacionan en el anexo con su folio, nombre y nombre de usuario."
            f"{later}\n\n"
            "Por seguridad, este oficio no contiene contraseñas. A partir de su acuse de recibo "
            "en Alta, las cuentas quedan bajo su resguardo para hacerlas llegar al jefe(a) de "
            "cada unidad o, en el caso de las cuentas de expediente electrónico de los centros "
            "de salud, al responsable jurisdiccional (observación 6 del formato), quien "
            "entregará en persona a cada usuario un código de activación. Con él, cada persona "
            "elegirá su propia contraseña y realizará su pre-registro.\n\n"
            "Sin otro particular, le envío un cordial saludo.")


def issue_reply(envio: Oficio, *, principal: staff.Principal, user: StaffUser, subject: str,
                code: str, ip: str | None) -> Oficio:
    """The head of IT signs the reply to a received oficio with every account made for it.

    Needs a fresh TOTP code (``staff.AuthError``). Moves each listed request by
    ``reply_oficio`` to ``en_entrega``, opens the first custody hop (IT → liaison), audits
    ``oficio.issued`` and tells the liaisons of the jurisdiction.
    """
    if not principal.has(SIGNER_ROLE):
        raise Forbidden("El oficio de respuesta lo firma el (la) jefe(a) del Departamento de "
                        "Informática.")
    it.require_received(envio)
    requests = oficios.requests_of(envio)
    ready = ready_for_reply(envio, requests)
    if not ready:
        raise Conflict(f"Ninguna cuenta del oficio {envio.number} espera el oficio de "
                       "respuesta.")
    subject = oficios.subject_text(subject, settings().oficios.respuesta_subject)
    staff.verify_step_up(user, code, ip=ip)
    actor = principal.actor(ip, SIGNER_ROLE)
    ready.sort(key=lambda r: (r.unit_clues, r.folio))
    pending = sum(1 for r in requests if r.status == RequestStatus.RECIBIDA_INFORMATICA.value)
    config = settings().oficios
    jurisdiction = oficios.jurisdiction_label(envio.jurisdiction_code)
    reply = oficios.create(
        RESPUESTA, requests=ready, signer=user, signer_role=SIGNER_ROLE, ip=ip,
        jurisdiction_code=envio.jurisdiction_code, subject=subject,
        body=reply_body(len(ready), jurisdiction, pending=pending),
        addressee=oficios.Addressee(envio.signer_name, envio.signer_position, jurisdiction),
        issuing_area_name=config.it_area_name, place=config.it_place, in_reply_to=envio)
    for request in ready:
        workflow.transition(request, "reply_oficio", actor=actor,
                            details={"oficio": reply.number, "in_reply_to": envio.number})
    custody.open_from_it(reply, ready, signer=user, actor=actor)
    # The liaison acknowledges it (the first custody receipt).
    notifications.queue(
        staff.emails_of(Role.ENLACE, jurisdiction_code=envio.jurisdiction_code),
        "oficio_respuesta",
        f"Oficio de respuesta {reply.number}: {wording.count(len(ready), 'cuenta')} para "
        "entregar", object_type="oficio", object_id=reply.number, number=reply.number,
        count=len(ready), path=f"/oficios/{reply.id}")
    return reply
