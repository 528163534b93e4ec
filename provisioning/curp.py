"""CURP validation and decoding (pure; no I/O). NOM-024 6.5.1: validate, never generate.

A valid CURP here is well formed, encodes a real date, a known state and sex, and carries the
right check digit. Only RENAPO can confirm that the person exists.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

# Index of each character in the check-digit alphabet (Ñ between N and O, so Ñ = 24).
_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(_ALPHABET)}

STATES = {
    "AS": "Aguascalientes", "BC": "Baja California", "BS": "Baja California Sur",
    "CC": "Campeche", "CL": "Coahuila", "CM": "Colima", "CS": "Chiapas", "CH": "Chihuahua",
    "DF": "Ciudad de México", "DG": "Durango", "GT": "Guanajuato", "GR": "Guerrero",
    "HG": "Hidalgo", "JC": "Jalisco", "MC": "Estado de México", "MN": "Michoacán",
    "MS": "Morelos", "NT": "Nayarit", "NL": "Nuevo León", "OC": "Oaxaca", "PL": "Puebla",
    "QT": "Querétaro", "QR": "Quintana Roo", "SP": "San Luis Potosí", "SL": "Sinaloa",
    "SR": "Sonora", "TC": "Tabasco", "TS": "Tamaulipas", "TL": "Tlaxcala", "VZ": "Veracruz",
    "YN": "Yucatán", "ZS": "Zacatecas", "NE": "Nacido en el extranjero",
}

# Words RENAPO alters (2nd letter → X). A CURP that still starts with one is unusual but
# exists, so it is a warning, never a rejection.
INCONVENIENT_WORDS = frozenset({
    "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COGI",
    "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI", "GUEY", "JETA",
    "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI", "KOJA", "KOJE", "KOJI",
    "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO", "MAME", "MAMO", "MEAR", "MEAS",
    "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO", "NACA", "NACO", "PEDA", "PEDO", "PENE",
    "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO", "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO",
    "TETA", "VACA", "VAGA", "VAGO", "VAKA", "VUEI", "VUEY", "WUEI", "WUEY",
})

_SHAPE = re.compile(
    r"^[A-ZÑ][AEIOUX][A-ZÑ]{2}"  # surname/name letters
    r"[0-9]{6}"  # birth date YYMMDD (ASCII digits only: int() reads others)
    r"[HMX]"  # sex
    r"[A-Z]{2}"  # state of birth
    r"[B-DF-HJ-NP-TV-ZÑ]{3}"  # internal consonants
    r"[0-9A-Z]"  # homonym differentiator (gives the century)
    r"[0-9]$"  # check digit
)


class CurpError(ValueError):
    """The CURP is invalid; ``message`` is for the user (Spanish)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CurpInfo:
    """What a valid CURP encodes."""

    curp: str
    birth_date: date
    sex: str  # H, M (or X when allowed)
    state_code: str
    warning: str | None = None

    @property
    def state_name(self) -> str:
        """Entidad de nacimiento in words."""
        return STATES[self.state_code]

    @property
    def born_abroad(self) -> bool:
        """True for state code NE."""
        return self.state_code == "NE"


def normalize(text: str) -> str:
    """Upper case without surrounding or inner spaces."""
    return "".join(text.split()).upper()


def check_digit(first17: str) -> int:
    """The check digit for the first 17 characters."""
    total = sum(_VALUE[ch] * (18 - i) for i, ch in enumerate(first17))
    return (10 - total % 10) % 10


def validate(text: str, *, allow_sex_x: bool = False, today: date | None = None) -> CurpInfo:
    """Validate a CURP and decode it; raises CurpError with the first problem found."""
    curp = normalize(text)
    if len(curp) != 18:
        raise CurpError(f"La CURP debe tener 18 caracteres; tiene {len(curp)}.")
    if not _SHAPE.match(curp):
        raise CurpError("La CURP no tiene la estructura oficial (4 letras, 6 dígitos de fecha, "
                        "sexo, entidad, 3 consonantes, homoclave y dígito verificador).")
    sex = curp[10]
    if sex == "X" and not allow_sex_x:
        raise CurpError("El sexo indicado en la CURP debe ser H o M.")
    state = curp[11:13]
    if state not in STATES:
        raise CurpError(f"La clave de entidad de nacimiento «{state}» de la CURP no existe.")
    century = 1900 if curp[16].isdigit() else 2000
    try:
        born = date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))
    except ValueError as exc:
        raise CurpError("La fecha de nacimiento de la CURP no es una fecha válida.") from exc
    if today is not None and born > today:
        raise CurpError("La fecha de nacimiento de la CURP está en el futuro.")
    if check_digit(curp[:17]) != int(curp[17]):
        raise CurpError("El dígito verificador de la CURP no corresponde: revise que la haya "
                        "escrito correctamente.")
    warning = None
    if curp[:4] in INCONVENIENT_WORDS:
        warning = ("Las primeras letras de su CURP forman una palabra que RENAPO suele "
                   "modificar; verifique que coincida con su constancia de CURP.")
    return CurpInfo(curp=curp, birth_date=born, sex=sex, state_code=state, warning=warning)


# ---------------------------------------------------------------------------------------------
# Names against the CURP (RENAPO's rules for letters 1-4 and 14-16)

_PARTICLES = frozenset({
    "DA", "DAS", "DE", "DEL", "DER", "DI", "DIE", "DD", "EL", "LA", "LOS", "LAS", "LE", "LES",
    "MAC", "MC", "VAN", "VON", "Y",
})
_SKIPPED_FIRST_NAMES = frozenset({"MARIA", "MA", "MA.", "M", "M.", "JOSE", "J", "J."})
_VOWELS = set("AEIOU")


def _fold(text: str) -> str:
    """Upper case without accents; Ñ becomes X as RENAPO writes it; other symbols go."""
    out = []
    # An apostrophe joins (O'Neill → ONEILL); other symbols separate words.
    text = text.replace("'", "").replace("’", "")
    text = unicodedata.normalize("NFC", text).upper().replace("Ñ", "X")
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        out.append(ch if "A" <= ch <= "Z" or ch in " ." else " ")
    return " ".join("".join(out).split())


def _main_word(name: str, *, given: bool = False) -> str:
    """The word RENAPO takes letters from: particles skipped; María/José skipped if compound."""
    words = [w for w in _fold(name).split() if w.rstrip(".") not in _PARTICLES]
    if given and len(words) > 1 and words[0] in _SKIPPED_FIRST_NAMES:
        words = words[1:]
    return words[0].replace(".", "") if words else ""


def _first_internal(word: str, wanted: set[str] | None) -> str:
    for ch in word[1:]:
        if (wanted is None and ch not in _VOWELS) or (wanted is not None and ch in wanted):
            return ch
    return "X"


def expected_letters(nombres: str, primer_apellido: str, segundo_apellido: str | None) -> str:
    """The 7 letters a CURP derives from the names: positions 1-4 and 14-16."""
    first = _main_word(primer_apellido)
    second = _main_word(segundo_apellido or "")
    given = _main_word(nombres, given=True)
    head = ((first[:1] or "X") + _first_internal(first, _VOWELS) + (second[:1] or "X")
            + (given[:1] or "X"))
    if head in INCONVENIENT_WORDS:
        head = head[0] + "X" + head[2:]
    consonants = (_first_internal(first, None) if first else "X") + (
        _first_internal(second, None) if second else "X") + (
        _first_internal(given, None) if given else "X")
    return head + consonants


def name_mismatches(curp: str, nombres: str, primer_apellido: str,
                    segundo_apellido: str | None) -> dict[str, str]:
    """Which name fields disagree with the CURP, with a Spanish message for each."""
    expected = expected_letters(nombres, primer_apellido, segundo_apellido)
    actual = normalize(curp)[:4] + normalize(curp)[13:16]
    fields = {0: "primer_apellido", 1: "primer_apellido", 2: "segundo_apellido", 3: "nombres",
              4: "primer_apellido", 5: "segundo_apellido", 6: "nombres"}
    labels = {"primer_apellido": "El primer apellido", "segundo_apellido": "El segundo apellido",
              "nombres": "El nombre"}
    wrong = {fields[i] for i, (a, b) in enumerate(zip(actual, expected, strict=True)) if a != b}
    return {field: f"{labels[field]} no coincide con su CURP; escríbalo como aparece en su "
                   "constancia de CURP." for field in sorted(wrong)}
