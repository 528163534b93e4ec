"""The one place tests make CURPs: valid (check digit computed) and hypothetical."""

from __future__ import annotations

import random
import string
import uuid
from datetime import date

from provisioning import curp

# Random but valid data: a fresh seed per run, so no test leans on one CURP.
_RNG = random.Random(uuid.uuid4().int)


def synthetic_curp(n: int, *, sex: str = "H", born: str = "900101", state: str = "MS") -> str:
    """The ``n``-th (0 ≤ n < 175,760) of a family of valid, hypothetical CURPs.

    Letters 1, 3 and 4 and the homonym digit count ``n``; the second letter is X, the birth
    date (``born``, aammdd) 1 January 1990, the state Morelos. Never a real person's CURP
    shape on purpose.
    """
    value, homonym = divmod(n, 10)
    letters = ""
    for _ in range(3):
        value, digit = divmod(value, 26)
        letters = string.ascii_uppercase[digit] + letters
    if value:
        raise ValueError("n too large for synthetic_curp")
    first17 = f"{letters[0]}X{letters[1:]}{born}{sex}{state}XXX{homonym}"
    text = first17 + str(curp.check_digit(first17))
    curp.validate(text, today=date(2026, 1, 1))
    return text


def person_curp(nombres: str, primer: str, segundo: str | None, *, born: date,
                sex: str = "H", state: str = "MS") -> str:
    """A valid hypothetical CURP whose letters, date, sex and state match the given data."""
    letters = curp.expected_letters(nombres, primer, segundo)
    homonym = str(_RNG.randrange(10)) if born.year < 2000 else _RNG.choice("ABCDEFGHJK")
    first17 = letters[:4] + born.strftime("%y%m%d") + sex + state + letters[4:] + homonym
    return first17 + str(curp.check_digit(first17))


def random_birth() -> date:
    """A birth date between 1960 and 1999."""
    return date(_RNG.randrange(1960, 2000), _RNG.randrange(1, 13), _RNG.randrange(1, 29))


# hypothetical_curp(n) used to be its own family; it is now a slice of synthetic_curp's,
# far from the numbers make_requests uses.
HYPOTHETICAL_BASE = 150_000


def hypothetical_curp(n: int) -> str:
    """A valid hypothetical CURP, distinct per ``n`` (a synthetic one)."""
    return synthetic_curp(HYPOTHETICAL_BASE + n)


def import_fixture_curp(n: int) -> str:
    """The ``n``-th (0 ≤ n < 175,760) of the valid CURPs planted in the directory import's
    persistent fixture OU: a family of its own (born 5 May 1955 abroad, second letter X),
    so the fixture's accounts never answer a CURP another test looks up."""
    return synthetic_curp(n, sex="M", born="550505", state="NE")
