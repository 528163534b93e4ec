"""Shared PDF building blocks: the only module that imports the PDF library (fpdf2).

Documents use the PDF core fonts (Helvetica), whose Latin-1 character set covers Spanish
(á é í ó ú ü ñ, ¿ ¡, «»); ``latin1`` maps the few other characters people type (curly
quotes, dashes) and replaces anything else, so rendering never fails on user text.

Reusable by any document of the service (oficio, solicitud, privacy export…): ``Document``
gives the letterhead, the "Página n de m" footer with the verification code, and helpers for
headings, label/value rows, paragraphs, signature blocks and the QR code.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import segno
from fpdf import FPDF

_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u2022": "-", "\u00a0": " ", "\u2010": "-", "\u2011": "-",
}


def latin1(text: object) -> str:
    """``text`` as characters the core fonts can draw (others become '?')."""
    value = "" if text is None else str(text)
    value = "".join(_REPLACEMENTS.get(ch, ch) for ch in value)
    return value.encode("latin-1", errors="replace").decode("latin-1")


def qr_png(data: str) -> bytes:
    """A QR code (error correction M) for ``data`` as PNG bytes."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


@dataclass(frozen=True)
class Letterhead:
    """Lines at the top of every page: institution first, then the issuing areas."""

    lines: tuple[str, ...]


class Document(FPDF):
    """A Letter-size page with Alta's letterhead and footer."""

    def __init__(self, *, letterhead: Letterhead, title: str, verify_code: str,
                 verify_url: str, created_at: datetime) -> None:
        super().__init__(format="Letter", unit="mm")
        self.letterhead = letterhead
        self.verify_code = verify_code
        self.verify_url = verify_url
        self.set_title(latin1(title))
        self.set_author(latin1(letterhead.lines[0] if letterhead.lines else ""))
        self.set_creator("Alta")
        # A fixed creation date makes the bytes depend on the content only.
        self.set_creation_date(created_at.astimezone(UTC))
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages()
        self.add_page()

    # fpdf2 hooks -----------------------------------------------------------------------------
    def header(self) -> None:  # noqa: D102 - fpdf2 hook
        self.set_font("helvetica", "B", 11)
        for index, line in enumerate(self.letterhead.lines):
            if index == 1:
                self.set_font("helvetica", "", 9)
            self.cell(0, 5, latin1(line), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(105, 28, 50)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_line_width(0.2)
        self.set_draw_color(0, 0, 0)
        self.ln(5)

    def footer(self) -> None:  # noqa: D102 - fpdf2 hook
        self.set_y(-16)
        self.set_font("helvetica", "", 7.5)
        self.cell(0, 4, latin1(f"Verificación: {self.verify_url}  ·  código {self.verify_code}"),
                  align="L")
        self.cell(0, 4, latin1(f"Página {self.page_no()} de {{nb}}"), align="R",
                  new_x="LMARGIN", new_y="NEXT")

    # building blocks -------------------------------------------------------------------------
    @property
    def width(self) -> float:
        """Printable width."""
        return self.w - self.l_margin - self.r_margin

    def title_block(self, title: str, right: str = "") -> None:
        """A bold title, with a note (form code) at the right."""
        self.set_font("helvetica", "B", 13)
        self.cell(self.width * 0.7, 7, latin1(title))
        self.set_font("helvetica", "", 9)
        self.cell(self.width * 0.3, 7, latin1(right), align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def heading(self, text: str) -> None:
        """A section heading."""
        self.ln(2)
        self.set_font("helvetica", "B", 10)
        self.set_fill_color(239, 233, 226)
        self.cell(0, 6, latin1(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def rows(self, pairs: Sequence[tuple[str, str]], label_width: float = 58) -> None:
        """Label / value rows in a bordered table."""
        for label, value in pairs:
            self.set_font("helvetica", "B", 8.5)
            y = self.get_y()
            self.multi_cell(label_width, 6, latin1(label), border=1, new_x="RIGHT",
                            new_y="TOP")
            self.set_font("helvetica", "", 9.5)
            self.multi_cell(self.width - label_width, 6, latin1(value), border=1,
                            new_x="LMARGIN", new_y="NEXT")
            if self.get_y() < y + 6:
                self.set_y(y + 6)

    def paragraph(self, text: str, size: float = 10, style: str = "", align: str = "J",
                  height: float = 5.2) -> None:
        """A paragraph (blank lines in ``text`` separate paragraphs)."""
        self.set_font("helvetica", style, size)
        for chunk in text.split("\n\n"):
            self.multi_cell(0, height, latin1(chunk), align=align, new_x="LMARGIN",
                            new_y="NEXT")
            self.ln(1.5)

    def line_text(self, text: str, size: float = 10, style: str = "", align: str = "L",
                  height: float = 5) -> None:
        """One line of text."""
        self.set_font("helvetica", style, size)
        self.cell(0, height, latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def signature_box(self, x: float, y: float, w: float, h: float, title: str,
                      lines: Sequence[str]) -> None:
        """A signature block: the evidence lines on top, room for a wet signature and
        *sello* below, the block's title under the rule."""
        self.rect(x, y, w, h)
        self.set_xy(x + 2, y + 2)
        self.set_font("helvetica", "", 7.5)
        for line in lines:
            self.set_x(x + 2)
            self.multi_cell(w - 4, 3.6, latin1(line), new_x="LEFT", new_y="NEXT")
        # The title under the rule takes as many lines as it needs («… RESPONSABLE
        # JURISDICCIONAL (OBSERVACIÓN 5)» wraps to three in a third of the page): the rule
        # moves up so that the title ends inside the box.
        self.set_font("helvetica", "B", 7)
        wrapped = self.multi_cell(w - 4, 3.4, latin1(title), align="C", dry_run=True,
                                  output="LINES")
        title_top = y + h - 1 - 3.4 * max(2, len(wrapped))
        self.line(x + 6, title_top - 1, x + w - 6, title_top - 1)
        self.set_xy(x + 2, title_top)
        self.multi_cell(w - 4, 3.4, latin1(title), align="C")

    def qr(self, png: bytes, x: float, y: float, size: float = 28) -> None:
        """Place a QR code image."""
        self.image(io.BytesIO(png), x=x, y=y, w=size, h=size)

    def table(self, headers: Sequence[str], widths: Sequence[float],
              body: Sequence[Sequence[str]], size: float = 8.5) -> None:
        """A simple table with a header row repeated on new pages."""

        def head() -> None:
            self.set_font("helvetica", "B", size)
            self.set_fill_color(239, 233, 226)
            for text, width in zip(headers, widths, strict=True):
                self.cell(width, 6, latin1(text), border=1, fill=True)
            self.ln(6)

        head()
        self.set_font("helvetica", "", size)
        for row in body:
            if self.get_y() > self.h - 30:
                self.add_page()
                head()
                self.set_font("helvetica", "", size)
            for text, width in zip(row, widths, strict=True):
                self.cell(width, 6, latin1(text)[:90], border=1)
            self.ln(6)

    def to_bytes(self) -> bytes:
        """The finished PDF."""
        return bytes(self.output())
