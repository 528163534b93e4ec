"""Spanish wording shared by pages, e-mails and audit summaries."""

from __future__ import annotations


def count(number: int, singular: str, plural: str | None = None) -> str:
    """``1 cuenta``, ``3 cuentas``: the number with the noun in the right number."""
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"
