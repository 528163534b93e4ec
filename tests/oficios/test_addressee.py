"""The addressee block of an oficio never prints the jurisdiction twice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from provisioning.oficios.services import addressee_lines


@pytest.mark.parametrize(("position", "expected"), [
    ("Enlace jurisdiccional, Jurisdicción Sanitaria I",
     ["CARLOS IBÁÑEZ MUÑOZ", "Enlace jurisdiccional, Jurisdicción Sanitaria I"]),
    ("Enlace jurisdiccional, JURISDICCIÓN SANITARIA I",
     ["CARLOS IBÁÑEZ MUÑOZ", "Enlace jurisdiccional, JURISDICCIÓN SANITARIA I"]),
    ("Enlace jurisdiccional",
     ["CARLOS IBÁÑEZ MUÑOZ", "Enlace jurisdiccional", "Jurisdicción Sanitaria I"]),
])
def test_the_area_is_printed_once(position, expected) -> None:
    oficio = SimpleNamespace(addressee_name="CARLOS IBÁÑEZ MUÑOZ", addressee_position=position,
                             addressee_area="Jurisdicción Sanitaria I")
    assert addressee_lines(oficio) == expected
