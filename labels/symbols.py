"""Vector marks on labels: hazard-characteristic diamonds and the biohazard symbol."""

from __future__ import annotations

import math
import re
from typing import Final

from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

# Hazard characteristic code -> (Chinese name, English name), DOMAIN.md §3.
HAZARD_NAMES: Final[dict[str, tuple[str, str]]] = {
    "T": ("毒性", "Toxic"),
    "C": ("腐蚀性", "Corrosive"),
    "I": ("易燃性", "Ignitable"),
    "R": ("反应性", "Reactive"),
    "In": ("感染性", "Infectious"),
}
_SPLIT_RE: Final = re.compile(r"[\s,，、/;；]+")
PICTOGRAM_RED: Final = Color(0.85, 0.0, 0.0)


def hazard_codes(hazard: str) -> tuple[str, ...]:
    """Split a hazard string ("T,C", "T/C/I/R", "In") into codes, de-duplicated, in the given order."""
    codes: list[str] = []
    for part in _SPLIT_RE.split(hazard.strip()):
        if not part:
            continue
        canonical = next((known for known in HAZARD_NAMES if known.lower() == part.lower()), part)
        if canonical not in codes:
            codes.append(canonical)
    return tuple(codes)


def hazard_text(hazard: str) -> str:
    """Human-readable hazard line, e.g. 'T 毒性, C 腐蚀性'."""
    parts = []
    for code in hazard_codes(hazard):
        name = HAZARD_NAMES.get(code)
        parts.append(f"{code} {name[0]}" if name else code)
    return ", ".join(parts) if parts else hazard


def draw_biohazard(canvas: Canvas, cx: float, cy: float, diameter: float, background: Color) -> None:
    """Draw the biohazard symbol (black on `background`) centred at (cx, cy)."""
    # After the 1966 Dow Chemical construction: three crescents cut from circles of radius 15 (centres 11 out) by
    # circles of radius 10.5 further out, a central hole, and a ring seen through the crescents' hollows.
    # Painted in layers on the solid background instead of computing the outline.
    u = diameter / 2 / 26.0
    angles = [math.radians(a) for a in (90, 210, 330)]

    def at(angle: float, distance: float) -> tuple[float, float]:
        return cx + distance * u * math.cos(angle), cy + distance * u * math.sin(angle)

    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    for angle in angles:
        canvas.circle(*at(angle, 11), 15 * u, stroke=0, fill=1)
    canvas.setFillColor(background)
    for angle in angles:
        canvas.circle(*at(angle, 15.6), 10.5 * u, stroke=0, fill=1)
    canvas.circle(cx, cy, 3 * u, stroke=0, fill=1)
    canvas.setStrokeColor(background)
    canvas.setLineWidth(1.1 * u)
    for angle in angles:
        gap = angle + math.pi  # the slits between lobes run opposite each lobe
        canvas.line(cx, cy, *at(gap, 8.5))
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(3.2 * u)
    for angle in angles:
        canvas.saveState()
        hollow = canvas.beginPath()
        hollow.circle(*at(angle, 15.6), 9.4 * u)
        canvas.clipPath(hollow, stroke=0, fill=0)
        canvas.circle(cx, cy, 12.6 * u, stroke=1, fill=0)
        canvas.restoreState()
    canvas.restoreState()


def draw_pictogram(
    canvas: Canvas, code: str, cx: float, cy: float, width: float, font: str, min_size: float = 0.0
) -> None:
    """Draw a hazard diamond (white, red frame) `width` points across, with the code or the biohazard mark."""
    half = width / 2
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setStrokeColor(PICTOGRAM_RED)
    canvas.setLineWidth(width * 0.07)
    canvas.setLineJoin(1)
    path = canvas.beginPath()
    path.moveTo(cx, cy + half)
    path.lineTo(cx + half, cy)
    path.lineTo(cx, cy - half)
    path.lineTo(cx - half, cy)
    path.close()
    canvas.drawPath(path, stroke=1, fill=1)
    if code == "In":
        draw_biohazard(canvas, cx, cy, width * 0.5, Color(1, 1, 1))
    else:
        canvas.setFillColorRGB(0, 0, 0)
        # The letters count as label text: never below the label's minimum text size.
        size = max(width * (0.36 if len(code) <= 1 else 0.26), min_size)
        canvas.setFont(font, size)
        canvas.drawCentredString(cx, cy - size * 0.36, code)
    canvas.restoreState()
