"""Checks for text typed by people: no control or invisible characters, bounded length.

Every form field goes through ``clean``; names also through ``person_name``. Messages are
Spanish because they are shown next to the field.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible or direction-changing characters used to disguise text (Trojan Source, spoofing).
_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2066", "\u2067", "\u2068", "\u2069", "\u061c",
}
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$")
_NAME_PUNCT = set(" '’-.")


class TextError(ValueError):
    """The text is not acceptable; ``message`` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def clean(value: str | None, *, max_length: int, required: bool = True,
          multiline: bool = False) -> str:
    """NFC-normalize, trim and collapse spaces; refuse control/invisible characters."""
    text = unicodedata.normalize("NFC", value or "")
    for ch in text:
        if ch in _INVISIBLE or ch == "\ufffd":
            raise TextError("El texto contiene caracteres invisibles o no válidos.")
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn") and not (multiline and ch in "\r\n\t"):
            raise TextError("El texto contiene caracteres de control no permitidos.")
    if multiline:
        text = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    else:
        text = " ".join(text.split())
    if required and not text:
        raise TextError("Este dato es obligatorio.")
    if len(text) > max_length:
        raise TextError(f"Escriba como máximo {max_length} caracteres.")
    return text


def person_name(value: str | None, *, max_length: int = 50, required: bool = True) -> str:
    """A name or surname: Latin letters (accents, Ñ, Ü), spaces, apostrophe, hyphen, period."""
    text = clean(value, max_length=max_length, required=required)
    for ch in text:
        if ch in _NAME_PUNCT:
            continue
        if not ch.isalpha() or not unicodedata.name(ch, "").startswith("LATIN"):
            raise TextError("Use solo letras (con acentos o Ñ), espacios, apóstrofo o guion.")
    if text and not any(ch.isalpha() for ch in text):
        raise TextError("Escriba el nombre con letras.")
    return text.upper()


def email(value: str | None, *, required: bool = True) -> str:
    """An e-mail address (ASCII, at most 254 characters), lower-cased domain."""
    text = clean(value, max_length=254, required=required)
    if not text:
        return ""
    if not _EMAIL.match(text):
        raise TextError("Escriba un correo electrónico válido, por ejemplo nombre@dominio.mx.")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def phone(value: str | None, *, required: bool = True) -> str:
    """A Mexican phone number: 10 digits (spaces, hyphens and parentheses are ignored, and
    so is the country code +52 in front of them)."""
    text = clean(value, max_length=25, required=required)
    digits = re.sub(r"[\s\-().]", "", text)
    if digits.startswith("+52") or (len(digits) == 12 and digits.startswith("52")):
        digits = digits.removeprefix("+").removeprefix("52")
    if not text:
        return ""
    if not digits.isascii() or not digits.isdigit() or len(digits) != 10:
        raise TextError("Escriba el teléfono a 10 dígitos, por ejemplo 777 311 2233.")
    return digits


def digits(value: str | None, *, max_length: int, required: bool = False) -> str:
    """Only ASCII digits (extensions)."""
    text = clean(value, max_length=max_length, required=required)
    if text and not (text.isascii() and text.isdigit()):
        raise TextError("Use solo números.")
    return text
