"""Who receives the accounts from the liaison and delivers them in person (observación 6).

Expediente electrónico accounts of centros de salud go to the responsable jurisdiccional,
who distributes them; every other account goes to the head of the request's unit. A rule
table like the signature rules (``approvals.rules``), keyed by unit type and request type.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.account_requests.models import AccountRequest
from provisioning.approvals.rules import ACCOUNT_ONLY, ECE, request_type
from provisioning.catalogs import services as catalogs
from provisioning.staff.models import Role


@dataclass(frozen=True)
class Holder:
    """The role (and its scope) that receives a request's account and delivers it."""

    role: Role
    unit_clues: str | None = None
    jurisdiction_code: str | None = None

    @property
    def label(self) -> str:
        """Spanish description for pages and e-mails."""
        return describe(self.role, self.unit_clues, self.jurisdiction_code)


def describe(role: Role, unit_clues: str | None, jurisdiction_code: str | None) -> str:
    """'el jefe(a) de la unidad Centro de Salud …', 'el enlace jurisdiccional de la
    Jurisdicción Sanitaria I Cuernavaca'… (names from the catalogs, else the codes)."""
    if role.scope == "unit":
        unit = catalogs.unit_by_clues(unit_clues or "")
        return f"el jefe(a) de la unidad {unit.name if unit else unit_clues}"
    found = catalogs.jurisdiction_by_code(jurisdiction_code or "")
    where = found.name if found else f"Jurisdicción {jurisdiction_code}"
    who = {Role.ENLACE: "el enlace jurisdiccional",
           Role.RESPONSABLE_JURISDICCIONAL: "el responsable jurisdiccional"}.get(role, role.label)
    return f"{who} de la {where}"


UNIT_HEAD, RESPONSABLE = Role.JEFE_UNIDAD, Role.RESPONSABLE_JURISDICCIONAL
# (unit type, request type) → the delivering role; a missing pair falls back to DEFAULT.
DELIVERY_RULES: dict[tuple[str, str], Role] = {
    ("centro_de_salud", ECE): RESPONSABLE,  # observación 6
    ("centro_de_salud", ACCOUNT_ONLY): UNIT_HEAD,
}
DEFAULT = UNIT_HEAD


def final_holder(request: AccountRequest) -> Holder:
    """Who receives ``request``'s account from the liaison and delivers it in person."""
    role = DELIVERY_RULES.get((request.unit_type, request_type(request)), DEFAULT)
    if role == RESPONSABLE:
        return Holder(role, jurisdiction_code=request.jurisdiction_code)
    return Holder(role, unit_clues=request.unit_clues)
