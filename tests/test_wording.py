"""Spanish counts read right in the singular and the plural."""

import pytest

from provisioning import wording


@pytest.mark.parametrize(("number", "expected"), [
    (0, "0 cuentas"), (1, "1 cuenta"), (2, "2 cuentas"), (100, "100 cuentas")])
def test_regular_plural(number, expected) -> None:
    assert wording.count(number, "cuenta") == expected


def test_explicit_plural() -> None:
    assert wording.count(1, "cuenta lista", "cuentas listas") == "1 cuenta lista"
    assert wording.count(3, "cuenta lista", "cuentas listas") == "3 cuentas listas"
    assert wording.count(2, "responsable", "responsables") == "2 responsables"
