"""Which signatures a request needs, as one rule table keyed by unit type and request type.

Observación 5 of the form: an expediente electrónico request from a centro de salud carries
the signature of the responsable jurisdiccional as well, after the unit head's. Every other
combination needs the unit head only. The chain's steps follow the state machine
(``account_requests.workflow``): each step signs in its ``awaiting`` state, and the last one
leaves the request ready for the oficio.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.account_requests.models import AccountRequest
from provisioning.account_requests.workflow import RequestStatus
from provisioning.staff.models import Role

ECE = "expediente_electronico"
ACCOUNT_ONLY = "cuenta"
REQUEST_TYPES = {ECE: "Expediente electrónico (SIEMPRE)", ACCOUNT_ONLY: "Cuenta sin expediente"}


@dataclass(frozen=True)
class Step:
    """One required signature."""

    code: str
    role: Role
    event: str  # the workflow move that records it
    awaiting: RequestStatus  # the request waits in this state for it
    label: str  # title of the signature block

    @property
    def scope(self) -> str:
        """'unit' or 'jurisdiction': how the signer's scope is checked."""
        return self.role.scope or "service"


UNIT_HEAD = Step("jefe_unidad", Role.JEFE_UNIDAD, "sign_unit_head", RequestStatus.ENVIADA,
                 "Jefe(a) inmediato(a)")
RESPONSABLE = Step("responsable_jurisdiccional", Role.RESPONSABLE_JURISDICCIONAL,
                   "sign_responsable", RequestStatus.FIRMADA_JEFE,
                   "Responsable jurisdiccional")
STEPS = {s.code: s for s in (UNIT_HEAD, RESPONSABLE)}

# (unit type, request type) → signatures in order. A unit type missing here (a new catalog
# type) falls back to DEFAULT_CHAIN.
SIGNATURE_RULES: dict[tuple[str, str], tuple[Step, ...]] = {
    ("centro_de_salud", ECE): (UNIT_HEAD, RESPONSABLE),  # observación 5
    ("centro_de_salud", ACCOUNT_ONLY): (UNIT_HEAD,),
    ("hospital", ECE): (UNIT_HEAD,),
    ("hospital", ACCOUNT_ONLY): (UNIT_HEAD,),
    ("oficinas_centrales", ECE): (UNIT_HEAD,),
    ("oficinas_centrales", ACCOUNT_ONLY): (UNIT_HEAD,),
}
DEFAULT_CHAIN: tuple[Step, ...] = (UNIT_HEAD,)


def request_type(request: AccountRequest) -> str:
    """ECE when the request asks for expediente electrónico, else ACCOUNT_ONLY."""
    return ECE if request.wants_ece else ACCOUNT_ONLY


def chain(request: AccountRequest) -> tuple[Step, ...]:
    """The signatures ``request`` needs, in order."""
    return SIGNATURE_RULES.get((request.unit_type, request_type(request)), DEFAULT_CHAIN)


def pending_step(request: AccountRequest) -> Step | None:
    """The step whose turn it is now, or None when no signature is awaited."""
    return next((s for s in chain(request) if s.awaiting.value == request.status), None)


def state_after(request: AccountRequest, step: Step) -> RequestStatus:
    """Where the request goes once ``step`` is signed: the next step's state or the oficio."""
    steps = chain(request)
    index = steps.index(step)
    if index + 1 < len(steps):
        return steps[index + 1].awaiting
    return RequestStatus.LISTA_PARA_OFICIO
