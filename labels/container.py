"""Container labels after HJ 1276-2022 (HJ 421 style for medical waste), single or many to a PDF."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from labels.codes import format_code, label_qr_payload
from labels.fonts import FontChoice, cjk_font
from labels.models import ContainerLabel
from labels.qr import LABEL_EC, draw_qr, qr_matrix
from labels.symbols import HAZARD_NAMES, draw_biohazard, draw_pictogram, hazard_codes
from labels.text import MM, Fitted, draw_bold, fit, fit_line, wrap

logger = logging.getLogger(__name__)

HAZARD_ORANGE: Final = Color(1.0, 150 / 255, 0.0)  # HJ 1276 label background, about RGB 255,150,0
MEDICAL_YELLOW: Final = Color(1.0, 240 / 255, 140 / 255)  # light yellow of HJ 421 bags and marks
BLACK: Final = Color(0, 0, 0)

# Minimum text height is read as the height of a Chinese character. WenQuanYi Zen Hei's CJK glyphs fill ~93 % of
# the em, so the em is set 8 % above the minimum and the printed ink, not just the nominal size, meets it.
TEXT_EM_FACTOR: Final = 1.08
# Body text starts this much above the minimum and shrinks to it only when the fields would not fit.
PREFERRED_TEXT_FACTOR: Final = 1.12
LINE_PITCH: Final = 1.15  # baseline-to-baseline distance in ems


@dataclass(frozen=True, slots=True)
class LabelSize:
    """A label size of HJ 1276-2022: square side and minimum text height, both in mm."""

    side_mm: int
    min_text_mm: float

    @property
    def side(self) -> float:
        """Side in points."""
        return self.side_mm * MM

    @property
    def min_em(self) -> float:
        """Smallest font size (points) this size allows."""
        return self.min_text_mm * MM * TEXT_EM_FACTOR


SMALL: Final = LabelSize(100, 3.0)
MEDIUM: Final = LabelSize(150, 5.0)
LARGE: Final = LabelSize(200, 6.0)
SMALL_MAX_L: Final = Decimal(50)  # containers up to this volume get the small label
LARGE_MIN_L: Final = Decimal(450)  # containers from this volume up get the large label


def label_size_for_volume(volume_l: Decimal) -> LabelSize:
    """Return the label size for a container volume: ≤50 L 100 mm, 50-450 L 150 mm, ≥450 L 200 mm."""
    if volume_l <= SMALL_MAX_L:
        return SMALL
    if volume_l < LARGE_MIN_L:
        return MEDIUM
    return LARGE


@dataclass(frozen=True, slots=True)
class DrawnLabel:
    """What drawing a label decided: its size, the smallest font used, and the fields cut short."""

    code: str
    size: LabelSize
    payload: str
    smallest_font: float
    truncated: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # printed key
    name: str  # model attribute, for reports
    value: str
    priority: int  # lower gets spare lines first


def _fields(label: ContainerLabel) -> list[_Field]:
    name = label.waste_name_zh + ("\n" + label.waste_name_en if label.waste_name_en else "")
    contact = "  ".join(part for part in (label.generator_contact, label.generator_phone) if part)
    fields = [
        _Field("废物名称", "waste_name", name, 0),
        _Field("废物类别", "category", f"{label.category} {label.category_name_zh}".strip(), 5),
        _Field("废物代码", "waste_code", label.waste_code, 9),
        _Field("废物形态", "form", label.form, 6),
        _Field("主要成分", "main_components", label.main_components, 2),
        _Field("有害成分", "hazardous_components", label.hazardous_components, 1),
        _Field("注意事项", "precautions", label.precautions, 3),
        _Field("产生单位", "generator_name", label.generator_name, 2),
        _Field("联系人", "generator_contact", contact, 7),
        _Field("产生日期", "packed_on", label.packed_on.isoformat(), 9),
        _Field("废物重量", "weight_kg", f"{label.weight_kg:f} kg", 9),
    ]
    if label.remarks.strip():
        fields.append(_Field("备注", "remarks", label.remarks, 8))
    return fields


def _allocate(needed: list[int], available: int, priorities: list[int]) -> list[int]:
    """Give every field one line, then hand out spare lines one at a time, by priority, round after round."""
    if sum(needed) <= available:
        return needed
    lines = [1] * len(needed)
    spare = available - len(needed)
    order = sorted(range(len(needed)), key=lambda i: (priorities[i], i))
    while spare > 0:
        hungry = [i for i in order if lines[i] < needed[i]]
        if not hungry:
            break
        for index in hungry[:spare]:
            lines[index] += 1
        spare -= min(spare, len(hungry))
    return lines


def draw_container_label(
    canvas: Canvas,
    label: ContainerLabel,
    base_url: str,
    x: float,
    y: float,
    *,
    size: LabelSize | None = None,
    font: FontChoice | None = None,
    background: bool = True,
    qr: Callable[[Canvas, str, float, float, float], None] | None = None,
) -> DrawnLabel:
    """Draw one label with its lower-left corner at (x, y); `background=False` for pre-printed label stock."""
    size = size or label_size_for_volume(label.volume_l)
    font_name = (font or cjk_font()).name
    payload = label_qr_payload(base_url, label.code)
    side = size.side
    k = side / SMALL.side  # the layout is drawn for 100 mm and scaled; text sizes have their own floors
    # Graphics (header, QR code, diamonds) grow slower than the label: the larger labels' text floors
    # (5 and 6 mm against 3 mm) grow faster than their side, and the fields need that room.
    g = 1 + (k - 1) * 0.6
    min_em = size.min_em
    paper = MEDICAL_YELLOW if label.medical else HAZARD_ORANGE
    truncated: list[str] = []
    smallest = math.inf

    margin = 3 * MM  # the standard's minimum on every size
    border = 1 * MM * k
    pad = 1.6 * MM
    left = x + margin + border + pad
    right = x + side - margin - border - pad
    top = y + side - margin - border - pad
    bottom = y + margin + border + pad
    width = right - left

    canvas.saveState()
    if background:
        canvas.setFillColor(paper)
        canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setStrokeColor(BLACK)
    canvas.setFillColor(BLACK)
    canvas.setLineWidth(border)
    inset = margin + border / 2
    canvas.rect(x + inset, y + inset, side - 2 * inset, side - 2 * inset, stroke=1, fill=0)

    # Header: title (and the biohazard mark for medical waste), then a rule.
    header_h = 12.5 * MM * g
    title_em = 7.2 * MM * g
    title_x = left
    if label.medical:
        mark = header_h * 0.86
        draw_biohazard(canvas, left + mark / 2, top - header_h / 2, mark, paper if background else Color(1, 1, 1))
        title_x = left + mark + 1.5 * MM * k
    title = "医疗废物" if label.medical else "危险废物"
    subtitle = "MEDICAL WASTE" if label.medical else "HAZARDOUS WASTE"
    baseline = top - header_h / 2 - title_em * 0.36
    draw_bold(canvas, title_x, baseline, title, font_name, title_em)
    sub_x = title_x + stringWidth(title, font_name, title_em) + 2 * MM * k
    sub = fit_line(subtitle, font_name, right - sub_x, min_em * 1.15, min_em)
    smallest = min(smallest, sub.size)
    canvas.setFont(font_name, sub.size)
    canvas.drawString(sub_x, baseline, sub.lines[0])
    rule_y = top - header_h
    canvas.setLineWidth(0.4 * MM * k)
    canvas.line(left, rule_y, right, rule_y)

    # Digital ID at the bottom, full width: key line, then the code in its groups.
    id_text = format_code(label.code)
    id_fit = fit_line(id_text, font_name, width, min_em * 1.3, min_em)
    if id_fit.truncated:  # never print a partial code: this would be a layout bug
        raise ValueError(f"container code {label.code} does not fit a {size.side_mm} mm label")
    smallest = min(smallest, id_fit.size)
    id_base = bottom + id_fit.size * 0.2
    canvas.setFont(font_name, id_fit.size)
    canvas.drawString(left, id_base, id_fit.lines[0])
    key_base = id_base + id_fit.size * LINE_PITCH
    draw_bold(canvas, left, key_base, "数字识别码", font_name, min_em)
    canvas.setFont(font_name, min_em)
    canvas.drawString(left + stringWidth("数字识别码 ", font_name, min_em), key_base, "Digital ID")
    id_rule = key_base + min_em * 1.05
    canvas.setLineWidth(0.25 * MM * k)
    canvas.line(left, id_rule, right, id_rule)

    # Right column: hazard diamonds above the QR code.
    body_top = rule_y - 1.2 * MM * k
    body_bottom = id_rule + 1.2 * MM * k
    column = 29 * MM * g
    qr_side = column
    qr_x = right - column
    if qr is None:
        draw_qr(canvas, qr_matrix(payload, LABEL_EC), qr_x, body_bottom, qr_side)
    else:
        qr(canvas, payload, qr_x, body_bottom, qr_side)
    codes = hazard_codes(label.hazard)
    if codes:
        rows = math.ceil(len(codes) / 2)
        area_top = body_top
        area_h = body_top - (body_bottom + qr_side + 1 * MM * k)
        name_h = min_em * 1.15
        cell_h = area_h / rows
        diamond = min(column / 2 - 1 * MM * k, cell_h - name_h - 0.6 * MM * k)
        for index, code in enumerate(codes):
            row, col = divmod(index, 2)
            per_row = min(2, len(codes) - row * 2)
            cell_w = column / 2
            cx = qr_x + column / 2 + (col - (per_row - 1) / 2) * cell_w
            cy = area_top - row * cell_h - diamond / 2 - 0.3 * MM * k
            draw_pictogram(canvas, code, cx, cy, diamond, font_name, min_em)
            name = HAZARD_NAMES.get(code, (code, code))[0]
            name_fit = fit_line(name, font_name, cell_w, min_em, min_em)
            canvas.setFont(font_name, name_fit.size)
            canvas.drawCentredString(cx, cy - diamond / 2 - min_em * 0.95, name_fit.lines[0])

    # Left column: the fields, keys in bold, values wrapped beside them.
    text_right = qr_x - 2 * MM * k
    fields = _fields(label)
    body_h = body_top - body_bottom
    layout: list[Fitted] = []
    body_em = key_w = 0.0
    for em in (min_em * PREFERRED_TEXT_FACTOR, min_em):
        body_em = em
        key_w = max(stringWidth(f.key, font_name, em) for f in fields) + 0.5 * em
        value_w = text_right - left - key_w
        available = int((body_h - em * 0.3) // (em * LINE_PITCH))
        needed = [len(wrap(f.value, font_name, em, value_w)) for f in fields]
        if sum(needed) <= available or em == min_em:
            lines = _allocate(needed, available, [f.priority for f in fields])
            layout = [fit(f.value, font_name, value_w, n, em, em) for f, n in zip(fields, lines, strict=True)]
            break
    smallest = min(smallest, body_em)
    pitch = body_em * LINE_PITCH
    baseline = body_top - body_em * 0.95
    for field_, fitted in zip(fields, layout, strict=True):
        draw_bold(canvas, left, baseline, field_.key, font_name, body_em)
        canvas.setFont(font_name, body_em)
        for line in fitted.lines:
            canvas.drawString(left + key_w, baseline, line)
            baseline -= pitch
        if fitted.truncated:
            truncated.append(field_.name)
    canvas.restoreState()
    if truncated:
        logger.warning("label %s: %s cut short to fit %d mm", label.code, ", ".join(truncated), size.side_mm)
    return DrawnLabel(label.code, size, payload, smallest, tuple(truncated))


SheetKind = Literal["a4", "thermal"]
SHEET_GAP_MM: Final = 4.0  # space between labels on A4, for cutting
THERMAL: Final = SMALL  # 100 x 100 mm roll


def _new_canvas(buffer: io.BytesIO, pagesize: tuple[float, float], title: str) -> Canvas:
    # invariant: no timestamps or random ids, so the same labels give the same bytes.
    canvas = Canvas(buffer, pagesize=pagesize, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("wasteledger labels")
    return canvas


def _a4_slots(size: LabelSize) -> list[tuple[float, float]]:
    """Lower-left corners of the labels on an A4 page, row by row from the top, centred."""
    gap = SHEET_GAP_MM * MM
    page_w, page_h = A4
    cols = max(1, int((page_w + gap) // (size.side + gap)))
    rows = max(1, int((page_h + gap) // (size.side + gap)))
    x0 = (page_w - cols * size.side - (cols - 1) * gap) / 2
    y_top = (page_h + rows * size.side + (rows - 1) * gap) / 2
    return [
        (x0 + c * (size.side + gap), y_top - (r + 1) * size.side - r * gap) for r in range(rows) for c in range(cols)
    ]


def render_label_sheet(
    labels: Sequence[ContainerLabel],
    base_url: str,
    *,
    sheet: SheetKind = "a4",
    font: FontChoice | None = None,
    background: bool = True,
    qr: Callable[[Canvas, str, float, float, float], None] | None = None,
) -> bytes:
    """Render labels in the given order: A4 pages (2x2 of 100 mm, one 150/200 mm) or a 100 mm thermal roll.

    `qr` replaces the QR drawer (the benchmark passes reportlab's QrCodeWidget through it).
    """
    if not labels:
        raise ValueError("no labels to render")
    font = font or cjk_font()
    buffer = io.BytesIO()
    if sheet == "thermal":
        canvas = _new_canvas(buffer, (THERMAL.side, THERMAL.side), "container labels")
        for index, label in enumerate(labels):
            size = label_size_for_volume(label.volume_l)
            if size.side_mm > THERMAL.side_mm:
                raise ValueError(
                    f"label {index} ({label.code}) needs {size.side_mm} mm for a {label.volume_l} L container; "
                    f"the thermal roll is {THERMAL.side_mm} mm: print it on A4"
                )
            if index:
                canvas.showPage()
            draw_container_label(canvas, label, base_url, 0, 0, size=size, font=font, background=background, qr=qr)
        canvas.save()
        return buffer.getvalue()
    if sheet != "a4":
        raise ValueError(f"unknown sheet {sheet!r}: use 'a4' or 'thermal'")
    canvas = _new_canvas(buffer, A4, "container labels")
    slots: list[tuple[float, float]] = []
    page_size: LabelSize | None = None
    used = 0
    for label in labels:
        size = label_size_for_volume(label.volume_l)
        # A page holds one label size; a different size or a full page starts a new one, keeping the order.
        if size != page_size or used == len(slots):
            if page_size is not None:
                canvas.showPage()
            page_size, slots, used = size, _a4_slots(size), 0
        sx, sy = slots[used]
        draw_container_label(canvas, label, base_url, sx, sy, size=size, font=font, background=background, qr=qr)
        used += 1
    canvas.save()
    return buffer.getvalue()


def render_label(
    label: ContainerLabel, base_url: str, *, font: FontChoice | None = None, background: bool = True
) -> bytes:
    """Render one label on a page of its own size (100, 150 or 200 mm square)."""
    size = label_size_for_volume(label.volume_l)
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, (size.side, size.side), f"label {label.code}")
    draw_container_label(canvas, label, base_url, 0, 0, size=size, font=font, background=background)
    canvas.save()
    return buffer.getvalue()
