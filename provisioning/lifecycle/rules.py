"""The baja's catalogs and rule table: why a person leaves, and who signs before IT's job
disables the account. Like the alta's (``approvals.rules``), one table, read in order."""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.staff.models import Role

# Why a person leaves (the form's catalog), in the order shown.
REASONS = {
    "renuncia": "Renuncia",
    "jubilacion": "Jubilación",
    "termino_contrato": "Término de contrato",
    "cambio_institucion": "Cambio de institución",
    "defuncion": "Defunción",
    "otra": "Otra (especifique)",
}
# Reasons whose detail must be written (the catalog alone does not say enough).
DETAIL_REQUIRED = frozenset({"otra"})
# How far ahead a baja may be dated.
MAX_DAYS_AHEAD = 366


@dataclass(frozen=True)
class Step:
    """One signature a baja needs."""

    code: str
    role: Role
    label: str  # title of the signature block


UNIT_HEAD = Step("jefe_unidad", Role.JEFE_UNIDAD, "Jefe(a) inmediato(a)")
# The urgent baja's only signature: the IT staff member who executed it at once.
URGENT = Step("informatica_urgente", Role.INFORMATICA, "Departamento de Informática (urgente)")

# reason → signatures in order; a reason missing here uses DEFAULT_CHAIN. IT then executes
# the baja on its effective date (the job), with no further signature.
BAJA_CHAIN: dict[str, tuple[Step, ...]] = {}
DEFAULT_CHAIN: tuple[Step, ...] = (UNIT_HEAD,)
# Who may start a baja for a person of their scope.
STARTERS = (Role.JEFE_UNIDAD, Role.ENLACE, Role.INFORMATICA, Role.JEFE_INFORMATICA)
# Who executes an urgent baja (at once, with TOTP and a mandatory reason).
URGENT_ROLES = (Role.INFORMATICA, Role.JEFE_INFORMATICA)


def chain(reason_code: str) -> tuple[Step, ...]:
    """The signatures a baja for ``reason_code`` needs, in order."""
    return BAJA_CHAIN.get(reason_code, DEFAULT_CHAIN)
