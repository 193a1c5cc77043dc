"""Container codes and QR payloads: the text that goes into a QR code.

Reading a scan back is the ledger's job (`ledger.identifiers.container_code_from_scan`, used by the scan API);
tests/test_architecture.py checks that every payload printed here reads back through it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final
from urllib.parse import urlsplit

# The 37-character item code (数字识别码, HJ 1276-2022) as (segment, length) pairs.
# Mirrors the ledger's definition (DOMAIN.md §2, marked ✖ there: the split is not confirmed by the standard's text),
# so it lives here once; labels never hard-code 18/8/8/3 anywhere else.
CODE_SEGMENTS: Final[tuple[tuple[str, int], ...]] = (("unit", 18), ("waste", 8), ("date", 8), ("seq", 3))
CODE_LENGTH: Final[int] = sum(length for _, length in CODE_SEGMENTS)

# GB 32100-2015 alphabet: no I, O, S, V, Z.
_USCC_CHARS: Final = "0-9A-HJ-NP-RT-UW-Y"
_SEGMENT_PATTERNS: Final[dict[str, str]] = {
    "unit": f"[{_USCC_CHARS}]",
    "waste": "[0-9]",
    "date": "[0-9]",
    "seq": "[0-9]",
}
_CODE_RE: Final = re.compile(
    "".join(f"(?P<{name}>{_SEGMENT_PATTERNS[name]}{{{length}}})" for name, length in CODE_SEGMENTS)
)
_MANIFEST_NUMBER_RE: Final = re.compile(r"[0-9]{14}")
_HASH_RE: Final = re.compile(r"[0-9a-fA-F]{16,128}")

CONTAINER_PATH: Final = "v"
MANIFEST_PATH: Final = "m"


def _shown(text: str, limit: int = 60) -> str:
    """Echo user input in an error message without letting a huge or multi-line scan flood the log."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def split_code(code: str) -> tuple[str, ...]:
    """Split a container code into its segments (unit, waste, date, seq); raise ValueError if malformed."""
    check_code(code)
    parts: list[str] = []
    start = 0
    for _, length in CODE_SEGMENTS:
        parts.append(code[start : start + length])
        start += length
    return tuple(parts)


def format_code(code: str, sep: str = " ") -> str:
    """Return the code in readable groups, e.g. '91500000… 84100101 20200612 001'."""
    return sep.join(split_code(code))


def check_code(code: str) -> str:
    """Return `code` unchanged if it has the 37-character shape; raise ValueError naming what is wrong."""
    if len(code) != CODE_LENGTH:
        layout = "+".join(str(length) for _, length in CODE_SEGMENTS)
        raise ValueError(
            f"container code must have {CODE_LENGTH} characters ({layout}), got {len(code)}: {_shown(code)}"
        )
    match = _CODE_RE.fullmatch(code)
    if match is None:
        start = 0
        for name, length in CODE_SEGMENTS:
            part = code[start : start + length]
            if re.fullmatch(f"{_SEGMENT_PATTERNS[name]}{{{length}}}", part) is None:
                raise ValueError(f"container code {_shown(code)}: {name} segment {part!r} has invalid characters")
            start += length
        raise ValueError(f"container code {_shown(code)} is malformed")  # pragma: no cover - loop finds it
    packed = match["date"]
    try:
        date(int(packed[:4]), int(packed[4:6]), int(packed[6:]))
    except ValueError:
        raise ValueError(f"container code {_shown(code)}: date segment {packed!r} is not a date") from None
    return code


def _clean_base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"public base URL must be an absolute http(s) URL, got {_shown(base_url)}")
    if parts.query or parts.fragment:
        raise ValueError(f"public base URL must not carry a query or fragment, got {_shown(base_url)}")
    return base_url.rstrip("/")


def label_qr_payload(base_url: str, code: str) -> str:
    """Return the container label's QR text: `<base_url>/v/<code>`."""
    return f"{_clean_base(base_url)}/{CONTAINER_PATH}/{check_code(code)}"


def manifest_qr_payload(base_url: str, number: str, content_hash: str) -> str:
    """Return the manifest QR text: `<base_url>/m/<number>?h=<content_hash>`."""
    if _MANIFEST_NUMBER_RE.fullmatch(number) is None:
        raise ValueError(f"manifest number must be 14 digits, got {_shown(number)}")
    if _HASH_RE.fullmatch(content_hash) is None:
        raise ValueError(f"content hash must be 16-128 hex digits, got {_shown(content_hash)}")
    return f"{_clean_base(base_url)}/{MANIFEST_PATH}/{number}?h={content_hash}"
