"""Spreadsheets in and out. Out: CSV that spreadsheets open safely (cells that would run as
formulas, CSV injection, are quoted with a leading apostrophe; lines end in CRLF as Excel
expects). In: the first sheet of an uploaded XLSX, read as a stream with a row limit."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from typing import Any

from provisioning.errors import ValidationError

# Spreadsheets run cells that start with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet must see it: text that looks like a formula is defused."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows as CSV text (cells as given; pass them through ``cell`` first)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def read_xlsx(raw: bytes, name: str, *, max_rows: int | None = None) -> list[dict[str, str]]:
    """The first sheet of an XLSX file as rows keyed by its header row (values as text,
    blank rows left out). Read as a stream: with ``max_rows``, a file with more data rows is
    refused once the next one is read, so a small file that unpacks into millions of rows
    never fills memory. ValidationError (Spanish, naming ``name``) when it is not XLSX."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise ValidationError(f"{name}: no es un archivo XLSX legible") from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, ())]
        table: list[dict[str, str]] = []
        for row in rows:
            if not any(v not in (None, "") for v in row):
                continue
            if max_rows is not None and len(table) == max_rows:
                raise ValidationError(f"{name} tiene más de {max_rows:,} filas")
            table.append({h: "" if v is None else str(v).strip()
                          for h, v in zip(header, row, strict=False) if h})
        return table
    finally:
        book.close()
