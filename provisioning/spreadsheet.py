"""CSV that spreadsheets open safely: cells that would run as formulas (CSV injection) are
quoted with a leading apostrophe, and lines end in CRLF as Excel expects."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

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
