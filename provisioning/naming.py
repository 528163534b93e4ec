"""Account naming policy: from a person's names to sAMAccountName candidates and a UPN.

Pure functions, no I/O: whether a candidate is free is decided by the caller against the live
directory. The rules, chosen for SSM (no public SSM rule exists, see DOMAIN.md §7):

* Names are folded to ASCII: accents and diaeresis stripped (Ñ→n, Ü→u), lower case.
* Apostrophes join (``D'Artagnan`` → ``dartagnan``, ``O'Neill`` → ``oneill``); hyphens,
  dots and spaces separate words (``Pérez-Gómez`` → words ``perez`` ``gomez``).
* A surname is its first word that is not a particle (``de la Cruz`` → ``cruz``,
  ``del Río`` → ``rio``, ``Pérez-Gómez`` → ``perez``). ``San``/``Santa``/``Santo`` and
  ``Mc``/``Mac`` join the next word (``Santa Cruz`` → ``santacruz``, ``Mc Donald`` →
  ``mcdonald``) so both spellings give the same name. A surname made only of particles keeps
  all its words joined (``De la`` → ``dela``).
* {nombre} is the first given name that is not a particle and {nombre2} the next one
  (``María José`` → ``maria``/``jose``; ``María de los Ángeles`` → ``maria``/``angeles``).
  ``María``/``José`` are not skipped and abbreviations such as ``Ma.`` are taken literally.
* A separator from the pattern is written only between two non-empty pieces, so a missing
  second surname or second given name never leaves ``juan.lopez.`` or ``juan..lopez``.
* At most ``max_length`` (≤ 20) characters; collisions get 2, 3, … appended, and the base is
  cut (never ending in a separator) to make room for the number.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

# Windows AD refuses longer sAMAccountNames; Samba does not enforce it, so Alta must.
SAM_ACCOUNT_NAME_MAX = 20
# Candidates end at base99: a name with 98 namesakes points at a problem to look at.
MAX_SUFFIX = 99

SEPARATORS = "._-"

# The Spanish particles are the ones DOMAIN.md §7 names, plus "e", which replaces "y" before
# an i-sound ("Ortega e Ibarra"). The others are Portuguese, Italian, French, Dutch and German
# ones that reach Mexican records. "Mc"/"Mac" are not particles but joined prefixes.
SPANISH_PARTICLES = ("de", "del", "la", "las", "los", "y", "e")
OTHER_PARTICLES = ("da", "das", "do", "dos", "di", "du", "van", "von", "der", "den")
DEFAULT_PARTICLES = SPANISH_PARTICLES + OTHER_PARTICLES
# Prefixes written both apart and together ("San Román"/"Sanromán"): joined to the next word.
DEFAULT_JOINED_PREFIXES = ("san", "santa", "santo", "mc", "mac")

PLACEHOLDERS = frozenset({"nombre", "n", "nombre2", "n2", "apellido1", "a1", "apellido2", "a2"})

# Apostrophe look-alikes are removed before anything else: NFKD would turn the acute accent
# (U+00B4) into a space and split the word.
_APOSTROPHES = dict.fromkeys(map(ord, "'`´ʼ’‘ʹ′"), None)
# Latin letters that NFKD does not decompose; everything else non-ASCII is dropped.
_LATIN_EXTRAS = str.maketrans(
    {"æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_DIGITS = dict.fromkeys(map(ord, string.digits), None)
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z]+")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_VALID_SAM = re.compile(r"[a-z0-9](?:[a-z0-9]|[._-](?=[a-z0-9]))*")
_DNS_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_VALID_SUFFIX = re.compile(rf"{_DNS_LABEL}(?:\.{_DNS_LABEL})*")
_ALLOWED_SAM_CHARS = frozenset(string.ascii_lowercase + string.digits + SEPARATORS)


class NamingError(ValueError):
    """A name or naming policy Alta cannot use; ``message`` is shown to the user (Spanish)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _ascii_lower(text: str) -> str:
    """Fold to lower-case ASCII, keeping non-letters as they are for the caller to split on."""
    text = text.translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_LATIN_EXTRAS)


def fold(text: str) -> str:
    """ASCII-fold ``text`` into a sAMAccountName piece: only ``[a-z0-9]`` remain."""
    return _NOT_ALNUM.sub("", _ascii_lower(text))


def search_key(text: str) -> str:
    """``text`` as people search compares it: lower case without accents, apostrophes or
    repeated spaces («Núñez O'Brien» → «nunez obrien»), so that «nunez» finds NÚÑEZ."""
    return " ".join(_ascii_lower(text).split())


def _words(text: str) -> list[str]:
    """Split a name into folded words; digits are dropped, since no one's name has them."""
    return _WORD.findall(_ascii_lower(text).translate(_DIGITS))


@dataclass(frozen=True)
class NamingPolicy:
    """How account names are built: the pattern, the length limit and the name particles."""

    pattern: str = "{nombre}.{apellido1}"
    max_length: int = SAM_ACCOUNT_NAME_MAX
    particles: tuple[str, ...] = DEFAULT_PARTICLES
    joined_prefixes: tuple[str, ...] = DEFAULT_JOINED_PREFIXES
    # The parsed pattern: (is_placeholder, text) pairs, e.g. (True, "nombre"), (False, ".").
    segments: tuple[tuple[bool, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Reject a bad policy when it is configured, not when the first account is named."""
        if not 3 <= self.max_length <= SAM_ACCOUNT_NAME_MAX:
            raise NamingError(
                f"La longitud máxima del nombre de cuenta debe estar entre 3 y "
                f"{SAM_ACCOUNT_NAME_MAX}; se configuró {self.max_length}."
            )
        for word in (*self.particles, *self.joined_prefixes):
            if not word or word != fold(word):
                raise NamingError(
                    f"La partícula «{word}» debe escribirse en minúsculas, sin acentos ni signos."
                )
        object.__setattr__(self, "segments", _parse_pattern(self.pattern))


def _parse_pattern(pattern: str) -> tuple[tuple[bool, str], ...]:
    """Split a pattern into placeholders and single separators, or raise NamingError."""
    segments: list[tuple[bool, str]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(pattern):
        segments.extend(_separator(pattern, pattern[position : match.start()], bool(segments)))
        name = match.group(1)
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS))
            raise NamingError(
                f"El patrón de nombres «{pattern}» usa «{{{name}}}», que no existe. "
                f"Marcadores válidos: {known}."
            )
        segments.append((True, name))
        position = match.end()
    if not segments:
        raise NamingError(
            f"El patrón de nombres «{pattern}» no tiene ningún marcador como {{nombre}}."
        )
    trailing = pattern[position:]
    if trailing:
        raise NamingError(f"El patrón de nombres «{pattern}» no puede terminar con «{trailing}».")
    return tuple(segments)


def _separator(pattern: str, text: str, after_placeholder: bool) -> list[tuple[bool, str]]:
    """Check the text between two placeholders: nothing, or one of ``. _ -``."""
    if not text:
        return []
    if not after_placeholder or len(text) > 1 or text not in SEPARATORS:
        raise NamingError(
            f"El patrón de nombres «{pattern}» contiene «{text}»: entre marcadores solo se "
            "permite un punto, un guion o un guion bajo."
        )
    return [(False, text)]


def _surname_piece(text: str | None, policy: NamingPolicy) -> str:
    """The word that stands for a surname: the first that is not a particle."""
    words = _words(text or "")
    for i, word in enumerate(words):
        if word in policy.particles:
            continue
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in policy.joined_prefixes and following and following not in policy.particles:
            return word + following
        return word
    # Only particles ("De la"): keep them all rather than lose the surname.
    return "".join(words)


def split_surnames(text: str, particles: tuple[str, ...] = DEFAULT_PARTICLES
                   ) -> tuple[str, str]:
    """Both surnames written in one field (a directory's ``sn``): the first is its leading
    particles and the word after them (``de la Cruz Pérez`` → ``de la Cruz``, ``Pérez``);
    the rest is the second (``García de la Torre`` → ``García``, ``de la Torre``)."""
    words = text.split()
    for i, word in enumerate(words):
        if fold(word) not in particles:
            return " ".join(words[:i + 1]), " ".join(words[i + 1:])
    return text.strip(), ""


def split_full_name(text: str, particles: tuple[str, ...] = DEFAULT_PARTICLES
                    ) -> tuple[str, str, str] | None:
    """(given names, first surname, second surname) of a name written in one field, read
    from the end: each surname is a word and the particles before it (``Ana María de la Cruz
    Pérez`` → ``Ana María``, ``de la Cruz``, ``Pérez``). None with fewer than two words."""
    words = text.split()
    groups: list[list[str]] = []
    end = len(words)
    while len(groups) < 2 and end > 1:
        start = end - 1
        while start > 1 and fold(words[start - 1]) in particles:
            start -= 1
        groups.append(words[start:end])
        end = start
    if not groups or end < 1:
        return None
    given = " ".join(words[:end])
    if len(groups) == 1:
        return given, " ".join(groups[0]), ""
    return given, " ".join(groups[1]), " ".join(groups[0])


def _given_pieces(text: str, policy: NamingPolicy) -> tuple[str, str]:
    """The first and second given names, skipping particles ("María de los Ángeles")."""
    words = _words(text)
    names = [word for word in words if word not in policy.particles]
    if not names:
        return "".join(words), ""
    return names[0], names[1] if len(names) > 1 else ""


def _fit(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters without leaving a separator at the end."""
    return text[:limit].rstrip(SEPARATORS)


def base_name(
    given_names: str,
    first_surname: str,
    second_surname: str | None = None,
    policy: NamingPolicy | None = None,
) -> str:
    """The account name the pattern gives before any collision suffix, cut to max_length."""
    policy = policy or DEFAULT_POLICY
    nombre, nombre2 = _given_pieces(given_names, policy)
    apellido1 = _surname_piece(first_surname, policy)
    apellido2 = _surname_piece(second_surname, policy)
    if not nombre:
        raise NamingError(
            f"El nombre «{given_names}» no contiene letras con las que formar la cuenta."
        )
    if not apellido1:
        raise NamingError(
            f"El primer apellido «{first_surname}» no contiene letras con las que formar la cuenta."
        )
    values = {
        "nombre": nombre,
        "n": nombre[:1],
        "nombre2": nombre2,
        "n2": nombre2[:1],
        "apellido1": apellido1,
        "a1": apellido1[:1],
        "apellido2": apellido2,
        "a2": apellido2[:1],
    }
    rendered = ""
    pending = ""
    for is_placeholder, text in policy.segments:
        if not is_placeholder:
            pending = text
        elif values[text]:
            rendered += (pending if rendered else "") + values[text]
            pending = ""
        else:
            # An empty piece takes the separator before it along ("juan..lopez" never forms).
            pending = ""
    base = _fit(rendered, policy.max_length)
    if not base:
        person = " ".join(part for part in (given_names, first_surname, second_surname) if part)
        raise NamingError(
            f"El patrón «{policy.pattern}» no produce ningún nombre de cuenta para «{person}»."
        )
    return base


def candidates(
    given_names: str,
    first_surname: str,
    second_surname: str | None = None,
    policy: NamingPolicy | None = None,
) -> Iterator[str]:
    """sAMAccountName candidates in order of preference: base, base2, … base99.

    Raises NamingError at once (not on the first ``next``) when no name can be formed. The
    caller takes the first candidate the directory does not already have.
    """
    policy = policy or DEFAULT_POLICY
    base = base_name(given_names, first_surname, second_surname, policy)
    return _numbered(base, policy.max_length)


def _numbered(base: str, max_length: int) -> Iterator[str]:
    """Yield ``base`` and then ``base`` cut short enough to carry 2, 3, … MAX_SUFFIX."""
    yield base
    for number in range(2, MAX_SUFFIX + 1):
        suffix = str(number)
        yield _fit(base, max_length - len(suffix)) + suffix


def validate_sam_account_name(name: str) -> None:
    """Raise NamingError unless ``name`` is an account name Alta itself could have generated.

    Stricter than AD: 1–20 characters of ``a-z 0-9 . _ -``, starting and ending with a letter
    or digit, no two separators in a row. That keeps it valid as a UPN local part as well.
    """
    if not name:
        raise NamingError("El nombre de cuenta no puede estar vacío.")
    if len(name) > SAM_ACCOUNT_NAME_MAX:
        raise NamingError(
            f"El nombre de cuenta «{name}» tiene {len(name)} caracteres; "
            f"el máximo es {SAM_ACCOUNT_NAME_MAX}."
        )
    invalid = sorted(set(name) - _ALLOWED_SAM_CHARS)
    if invalid:
        shown = " ".join(repr(ch) if ch.isspace() or not ch.isprintable() else ch for ch in invalid)
        raise NamingError(
            f"El nombre de cuenta «{name}» contiene caracteres no permitidos ({shown}). "
            "Use solo minúsculas sin acentos, dígitos, punto, guion y guion bajo."
        )
    if name[0] in SEPARATORS or name[-1] in SEPARATORS:
        raise NamingError(
            f"El nombre de cuenta «{name}» no puede empezar ni terminar con punto o guion."
        )
    if not _VALID_SAM.fullmatch(name):
        raise NamingError(f"El nombre de cuenta «{name}» no puede tener dos separadores seguidos.")


def user_principal_name(sam: str, suffix: str) -> str:
    """The UPN ``sam@suffix``; AD compares UPNs without case, Alta writes them in lower case."""
    validate_sam_account_name(sam)
    domain = suffix.lower()
    if not _VALID_SUFFIX.fullmatch(domain):
        raise NamingError(f"El sufijo de UPN «{suffix}» no es un nombre de dominio válido.")
    return f"{sam}@{domain}"


DEFAULT_POLICY = NamingPolicy()
