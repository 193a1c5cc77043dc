"""Free text as the ledger accepts it: what is stored is what a printed manifest or a dashboard shows.

Names, addresses, drivers, routes, reasons and notes are printed on manifests and shown to regulators. Invisible
and direction-changing characters would make them show something other than what is stored (Trojan Source,
CVE-2021-42574): a bidi override turns "拒收 12 kg" round on screen, a zero-width space makes two drivers' names
differ that read the same. So those characters are refused, naming the one at fault; never silently stripped,
since a ledger records what a party said or says why it did not.

Refused everywhere: Unicode format characters (category Cf: bidi controls U+202A–U+202E, U+2066–U+2069,
U+200E, U+200F, U+061C, zero-width U+200B–U+200D, U+2060, U+FEFF, soft hyphen...), surrogates (Cs), the line
and paragraph separators U+2028 and U+2029, and control characters (Cc). :data:`Prose` (reasons, notes,
emergency measures) still takes newline, carriage return and tab; :data:`Line` takes none.

Text is not NFC-normalised: normalisation would change CJK compatibility ideographs (U+F900 block) in names into
other code points, and the ledger keeps what was given.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

#: Categories refused in any text: format characters, surrogates, line and paragraph separators, controls.
_REFUSED_CATEGORIES = frozenset({"Cf", "Cs", "Zl", "Zp", "Cc"})
#: The only controls a multi-line text may hold.
PROSE_WHITESPACE = frozenset("\n\r\t")


def describe(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; controls, which have no name in Unicode, are called control characters."""
    fallback = "control character" if unicodedata.category(ch) == "Cc" else "unnamed character"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, fallback)}"


def refused_character(text: str, *, multiline: bool) -> tuple[int, str] | None:
    """The position and character of the first character ``text`` may not hold, or None."""
    allowed = PROSE_WHITESPACE if multiline else frozenset()
    for position, ch in enumerate(text):
        if ch not in allowed and unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return position, ch
    return None


def _check(text: str, *, multiline: bool) -> str:
    found = refused_character(text, multiline=multiline)
    if found is None:
        return text
    position, ch = found
    if unicodedata.category(ch) in {"Cf", "Cs"}:
        rule = "invisible and direction-changing characters are refused"
    elif multiline:
        rule = "control characters other than newline and tab are refused"
    else:
        rule = "line breaks and control characters are refused in one line of text"
    raise ValueError(f"contains {describe(ch)} at position {position}: {rule}")


def check_line(text: str) -> str:
    """``text`` if it holds no invisible, direction-changing or control character (no line break either)."""
    return _check(text, multiline=False)


def check_prose(text: str) -> str:
    """``text`` if it holds no invisible, direction-changing or control character other than newline and tab."""
    return _check(text, multiline=True)


Line = Annotated[str, AfterValidator(check_line)]
"""One line of free text: a name, an address, a driver, a route, a label."""

Prose = Annotated[str, AfterValidator(check_prose)]
"""Free text that may run over several lines: a reason, a note, emergency measures."""
