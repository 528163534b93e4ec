"""Reading the PDFs Alta issues (their text) in tests."""

from __future__ import annotations

import io
import re
import zlib

import zxingcpp
from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by fpdf2 (its page streams are zlib-compressed).

    Each stream is read up to ``endstream`` and inflated with a decompressor that leaves
    what follows the zlib data (the end-of-line before ``endstream``) unused: stripping
    that end-of-line with a pattern also ate a compressed stream's own last byte whenever
    it happened to be a carriage return (1 stream in 256), and the text came back empty."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompressobj().decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "".join(chunks)


def qr_texts(data: bytes) -> list[str]:
    """What the QR codes drawn in a PDF say, page by page."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for image in page.images:
            found += [r.text for r in zxingcpp.read_barcodes(image.image)]
    return found
