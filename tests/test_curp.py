"""CURP validation: the examples of DOMAIN.md §3 and each rule on its own."""

from datetime import date

import pytest

from provisioning import curp

VALID = ["BOXW310820HNERXN09", "HEGG560427MVZRRL04", "BEML920313HMCLNS09",
         "PEGL890909MJCRMS08", "SABC560626MDFLRN01"]


def build(first17: str) -> str:
    """A hypothetical CURP with the right check digit (tests only; Alta never generates)."""
    return first17 + str(curp.check_digit(first17))


@pytest.mark.parametrize("value", VALID)
def test_public_examples_are_valid(value: str) -> None:
    info = curp.validate(value)
    assert info.curp == value


def test_decodes_birth_date_sex_and_state() -> None:
    info = curp.validate("BEML920313HMCLNS09")
    assert info.birth_date == date(1992, 3, 13)
    assert info.sex == "H"
    assert info.state_code == "MC"
    assert info.state_name == "Estado de México"


def test_born_abroad() -> None:
    info = curp.validate("BOXW310820HNERXN09")
    assert info.born_abroad and info.state_name == "Nacido en el extranjero"


def test_wrong_check_digit_fails() -> None:
    with pytest.raises(curp.CurpError, match="dígito verificador"):
        curp.validate("PEGL890909MJCRMS09")


def test_letter_differentiator_means_born_after_2000() -> None:
    value = build("GOMA050101MMSNRNA")
    info = curp.validate(value)
    assert info.birth_date == date(2005, 1, 1)
    assert info.state_name == "Morelos"


def test_n_tilde_counts_as_24_in_check_digit() -> None:
    # Ñ sits between N and O in the alphabet: it changes the digit versus N.
    assert curp.check_digit("PEÑA800101HMSXXX0") != curp.check_digit("PENA800101HMSXXX0")


@pytest.mark.parametrize(("value", "message"), [
    ("BEML920313HMCLNS0", "18 caracteres"),
    ("BEML920313HMCLNS090", "18 caracteres"),
    ("1EML920313HMCLNS09", "estructura"),
    ("BEML92031AHMCLNS09", "estructura"),
    ("BEML920313HMCLNS0X", "estructura"),  # check digit must be a digit
    ("BEML920313ZMCLNS09", "estructura"),  # sex
    ("BAML920313HMCLAS09", "estructura"),  # a vowel among the internal consonants
    # Other scripts' decimal digits: Python's int() reads them, a CURP never has them.
    ("BEML\u0669\u0662\u0660\u0663\u0661\u0663HMCLNS09", "estructura"),  # Arabic-Indic
    ("BEML\uff19\uff12\uff10\uff13\uff11\uff13HMCLNS09", "estructura"),  # full width
    ("BEML920313HMCLNS0\u0669", "estructura"),  # check digit
])
def test_structure_errors(value: str, message: str) -> None:
    with pytest.raises(curp.CurpError, match=message):
        curp.validate(value)


def test_impossible_date() -> None:
    with pytest.raises(curp.CurpError, match="fecha"):
        curp.validate(build("BEML920231HMCLNS0"))


def test_future_birth_date_is_refused_when_today_is_known() -> None:
    value = build("BEML300313HMCLNSA")  # 2030 (letter differentiator)
    with pytest.raises(curp.CurpError, match="futuro"):
        curp.validate(value, today=date(2026, 3, 4))


def test_unknown_state_code() -> None:
    with pytest.raises(curp.CurpError, match="entidad"):
        curp.validate(build("BEML920313HXXLNS0"))


def test_sex_x_only_when_allowed() -> None:
    value = build("BEML920313XMCLNS0")
    with pytest.raises(curp.CurpError, match="H o M"):
        curp.validate(value)
    assert curp.validate(value, allow_sex_x=True).sex == "X"


def test_inconvenient_word_is_a_warning_not_a_rejection() -> None:
    value = build("BUEY920313HMSLNS0")
    info = curp.validate(value)
    assert info.warning and "RENAPO" in info.warning


def test_lower_case_and_spaces_are_normalized() -> None:
    assert curp.validate(" beml920313hmclns09 ").curp == "BEML920313HMCLNS09"


# --- names against the CURP --------------------------------------------------------------


@pytest.mark.parametrize(("nombres", "primer", "segundo", "letters"), [
    ("Gloria", "Hernández", "García", "HEGGRRL"),  # the instructivo's own example
    ("Juan", "López", "López", "LOLJPPN"),
    ("María José", "Peña", "Ñúñez", "PEXJXXS"),  # Ñ → X; María skipped in compound names
    ("María", "Peña", None, "PEXMXXR"),  # single María is kept; no second surname → X
    ("José Luis", "de la Cruz", "del Río", "CURLRXS"),  # particles skipped; RIO has no
    # internal consonant → X
    ("Ana", "Mc Donald", "Ávila", "DOAAN" + "VN"),
    ("Úrsula", "Ibáñez", "Olvera", "IAOUBLR"),
    ("Bruno", "Ueda", "Yáñez", "UEYBDXR"),
    ("Ulises", "O'Neill", "Pérez", "OEPUNRL"),  # apostrophe joins: ONEILL
    ("Ximena", "Buendía", "Yáñez", "BUYXNXM"),  # the Ñ of YAÑEZ is its consonant (X)
])
def test_expected_letters(nombres, primer, segundo, letters) -> None:
    assert curp.expected_letters(nombres, primer, segundo) == letters


def test_inconvenient_word_gets_x_in_second_place() -> None:
    # Buenrostro Escobar Yolanda would start BUEY: RENAPO writes BXEY.
    assert curp.expected_letters("Yolanda", "Buenrostro", "Escobar")[:4] == "BXEY"


def test_matching_names_have_no_mismatch() -> None:
    value = build("HEGG560427MVZRRL0")
    assert curp.name_mismatches(value, "Gloria", "Hernández", "García") == {}


def test_each_mismatching_field_is_named() -> None:
    value = build("HEGG560427MVZRRL0")
    wrong = curp.name_mismatches(value, "Gabriela", "Hernández", "Torres")
    assert set(wrong) == {"nombres", "segundo_apellido"}
    assert wrong["nombres"].startswith("El nombre no coincide")
    assert set(curp.name_mismatches(value, "Gloria", "Fernández", "García")) == {
        "primer_apellido"}
