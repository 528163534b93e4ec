"""Reading an uploaded XLSX: rows keyed by the header, blank rows left out, a row limit that
stops reading, and a Spanish refusal for what is not XLSX."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from provisioning.errors import ValidationError
from provisioning.spreadsheet import read_xlsx


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_rows_are_keyed_by_the_header_and_blank_rows_are_left_out() -> None:
    raw = _xlsx([["CURP", " Nombre "], ["A1", "Ana"], [None, None], ["B2", 7]])
    assert read_xlsx(raw, "padron.xlsx") == [{"CURP": "A1", "Nombre": "Ana"},
                                               {"CURP": "B2", "Nombre": "7"}]


def test_the_row_limit_refuses_the_file_once_one_row_too_many_is_read() -> None:
    raw = _xlsx([["CURP"], *[[f"C{n}"] for n in range(4)]])
    assert len(read_xlsx(raw, "padron.xlsx", max_rows=4)) == 4
    with pytest.raises(ValidationError, match="padron.xlsx tiene más de 3 filas"):
        read_xlsx(raw, "padron.xlsx", max_rows=3)


def test_what_is_not_xlsx_is_refused_in_spanish() -> None:
    with pytest.raises(ValidationError, match="no es un archivo XLSX legible"):
        read_xlsx(b"CURP,Nombre\n", "padron.xlsx")
