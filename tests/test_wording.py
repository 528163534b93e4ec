"""Spanish counts read right in the singular and the plural."""

import re
from pathlib import Path

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


def test_no_plural_is_left_to_the_reader() -> None:
    """«1 solicitud», «3 solicitudes»: never «solicitud(es)» in what people read (pages,
    mails, messages); «Nombre(s)» is the form's own label."""
    root = Path(__file__).resolve().parents[1]
    hack = re.compile(r"\w\((?:s|es)\)")
    found = []
    for path in [*(root / "templates").rglob("*.*"), *(root / "provisioning").rglob("*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if hack.search(line.replace("Nombre(s)", "")):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert found == []
