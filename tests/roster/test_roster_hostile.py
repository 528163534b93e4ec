"""The roster upload under the hostile corpus: the crawl of tests/test_hostile_forms.py
cannot fill a file field, so here each column of the file, the file name and the file's
bytes get the corpus's payloads: never a 5xx, a Spanish message when refused, nothing
written on a refusal, nothing unescaped on the page."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from provisioning import db
from provisioning.roster.models import RosterLine, RosterUpload
from provisioning.spreadsheet import csv_text
from provisioning.staff.models import Role
from tests.support.curp import hypothetical_curp
from tests.support.hostile_corpus import FAMILIES, RAW_BYTES, SPANISH, share

COLUMNS = ["CURP", "Nombres", "Primer apellido", "Segundo apellido", "CLUES de la unidad",
           "Tipo de personal", "Fecha de término"]
VALID = [hypothetical_curp(11), "Ana", "Ruiz", "Paz", "MSSSA000120", "medico", "31/12/2027"]
WAYS = 32  # each column gets every family's first payload and a 32nd of the rest
HEADS = [payloads[0] for payloads in FAMILIES.values()]


def domain_counts() -> tuple[int, int]:
    """The upload writes only these two tables (and the audit trail)."""
    return tuple(db.session().scalar(select(func.count()).select_from(m))
                 for m in (RosterUpload, RosterLine))


def _check(response, where: str, value: object, before: tuple[int, int]) -> tuple[int, int]:
    status, body = response.status_code, response.get_data(as_text=True)
    assert status < 500, where
    if isinstance(value, str) and value.startswith("Juan") and "<" in value:
        assert value not in body, f"unescaped markup: {where}"
    if 400 <= status < 500:
        assert SPANISH.search(re.sub(r"<[^>]+>", " ", body)), f"no Spanish message: {where}"
        assert domain_counts() == before, f"half-written record: {where}"
        return before
    return domain_counts()


def test_hostile_cells_file_names_and_bytes(app, client, login_as) -> None:
    login_as(Role.INFORMATICA)
    token = client.token("/padron")
    before = domain_counts()
    sent = 0

    def send(raw: bytes, name: str, where: str, value: object) -> None:
        nonlocal before, sent
        response = client.post("/padron", {"csrf_token": token,
                                           "archivo": (io.BytesIO(raw), name)})
        before = _check(response, where, value, before)
        sent += 1

    for index, column in enumerate(COLUMNS):
        for payload in share(index, WAYS):
            row = list(VALID)
            row[index] = payload
            # A value the CSV writer would defuse (leading = + - @) still reaches the cell.
            raw = csv_text([COLUMNS, row]).encode("utf-8", errors="surrogatepass")
            send(raw, "padron.csv", f"{column}={payload[:40]!r}", payload)
    for payload in HEADS:
        send(csv_text([COLUMNS, VALID]).encode(), payload[:200] + ".csv",
             f"file name {payload[:40]!r}", payload)
    for raw in RAW_BYTES:
        send(b"CURP,Nombres\r\n" + raw + b",Ana\r\n", "padron.csv", f"bytes {raw!r}", raw)
        send(raw, "padron.xlsx", f"xlsx bytes {raw!r}", raw)
    assert sent > 8 * 12
