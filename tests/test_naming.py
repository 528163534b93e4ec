"""Unit tests of the pure account naming policy (no directory involved)."""

import itertools

import pytest

from provisioning.naming import (
    MAX_SUFFIX,
    NamingError,
    NamingPolicy,
    base_name,
    candidates,
    fold,
    split_full_name,
    split_surnames,
    user_principal_name,
    validate_sam_account_name,
)

# (given names, first surname, second surname, expected base name) with the default pattern
# "{nombre}.{apellido1}". Each row is a case that has gone wrong somewhere before.
HARD_NAMES = [
    # Accents, Ñ and Ü.
    ("Juan", "López", "López", "juan.lopez"),
    ("Begoña", "Ibáñez", None, "begona.ibanez"),
    ("Ñeco", "Ñúñez", "Peña", "neco.nunez"),
    ("Agüeda", "Argüelles", "Pingüino", "agueda.arguelles"),
    ("Hans", "Müller", None, "hans.muller"),
    ("ÁLVARO", "ÉVORA", "ÚRSULO", "alvaro.evora"),
    ("Inés", "Ávila", "Íñiguez", "ines.avila"),
    # Compound given names: the first one counts, María and José are not skipped.
    ("José Luis", "Pérez", "Gómez", "jose.perez"),
    ("María José", "Hernández", "Ruiz", "maria.hernandez"),
    ("María de los Ángeles", "Sánchez", None, "maria.sanchez"),
    ("María del Carmen", "Ortiz", "Vega", "maria.ortiz"),
    ("Jean-Pierre", "Dupont", None, "jean.dupont"),
    ("Ma. Guadalupe", "Ruíz", None, "ma.ruiz"),
    ("J. Jesús", "Pérez", None, "j.perez"),
    # Apostrophes join, whatever character was typed for them.
    ("Jean", "D'Artagnan", None, "jean.dartagnan"),
    ("Shaun", "O’Neill", None, "shaun.oneill"),
    ("Marco", "D´Amico", None, "marco.damico"),
    ("Liam", "O`Connor", None, "liam.oconnor"),
    # Hyphenated surnames keep their first part, however the hyphen was typed.
    ("Ana", "Pérez-Gómez", None, "ana.perez"),
    ("Ana", "Pérez - Gómez", None, "ana.perez"),
    ("Ana", "Pérez–Gómez", None, "ana.perez"),
    # Particles are skipped when picking the surname.
    ("Ana", "de la Cruz", None, "ana.cruz"),
    ("Luis", "del Río", "de la Peña", "luis.rio"),
    ("Rosa", "de las Casas", None, "rosa.casas"),
    ("Pedro", "de los Santos", None, "pedro.santos"),
    ("Carlos", "Ortega y Gasset", None, "carlos.ortega"),
    ("Inés", "Ortega e Ibarra", None, "ines.ortega"),
    ("João", "da Silva", None, "joao.silva"),
    ("Pieter", "van der Berg", None, "pieter.berg"),
    ("Ludwig", "von Beethoven", None, "ludwig.beethoven"),
    ("Ángel", "Di María", None, "angel.maria"),
    # A surname made only of particles keeps them, joined.
    ("Juan", "de la", "Peña", "juan.dela"),
    ("Juan", "Y", None, "juan.y"),
    # San/Santa/Santo and Mc/Mac join the next word: both spellings give one name.
    ("Ana", "San Martín", None, "ana.sanmartin"),
    ("Ana", "Santa Cruz", None, "ana.santacruz"),
    ("Ana", "Santacruz", None, "ana.santacruz"),
    ("Ana", "de San Román", None, "ana.sanroman"),
    ("Ana", "Santa", None, "ana.santa"),
    ("Ronald", "Mc Donald", None, "ronald.mcdonald"),
    ("Ronald", "McDonald", None, "ronald.mcdonald"),
    # Cut at 20 characters, never leaving a separator at the end.
    ("Maximiliano", "Hernández", "Ortiz", "maximiliano.hernande"),
    ("Hermenegildo", "Villaseñor", None, "hermenegildo.villase"),
    ("Guadalupe Esperanza", "Fernández de Córdoba", None, "guadalupe.fernandez"),
    ("Abcdefghijklmnopqrs", "López", None, "abcdefghijklmnopqrs"),  # artificial: 19 + "."
    # Single surname, empty or blank second surname.
    ("Juan", "García", None, "juan.garcia"),
    ("Juan", "García", "", "juan.garcia"),
    ("Juan", "García", "   ", "juan.garcia"),
    # Case mix, extra and odd whitespace, digits, full-width letters.
    ("JUAN CARLOS", "mArTíNeZ", None, "juan.martinez"),
    ("  María   José  ", "  García   Márquez ", None, "maria.garcia"),
    ("Juan\tPablo", "López\n", None, "juan.lopez"),
    ("Juan 2", "López3", None, "juan.lopez"),
    ("Ｊｕａｎ", "Ｌóｐｅｚ", None, "juan.lopez"),
    # Latin letters NFKD leaves alone.
    ("Björn", "Straße", None, "bjorn.strasse"),
    ("Søren", "Łukasiewicz", None, "soren.lukasiewicz"),
    ("Æthelred", "Œhler", None, "aethelred.oehler"),
]


@pytest.mark.parametrize(("given", "first", "second", "expected"), HARD_NAMES)
def test_hard_names_give_the_expected_base(given, first, second, expected):
    assert next(candidates(given, first, second)) == expected
    assert base_name(given, first, second) == expected


def test_the_table_is_long_enough_and_has_no_duplicate_rows():
    assert len(HARD_NAMES) >= 40
    assert len({row[:3] for row in HARD_NAMES}) == len(HARD_NAMES)


@pytest.mark.parametrize(("given", "first", "second", "expected"), HARD_NAMES)
def test_every_candidate_is_valid_short_and_distinct(given, first, second, expected):
    names = list(candidates(given, first, second))
    assert len(names) == MAX_SUFFIX
    assert len(set(names)) == MAX_SUFFIX
    for name in names:
        validate_sam_account_name(name)
        assert len(name) <= 20
        assert name == name.lower()
        assert not set(name) & set('"/\\[]:;|=,+*?<> @')


def _first_free(names, taken):
    """What the directory adapter does: the first candidate not already in use."""
    return next(name for name in names if name not in taken)


def test_three_namesakes_get_numbered_accounts():
    taken: set[str] = set()
    for _ in range(3):
        taken.add(_first_free(candidates("Juan", "López", "López"), taken))
    assert taken == {"juan.lopez", "juan.lopez2", "juan.lopez3"}


def test_different_people_with_the_same_base_share_the_numbering():
    taken = {"jose.perez"}
    assert _first_free(candidates("José Luis", "Pérez", "Gómez"), taken) == "jose.perez2"
    taken.add("jose.perez2")
    assert _first_free(candidates("José", "Pérez-Ruiz", None), taken) == "jose.perez3"


def test_numbering_continues_to_99_and_stops():
    names = list(candidates("Juan", "López", None))
    assert names[:3] == ["juan.lopez", "juan.lopez2", "juan.lopez3"]
    assert names[8:10] == ["juan.lopez9", "juan.lopez10"]
    assert names[-1] == "juan.lopez99"


def test_a_long_base_is_cut_to_make_room_for_the_number():
    names = list(candidates("Maximiliano", "Hernández", "Ortiz"))
    assert names[0] == "maximiliano.hernande"
    assert names[1] == "maximiliano.hernand2"
    assert names[9] == "maximiliano.hernan10"
    assert all(len(name) == 20 for name in names)


def test_the_cut_never_leaves_a_separator_before_the_number():
    names = list(candidates("Abcdefghijklmnopqr", "López", None))  # artificial: 18 letters
    assert names[0] == "abcdefghijklmnopqr.l"
    assert names[1] == "abcdefghijklmnopqr2"
    assert names[9] == "abcdefghijklmnopqr10"


# (pattern, given names, first surname, second surname, expected base name)
PATTERNS = [
    ("{n}{apellido1}", "Juan", "López", "Obrador", "jlopez"),
    ("{n}{apellido1}{a2}", "Juan", "López", "Obrador", "jlopezo"),
    ("{n}{apellido1}{a2}", "Juan", "López", None, "jlopez"),
    ("{nombre}.{apellido1}.{a2}", "Juan", "López", "Obrador", "juan.lopez.o"),
    ("{nombre}.{apellido1}.{a2}", "Juan", "López", None, "juan.lopez"),
    ("{nombre}.{nombre2}.{apellido1}", "María José", "García", None, "maria.jose.garcia"),
    ("{nombre}.{nombre2}.{apellido1}", "Juan", "García", None, "juan.garcia"),
    ("{nombre}.{nombre2}.{apellido1}", "María de los Ángeles", "Ruiz", None, "maria.angeles.ruiz"),
    ("{n}{n2}{apellido1}", "José Luis", "Pérez", None, "jlperez"),
    ("{nombre}_{apellido1}", "Juan", "de la Cruz", None, "juan_cruz"),
    ("{apellido1}-{n}", "Juan", "del Río", None, "rio-j"),
    ("{apellido1}.{apellido2}", "Juan", "López", None, "lopez"),
    ("{apellido2}.{nombre}", "Juan", "López", None, "juan"),
    ("{a1}{a2}{nombre}", "Juan", "López", "de la Peña", "lpjuan"),
    ("{nombre}{apellido1}{apellido2}", "Juan", "Hernández", "Villaseñor", "juanhernandezvillase"),
]


@pytest.mark.parametrize(("pattern", "given", "first", "second", "expected"), PATTERNS)
def test_other_patterns(pattern, given, first, second, expected):
    assert base_name(given, first, second, NamingPolicy(pattern=pattern)) == expected


def test_a_shorter_limit_cuts_base_and_numbered_names():
    policy = NamingPolicy(max_length=8)
    names = list(candidates("Juan", "López", None, policy))
    assert names[:2] == ["juan.lop", "juan.lo2"]
    assert names[9] == "juan.l10"


def test_a_cut_at_the_separator_drops_it():
    names = list(candidates("Juan", "López", None, NamingPolicy(max_length=5)))
    assert names[:2] == ["juan", "juan2"]
    assert names[9] == "jua10"


@pytest.mark.parametrize(
    ("given", "first", "second"),
    [
        ("!!!", "López", None),
        ("Juan", "***", None),
        ("", "López", None),
        ("Juan", "", "López"),
        ("123", "López", None),
        ("Juan", "--", None),
    ],
)
def test_names_without_letters_are_refused_when_asked(given, first, second):
    # Refused by the call itself, not on the first next(): the caller sees it at once.
    with pytest.raises(NamingError) as caught:
        candidates(given, first, second)
    assert "no contiene letras" in caught.value.message


def test_a_pattern_can_render_empty():
    policy = NamingPolicy(pattern="{apellido2}")
    with pytest.raises(NamingError, match="no produce ningún nombre de cuenta"):
        candidates("Juan", "López", None, policy)


@pytest.mark.parametrize(
    "pattern",
    [
        "{nombre}.{apellido}",  # unknown placeholder
        "{nombre}.{Apellido1}",
        "{nombre}.{}",
        "{nombre}..{apellido1}",
        "{nombre} {apellido1}",
        "{nombre}x{apellido1}",
        ".{nombre}",
        "{nombre}.",
        "{nombre}.{apellido1",
        "nombre.apellido1",
        "",
    ],
)
def test_bad_patterns_are_refused_when_the_policy_is_built(pattern):
    with pytest.raises(NamingError):
        NamingPolicy(pattern=pattern)


def test_naming_error_is_a_value_error_with_a_spanish_message():
    with pytest.raises(ValueError, match=r"usa «\{apellido\}», que no existe") as caught:
        NamingPolicy(pattern="{nombre}.{apellido}")
    assert caught.value.message == str(caught.value)


@pytest.mark.parametrize("max_length", [2, 21, 64])
def test_the_length_limit_stays_within_ad_limits(max_length):
    with pytest.raises(NamingError, match="longitud máxima"):
        NamingPolicy(max_length=max_length)


@pytest.mark.parametrize("particles", [("De",), ("dé",), ("",), ("de la",)])
def test_particles_must_be_folded_words(particles):
    with pytest.raises(NamingError, match="partícula"):
        NamingPolicy(particles=particles)


def test_particles_are_configurable():
    policy = NamingPolicy(particles=("de", "del", "la", "las", "los", "y"))
    assert base_name("Pieter", "van der Berg", None, policy) == "pieter.van"
    assert base_name("Ana", "de la Cruz", None, policy) == "ana.cruz"


def test_policies_compare_by_their_settings():
    assert NamingPolicy() == NamingPolicy(pattern="{nombre}.{apellido1}")
    assert NamingPolicy() != NamingPolicy(pattern="{n}{apellido1}")
    assert hash(NamingPolicy()) == hash(NamingPolicy())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pérez-Gómez", "perezgomez"),
        ("D'Artagnan", "dartagnan"),
        ("Ñúñez", "nunez"),
        ("GÜERA", "guera"),
        ("Straße", "strasse"),
        ("  José  Luis ", "joseluis"),
        ("Ｒ２Ｄ２", "r2d2"),
        ("中文", ""),
        ("", ""),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


@pytest.mark.parametrize(
    "name", ["juan.lopez", "j", "jlopez2", "a-b_c.d", "maximiliano.hernande", "x" * 20]
)
def test_valid_account_names(name):
    validate_sam_account_name(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "vacío"),
        ("x" * 21, "tiene 21 caracteres; el máximo es 20"),
        ("Juan.Lopez", "caracteres no permitidos (J L)"),
        ("juan lopez", "caracteres no permitidos (' ')"),
        ("josé", "caracteres no permitidos (é)"),
        ("juan@lopez", "caracteres no permitidos (@)"),
        (".juan", "empezar ni terminar"),
        ("juan.", "empezar ni terminar"),
        ("-juan", "empezar ni terminar"),
        ("juan..lopez", "dos separadores seguidos"),
        ("juan.-lopez", "dos separadores seguidos"),
    ]
    + [(f"juan{ch}lopez", "caracteres no permitidos") for ch in '"/\\[]:;|=,+*?<>'],
)
def test_invalid_account_names(name, reason):
    with pytest.raises(NamingError) as caught:
        validate_sam_account_name(name)
    assert reason in caught.value.message


def test_user_principal_name():
    assert user_principal_name("juan.lopez", "ssm.test") == "juan.lopez@ssm.test"
    assert user_principal_name("juan.lopez2", "SSM.Morelos.GOB.MX") == (
        "juan.lopez2@ssm.morelos.gob.mx"
    )


@pytest.mark.parametrize(
    ("sam", "suffix"),
    [
        ("juan.lopez", ""),
        ("juan.lopez", "ssm..test"),
        ("juan.lopez", "-ssm.test"),
        ("juan.lopez", "ssm test"),
        ("juan.lopez", "ssm.test."),
        ("juan.lopez", "@ssm.test"),
        ("Juan.López", "ssm.test"),
        ("", "ssm.test"),
    ],
)
def test_user_principal_name_refuses_bad_parts(sam, suffix):
    with pytest.raises(NamingError):
        user_principal_name(sam, suffix)


def test_candidates_are_deterministic():
    def first_five():
        return list(itertools.islice(candidates("María José", "de la Cruz", "Ñúñez"), 5))

    expected = ["maria.cruz", "maria.cruz2", "maria.cruz3", "maria.cruz4", "maria.cruz5"]
    assert first_five() == expected
    assert first_five() == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("de la Cruz Pérez", ("de la Cruz", "Pérez")),
    ("García de la Torre", ("García", "de la Torre")),
    ("Del Valle", ("Del Valle", "")),
    ("López Ruiz", ("López", "Ruiz")),
    ("de la", ("de la", "")),
])
def test_split_surnames_keeps_particles_with_their_surname(text, expected) -> None:
    assert split_surnames(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Ana María de la Cruz Pérez", ("Ana María", "de la Cruz", "Pérez")),
    ("Juan García de la Torre", ("Juan", "García", "de la Torre")),
    ("José Luis López Ruiz", ("José Luis", "López", "Ruiz")),
    ("Ana del Valle", ("Ana", "del Valle", "")),
    ("Ana Pérez", ("Ana", "Pérez", "")),
    ("Ana", None),
])
def test_split_full_name_reads_surnames_from_the_end(text, expected) -> None:
    assert split_full_name(text) == expected
