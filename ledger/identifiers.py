"""Identifiers of the domain, as pure functions with precise errors.

- USCC (统一社会信用代码), GB 32100-2015: 18 characters, check character at position 18.
- Waste code (国家危险废物名录 2021): 8 digits printed ``NNN-NNN-NN`` (industry, sequence, HW category).
- Container code (一物一码, HJ 1276-2022 数字识别码): unit + waste code + packing date + sequence.
- Transfer manifest number (部令第23号 art.15): year + province + city + 6-digit serial.
- Administrative division (GB/T 2260): six digits, the first two the province.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from ledger.errors import InvalidIdentifier

# --- USCC -------------------------------------------------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(text: str, *, field: str = "uscc") -> str:
    """Return the USCC if it is 18 characters of the GB 32100 alphabet with a correct check character."""
    if not isinstance(text, str):
        raise InvalidIdentifier("a USCC must be a string of 18 characters", field=field)
    code = text.strip().upper()
    if len(code) != 18:
        raise InvalidIdentifier(f"a USCC has 18 characters, {code!r} has {len(code)}", field=field)
    bad = sorted({ch for ch in code if ch not in _USCC_VALUE})
    if bad:
        raise InvalidIdentifier(
            f"USCC {code!r} contains {', '.join(map(repr, bad))}: GB 32100 uses only {USCC_ALPHABET}"
            " (no I, O, S, V, Z)",
            field=field,
        )
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier(
            f"USCC {code!r} fails the GB 32100 check: its 18th character is {code[17]!r}, expected {expected!r}",
            field=field,
        )
    return code


# --- waste codes --------------------------------------------------------------------------------------------

#: HW41–HW44 were removed from the 2021 list; these are the 46 categories that exist.
HW_CATEGORIES: frozenset[int] = frozenset([*range(1, 41), *range(45, 51)])
_WASTE_CODE = re.compile(r"^(\d{3})-?(\d{3})-?(\d{2})$")


@dataclass(frozen=True, slots=True)
class WasteCode:
    """A parsed 名录 code: industry (GB/T 4754), sequence, HW category."""

    industry: str
    sequence: str
    category_number: int

    @property
    def category(self) -> str:
        return f"HW{self.category_number:02d}"

    @property
    def digits(self) -> str:
        return f"{self.industry}{self.sequence}{self.category_number:02d}"

    @property
    def unlisted(self) -> bool:
        """``900-000-XX``: identified as hazardous but not named in the list."""
        return self.industry == "900" and self.sequence == "000"

    def __str__(self) -> str:
        return f"{self.industry}-{self.sequence}-{self.category_number:02d}"


def parse_waste_code(text: str, *, field: str = "waste_code") -> WasteCode:
    """Parse ``NNN-NNN-NN`` (or the 8 bare digits) and check that its category exists."""
    match = _WASTE_CODE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidIdentifier(
            f"a waste code is 8 digits written NNN-NNN-NN (e.g. 841-001-01), not {text!r}", field=field
        )
    industry, sequence, category = match.groups()
    number = int(category)
    if number not in HW_CATEGORIES:
        raise InvalidIdentifier(
            f"waste code {text!r} names category HW{category}, which does not exist (HW01–HW40 and HW45–HW50)",
            field=field,
        )
    return WasteCode(industry, sequence, number)


# --- container codes ----------------------------------------------------------------------------------------

#: The segments of the 37-character container code (HJ 1276-2022 数字识别码; the split is ✖ in DOMAIN.md):
#: unit (USCC), waste code digits, packing date YYYYMMDD, sequence. Change lengths here and nowhere else.
CONTAINER_CODE_SEGMENTS: tuple[tuple[str, int], ...] = (
    ("unit", 18),
    ("waste", 8),
    ("date", 8),
    ("sequence", 3),
)
CONTAINER_CODE_LENGTH = sum(length for _, length in CONTAINER_CODE_SEGMENTS)
CONTAINER_SEQUENCE_MAX = 10 ** dict(CONTAINER_CODE_SEGMENTS)["sequence"] - 1


@dataclass(frozen=True, slots=True)
class ContainerCode:
    """A parsed container code."""

    unit: str
    waste: WasteCode
    packed_on: date
    sequence: int

    def __str__(self) -> str:
        width = dict(CONTAINER_CODE_SEGMENTS)["sequence"]
        return f"{self.unit}{self.waste.digits}{self.packed_on:%Y%m%d}{self.sequence:0{width}d}"

    @property
    def sequence_scope(self) -> str:
        """Everything but the sequence: the scope in which sequences are issued."""
        return str(self)[: CONTAINER_CODE_LENGTH - dict(CONTAINER_CODE_SEGMENTS)["sequence"]]


def split_container_code(code: str) -> dict[str, str]:
    """Cut a 37-character code into its named segments (for printing in readable groups)."""
    parts: dict[str, str] = {}
    start = 0
    for name, length in CONTAINER_CODE_SEGMENTS:
        parts[name] = code[start : start + length]
        start += length
    return parts


def format_container_code(unit: str, waste: WasteCode, packed_on: date, sequence: int) -> str:
    """Compose a container code; the sequence must fit its segment."""
    if not 1 <= sequence <= CONTAINER_SEQUENCE_MAX:
        raise InvalidIdentifier(
            f"container sequence {sequence} is outside 1..{CONTAINER_SEQUENCE_MAX}", field="sequence"
        )
    return str(ContainerCode(validate_uscc(unit, field="generator"), waste, packed_on, sequence))


def parse_container_code(text: str, *, field: str = "code") -> ContainerCode:
    """Parse and check a container code: length, unit USCC, waste category, a real date, a sequence ≥ 1."""
    if not isinstance(text, str):
        raise InvalidIdentifier("a container code must be a string", field=field)
    code = text.strip().upper()
    if len(code) != CONTAINER_CODE_LENGTH:
        raise InvalidIdentifier(
            f"a container code has {CONTAINER_CODE_LENGTH} characters"
            f" ({' + '.join(f'{n} {length}' for n, length in CONTAINER_CODE_SEGMENTS)}), {code[:60]!r} has {len(code)}",
            field=field,
        )
    parts = split_container_code(code)
    try:
        unit = validate_uscc(parts["unit"], field=field)
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(f"container code {code!r}: unit segment: {exc.message}", field=field) from None
    waste = parse_waste_code(parts["waste"], field=field)
    if not parts["date"].isdigit():
        raise InvalidIdentifier(f"container code {code!r}: date segment {parts['date']!r} is not YYYYMMDD", field=field)
    try:
        packed_on = date(int(parts["date"][:4]), int(parts["date"][4:6]), int(parts["date"][6:]))
    except ValueError:
        raise InvalidIdentifier(
            f"container code {code!r}: date segment {parts['date']!r} is not a calendar date", field=field
        ) from None
    if not parts["sequence"].isdigit() or int(parts["sequence"]) == 0:
        raise InvalidIdentifier(
            f"container code {code!r}: sequence segment {parts['sequence']!r} must be 001..{CONTAINER_SEQUENCE_MAX}",
            field=field,
        )
    return ContainerCode(unit, waste, packed_on, int(parts["sequence"]))


# --- transfer manifest numbers ------------------------------------------------------------------------------

MANIFEST_SERIAL_DIGITS = 6
MANIFEST_SERIAL_MAX = 10**MANIFEST_SERIAL_DIGITS - 1
_MANIFEST = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{6})$")


@dataclass(frozen=True, slots=True)
class ManifestNumber:
    """A 14-digit 转移联单 number: year, province, prefecture city, serial per city per year."""

    year: int
    province: str
    city: str
    serial: int

    def __str__(self) -> str:
        return f"{self.year:04d}{self.province}{self.city}{self.serial:0{MANIFEST_SERIAL_DIGITS}d}"

    @property
    def sequence_scope(self) -> str:
        return f"{self.year:04d}{self.province}{self.city}"


def parse_manifest_number(text: str, *, field: str = "manifest_number") -> ManifestNumber:
    """Parse and check a 14-digit manifest number."""
    match = _MANIFEST.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidIdentifier(
            f"a manifest number is 14 digits (year, province, city, 6-digit serial), not {str(text)[:40]!r}",
            field=field,
        )
    year, province, city, serial = match.groups()
    if not 2000 <= int(year) <= 2099:
        raise InvalidIdentifier(f"manifest number {text!r}: year {year} is out of range", field=field)
    if province not in PROVINCE_CODES:
        raise InvalidIdentifier(f"manifest number {text!r}: {province} is not a GB/T 2260 province", field=field)
    if int(serial) == 0:
        raise InvalidIdentifier(f"manifest number {text!r}: serial 000000 is never issued", field=field)
    return ManifestNumber(int(year), province, city, int(serial))


def manifest_city_digits(division: str) -> tuple[str, str]:
    """Province and city digits of a manifest issued in ``division``.

    For municipalities (Chongqing 50) GB/T 2260 uses 01 for districts and 02 for counties (✖ in DOMAIN.md);
    for development zones without a code of their own we use their parent's districts (01).
    """
    if not is_gb2260(division):
        return division_province(division), "01"
    return division[:2], division[2:4] if division[2:4] != "00" else "01"


# --- administrative divisions -------------------------------------------------------------------------------

#: GB/T 2260 province-level codes (first two digits).
PROVINCE_CODES: frozenset[str] = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
#: Divisions that have no GB/T 2260 code of their own (Chongqing's development zones) are keyed like
#: ``CQLJ01``: two letters of the province, two of the zone, two digits. The province comes from the prefix.
_ZONE_PROVINCES = {"CQ": "50", "SC": "51", "GZ": "52", "YN": "53", "HN": "43", "HA": "41"}
_ZONE = re.compile(r"^([A-Z]{2})[A-Z]{2}\d{2}$")


def is_gb2260(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def validate_division_code(text: str, *, field: str = "division") -> str:
    """A six-digit GB/T 2260 code with a real province, or a development-zone key like ``CQLJ01``."""
    code = text.strip().upper() if isinstance(text, str) else ""
    if is_gb2260(code):
        if code[:2] not in PROVINCE_CODES:
            raise InvalidIdentifier(f"division {code!r}: {code[:2]} is not a GB/T 2260 province", field=field)
        return code
    zone = _ZONE.match(code)
    if zone and zone.group(1) in _ZONE_PROVINCES:
        return code
    raise InvalidIdentifier(
        f"a division is a six-digit GB/T 2260 code (e.g. 500109) or a development-zone key (e.g. CQLJ01),"
        f" not {str(text)[:40]!r}",
        field=field,
    )


def division_province(code: str) -> str:
    """The two-digit province of a division code."""
    code = validate_division_code(code)
    if is_gb2260(code):
        return code[:2]
    return _ZONE_PROVINCES[code[:2]]


# --- what a scanner reads -----------------------------------------------------------------------------------

#: Label QR codes carry ``<public base URL>/v/<code>``; manifests ``<base>/m/<number>?h=<hash>``.
LABEL_PATH = "v"
MANIFEST_PATH = "m"
MAX_SCANNED_TEXT = 512


def container_code_from_scan(text: str, *, field: str = "text") -> ContainerCode:
    """The container code in what a scanner read: the bare 37 characters or the label's URL form."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidIdentifier("the scanned text is empty", field=field)
    if len(text) > MAX_SCANNED_TEXT:
        raise InvalidIdentifier(
            f"the scanned text is {len(text)} characters; a label holds at most {MAX_SCANNED_TEXT}", field=field
        )
    cleaned = text.strip()
    if "/" not in cleaned:
        return parse_container_code(cleaned, field=field)
    parts = [p for p in urlsplit(cleaned).path.split("/") if p]
    if len(parts) >= 2 and parts[-2] == MANIFEST_PATH:
        raise InvalidIdentifier("this is a manifest's QR code, not a container label", field=field)
    if len(parts) < 2 or parts[-2] != LABEL_PATH:
        raise InvalidIdentifier(f"the scanned URL has no /{LABEL_PATH}/<code> path: {cleaned[:80]!r}", field=field)
    return parse_container_code(parts[-1], field=field)
