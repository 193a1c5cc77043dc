from datetime import date

import pytest

from ledger.errors import InvalidIdentifier
from ledger.identifiers import (
    CONTAINER_CODE_LENGTH,
    CONTAINER_CODE_SEGMENTS,
    division_province,
    format_container_code,
    manifest_city_digits,
    parse_container_code,
    parse_manifest_number,
    parse_waste_code,
    split_container_code,
    uscc_check_character,
    validate_division_code,
    validate_uscc,
)

GB32100_EXAMPLE = "91350100M000100Y43"


def test_gb32100_example_is_valid() -> None:
    assert validate_uscc(GB32100_EXAMPLE) == GB32100_EXAMPLE
    assert uscc_check_character(GB32100_EXAMPLE[:17]) == "3"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y42", "expected '3'"),  # wrong check character
        ("91350100M000100Y4", "has 17"),  # one short
        ("91350100M000100Y433", "has 19"),
        ("91350100M0001O0Y43", "'O'"),  # letter O is not in the alphabet
        ("91350100M000100I43", "'I'"),
        ("91350100M000010Y43", "fails the GB 32100 check"),  # two characters swapped
        ("", "has 0"),
    ],
)
def test_near_misses_are_refused_with_the_reason(code: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        validate_uscc(code)
    assert message in caught.value.message
    assert caught.value.field == "uscc"


def test_lowercase_and_spaces_are_normalised() -> None:
    assert validate_uscc(" 91350100m000100y43 ") == GB32100_EXAMPLE


def test_check_character_31_becomes_0() -> None:
    # Search a body whose weighted sum is ≡ 0 (mod 31): the check is then 31 → '0'.
    body = "9135010000000000"
    for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        if uscc_check_character(body + ch) == "0":
            assert validate_uscc(body + ch + "0")
            return
    pytest.fail("no body with check 0 found")


def test_waste_codes_parse_both_forms_and_reject_missing_categories() -> None:
    assert str(parse_waste_code("841-001-01")) == "841-001-01"
    assert parse_waste_code("90005231").category == "HW31"
    assert parse_waste_code("900-000-49").unlisted
    for bad, fragment in [
        ("841-001-41", "HW41"),
        ("841-001-00", "HW00"),
        ("84-001-01", "NNN-NNN-NN"),
        ("841-001-51", "HW51"),
    ]:
        with pytest.raises(InvalidIdentifier, match=fragment):
            parse_waste_code(bad)


def test_container_code_round_trip_and_segments() -> None:
    waste = parse_waste_code("841-001-01")
    code = format_container_code(GB32100_EXAMPLE, waste, date(2026, 12, 4), 7)
    assert len(code) == CONTAINER_CODE_LENGTH == 37
    assert code == GB32100_EXAMPLE + "84100101" + "20261204" + "007"
    parsed = parse_container_code(code)
    assert (parsed.unit, str(parsed.waste), parsed.packed_on, parsed.sequence) == (
        GB32100_EXAMPLE,
        "841-001-01",
        date(2026, 12, 4),
        7,
    )
    assert list(split_container_code(code)) == [name for name, _ in CONTAINER_CODE_SEGMENTS]
    assert parsed.sequence_scope == code[:34]


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (GB32100_EXAMPLE + "84100101" + "20261204" + "00", "has 36"),
        (GB32100_EXAMPLE[:-1] + "2" + "84100101" + "20261204" + "001", "unit segment"),
        (GB32100_EXAMPLE + "84100141" + "20261204" + "001", "HW41"),
        (GB32100_EXAMPLE + "84100101" + "20261304" + "001", "not a calendar date"),
        (GB32100_EXAMPLE + "84100101" + "2026120X" + "001", "not YYYYMMDD"),
        (GB32100_EXAMPLE + "84100101" + "20261204" + "000", "sequence"),
    ],
)
def test_bad_container_codes(code: str, fragment: str) -> None:
    with pytest.raises(InvalidIdentifier, match=fragment):
        parse_container_code(code)


def test_container_sequence_must_fit() -> None:
    with pytest.raises(InvalidIdentifier, match=r"1\.\.999"):
        format_container_code(GB32100_EXAMPLE, parse_waste_code("841-001-01"), date(2026, 12, 4), 1000)


def test_manifest_numbers() -> None:
    number = parse_manifest_number("20265001000123")
    assert (number.year, number.province, number.city, number.serial) == (2026, "50", "01", 123)
    assert str(number) == "20265001000123"
    for bad, fragment in [
        ("2026500100012", "14 digits"),
        ("20269901000123", "province"),
        ("20265001000000", "never issued"),
        ("18995001000001", "year"),
    ]:
        with pytest.raises(InvalidIdentifier, match=fragment):
            parse_manifest_number(bad)


def test_divisions() -> None:
    assert validate_division_code("500109") == "500109"
    assert division_province("510100") == "51"
    assert division_province("CQLJ01") == "50"
    assert manifest_city_digits("500237") == ("50", "02")
    assert manifest_city_digits("500109") == ("50", "01")
    assert manifest_city_digits("CQLJ01") == ("50", "01")
    for bad in ("5001", "990101", "ABCDEF", "XXLJ01"):
        with pytest.raises(InvalidIdentifier):
            validate_division_code(bad)
