"""Line breaking for mixed Chinese/Latin text in a fixed box: shrink to a floor, then wrap, then truncate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

MM: Final = 72 / 25.4  # points per millimetre
ELLIPSIS: Final = "…"

# A CJK character may break on either side; Latin words break at spaces (or anywhere if one is wider than a line).
_CJK: Final = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_TOKEN_RE: Final = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
# Kinsoku: these never start a line, so they stay glued to the token before them.
_NO_LINE_START: Final = frozenset("，。、；：！？）》」』】〕,.;:!?)]}%…·")
_NO_LINE_END: Final = frozenset("（《「『【〔([{")


@dataclass(frozen=True, slots=True)
class Fitted:
    """Text laid out for a box: font size in points, the lines, and whether anything was cut off."""

    size: float
    lines: tuple[str, ...]
    truncated: bool


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    glue_next = False
    for tok in _TOKEN_RE.findall(text):
        if tokens and not tok.isspace() and (glue_next or tok[0] in _NO_LINE_START) and not tokens[-1].isspace():
            tokens[-1] += tok
        else:
            tokens.append(tok)
        glue_next = not tok.isspace() and tok[-1] in _NO_LINE_END
    return tokens


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` points; explicit newlines are kept."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lines.extend(_wrap_paragraph(paragraph, font, size, width))
    return lines


def _wrap_paragraph(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    current_width = 0.0
    for tok in _tokens(text.strip()):
        if tok.isspace():
            if current:
                tok = " "
            else:
                continue
        tok_width = stringWidth(tok, font, size)
        if current_width + tok_width <= width:
            current += tok
            current_width += tok_width
            continue
        if tok == " ":
            lines.append(current)
            current, current_width = "", 0.0
            continue
        if current:
            lines.append(current.rstrip())
        if tok_width <= width:
            current, current_width = tok, tok_width
            continue
        # A word longer than the line (a long code or URL): break it between characters.
        current, current_width = "", 0.0
        for ch in tok:
            ch_width = stringWidth(ch, font, size)
            if current and current_width + ch_width > width:
                lines.append(current)
                current, current_width = "", 0.0
            current += ch
            current_width += ch_width
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def truncate(line: str, font: str, size: float, width: float) -> str:
    """Cut `line` so that it plus an ellipsis fits `width` points."""
    text = line.rstrip()
    while text and stringWidth(text + ELLIPSIS, font, size) > width:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


def fit(text: str, font: str, width: float, max_lines: int, size: float, min_size: float) -> Fitted:
    """Lay out `text` in at most `max_lines` lines: shrink from `size` toward `min_size`, then truncate."""
    step = 0.25
    current = size
    while True:
        lines = wrap(text, font, current, width)
        if len(lines) <= max_lines:
            return Fitted(current, tuple(lines), truncated=False)
        if current - step < min_size:
            break
        current -= step
    current = min_size
    lines = wrap(text, font, current, width)
    kept = lines[:max_lines]
    kept[-1] = truncate(kept[-1], font, current, width)
    return Fitted(current, tuple(kept), truncated=True)


def fit_line(text: str, font: str, width: float, size: float, min_size: float) -> Fitted:
    """Fit `text` on one line: shrink toward `min_size`, then truncate with an ellipsis."""
    return fit(" ".join(text.split()), font, width, 1, size, min_size)


def draw_bold(canvas: Canvas, x: float, y: float, text: str, font: str, size: float) -> None:
    """Draw text with a stroked outline: the embedded CJK fonts have no bold face."""
    canvas.saveState()
    canvas.setLineWidth(size * 0.035)
    text_object = canvas.beginText(x, y)
    text_object.setFont(font, size)
    text_object.setTextRenderMode(2)
    text_object.textOut(text)
    canvas.drawText(text_object)
    canvas.restoreState()
