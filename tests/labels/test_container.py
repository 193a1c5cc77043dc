"""Container labels: size by volume, minimum text, colours, long text, the printed ID, and QR codes that scan."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from labels.codes import format_code, label_qr_payload
from labels.container import (
    LARGE,
    MEDIUM,
    SMALL,
    LabelSize,
    draw_container_label,
    label_size_for_volume,
    render_label,
    render_label_sheet,
)
from labels.examples import HOSPITAL_USCC, container_code, example_label
from labels.fonts import FontChoice
from labels.models import ContainerLabel
from labels.text import MM
from tests.labels.pdfimage import one_bit, page_rgb, pages, qr_codes, text

ORANGE = (255, 150, 0)
LIGHT_YELLOW = (255, 240, 140)


def _labels(n: int, *, sizes: tuple[Decimal, ...] = (Decimal(20),)) -> list[ContainerLabel]:
    out = []
    for i in range(n):
        label = example_label(i + 1, medical=i % 3 != 2, volume_l=sizes[i % len(sizes)])
        out.append(replace(label, code=container_code(label.code[:18], label.waste_code, date(2020, 6, 12), i + 1)))
    return out


@pytest.mark.parametrize(
    ("volume", "size"),
    [
        ("0.5", SMALL),
        ("50", SMALL),
        ("50.01", MEDIUM),
        ("240", MEDIUM),
        ("449.99", MEDIUM),
        ("450", LARGE),
        ("1000", LARGE),
    ],
)
def test_size_follows_volume(volume: str, size: LabelSize, base_url: str) -> None:
    label = example_label(volume_l=Decimal(volume))
    assert label_size_for_volume(label.volume_l) == size
    reader = PdfReader(io.BytesIO(render_label(label, base_url)))
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(size.side_mm * MM)


def test_size_table_matches_hj_1276() -> None:
    assert [(s.side_mm, s.min_text_mm) for s in (SMALL, MEDIUM, LARGE)] == [(100, 3.0), (150, 5.0), (200, 6.0)]


def _font_sizes(pdf: bytes) -> list[float]:
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents()
    assert content is not None
    # Helvetica (/F1) is reportlab's initial page font, set but never drawn with.
    return [
        float(size)
        for name, size in re.findall(r"/(\S+) ([\d.]+) Tf", content.get_data().decode("latin-1"))
        if name != "F1"
    ]


@pytest.mark.parametrize("volume", [Decimal(20), Decimal(200), Decimal(800)])
@pytest.mark.parametrize("long_text", [False, True])
def test_no_text_below_the_minimum_height(volume: Decimal, long_text: bool, base_url: str) -> None:
    label = example_label(volume_l=volume, long_text=long_text)
    size = label_size_for_volume(volume)
    sizes = _font_sizes(render_label(label, base_url))
    assert sizes
    assert min(sizes) >= size.min_text_mm * MM  # the em is at least the minimum height (it is 8 % above)
    canvas = Canvas(io.BytesIO(), pagesize=(size.side, size.side))
    drawn = draw_container_label(canvas, label, base_url, 0, 0)
    assert drawn.smallest_font >= size.min_em
    assert bool(drawn.truncated) == long_text


def _char_boxes(pdf: bytes) -> list[tuple[str, tuple[float, float, float, float]]]:
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0].get_textpage()
        chars = page.get_text_range()
        return [(chars[i], page.get_charbox(i)) for i in range(page.count_chars()) if not chars[i].isspace()]
    finally:
        doc.close()


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float], slack: float) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


@pytest.mark.parametrize("volume", [Decimal(20), Decimal(200), Decimal(800)])
@pytest.mark.parametrize("medical", [True, False])
def test_long_text_wraps_and_truncates_inside_the_border(
    volume: Decimal, medical: bool, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    label = example_label(medical=medical, volume_l=volume, long_text=True)
    size = label_size_for_volume(volume)
    pdf = render_label(label, base_url)
    assert "cut short" in caplog.text
    page_text = text(pdf)[0]
    assert "…" in page_text
    assert label.waste_name_zh[:8] in page_text  # the start of a long name survives
    boxes = _char_boxes(pdf)
    edge = (3 + size.side_mm / 100) * MM  # inside the border
    inner = (edge, size.side - edge)
    for ch, (left, bottom, right, top) in boxes:
        assert inner[0] <= left and right <= inner[1] and inner[0] <= bottom and top <= inner[1], ch
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            assert not _overlap(box_a, box_b, 0.3), (a, b)
    image = pages(pdf, 150)[0]
    ((payload, _),) = qr_codes(image)
    assert payload == label_qr_payload(base_url, label.code)
    # No character lies on the QR symbol (found by the decoder, in pixels, y down).
    decoded = __import__("zxingcpp").read_barcodes(image)[0].position
    xs = [p.x * 72 / 150 for p in (decoded.top_left, decoded.top_right, decoded.bottom_left, decoded.bottom_right)]
    ys = [
        size.side - p.y * 72 / 150
        for p in (decoded.top_left, decoded.top_right, decoded.bottom_left, decoded.bottom_right)
    ]
    qr_box = (min(xs), min(ys), max(xs), max(ys))
    assert not any(_overlap(box, qr_box, 0) for _, box in boxes)


def test_text_layer_has_the_fields_and_the_grouped_id(base_url: str) -> None:
    label = example_label()
    page_text = text(render_label(label, base_url))[0]
    for expected in (
        "医疗废物",
        "感染性废物",
        "Infectious waste",
        "HW01",
        "841-001-01",
        "重庆市渝中区示例人民医院",
        "张医生",
        "2020-06-12",
        "4.35 kg",
        "数字识别码",
        format_code(label.code),
        "感染科三病区",
    ):
        assert expected in page_text, expected
    assert "MEDICAL WASTE" in page_text and "HAZARDOUS WASTE" not in page_text
    hazardous = text(render_label(example_label(medical=False), base_url))[0]
    assert "HAZARDOUS WASTE" in hazardous
    assert "危险废物" in hazardous and "废铅蓄电池" in hazardous and "毒性" in hazardous and "腐蚀性" in hazardous
    assert "医疗废物" not in hazardous


def _pixel(image: object, x_mm: float, y_mm: float, dpi: float) -> tuple[int, int, int]:
    return image.getpixel((round(x_mm / 25.4 * dpi), round(y_mm / 25.4 * dpi)))  # type: ignore[attr-defined, no-any-return]


def _near(pixel: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


@pytest.mark.parametrize(("medical", "paper"), [(False, ORANGE), (True, LIGHT_YELLOW)])
@pytest.mark.parametrize("volume", [Decimal(20), Decimal(800)])
def test_background_and_border_colours(
    medical: bool, paper: tuple[int, int, int], volume: Decimal, base_url: str
) -> None:
    label = example_label(medical=medical, volume_l=volume)
    k = label_size_for_volume(volume).side_mm / 100
    image = page_rgb(render_label(label, base_url), 100)
    side = 100 * k
    # margin 3 mm on every size, then a black border of 1 mm per 100 mm of label, then padding
    inside, on_border = 3 + k + 0.8, 3 + k / 2
    for x, y in ((1.5, 1.5), (side - 1.5, side / 2), (side / 2, side - 1.5), (inside, side * 0.4)):
        assert _near(_pixel(image, x, y, 100), paper), (x, y)
    for x, y in ((on_border, side / 2), (side / 2, on_border), (side - on_border, side / 3)):
        assert _near(_pixel(image, x, y, 100), (0, 0, 0), 40), (x, y)
    plain = page_rgb(render_label(label, base_url, background=False), 100)
    assert _near(_pixel(plain, 1.5, 1.5, 100), (255, 255, 255))


def test_a4_sheet_of_24_every_label_scans_in_order(base_url: str) -> None:
    labels = _labels(24)
    pdf = render_label_sheet(labels, base_url)
    images = pages(pdf, 150)
    assert len(images) == 6  # 2 x 2 labels of 100 mm per A4 page
    decoded = [payload for image in images for payload, _ in qr_codes(image)]
    assert decoded == [label_qr_payload(base_url, label.code) for label in labels]
    words = "\n".join(text(pdf))
    assert all(format_code(label.code) in words for label in labels)


def test_a4_sheet_keeps_order_across_sizes(base_url: str) -> None:
    labels = _labels(
        7, sizes=(Decimal(20), Decimal(20), Decimal(200), Decimal(20), Decimal(800), Decimal(20), Decimal(20))
    )
    pdf = render_label_sheet(labels, base_url)
    images = pages(pdf, 110)
    per_page = [[payload for payload, _ in qr_codes(image)] for image in images]
    expected = [label_qr_payload(base_url, label.code) for label in labels]
    assert [p for page in per_page for p in page] == expected
    assert [len(page) for page in per_page] == [2, 1, 1, 1, 2]


def test_thermal_roll_one_label_per_page_scans_at_203_dpi_also_in_one_bit(base_url: str) -> None:
    labels = _labels(3)
    pdf = render_label_sheet(labels, base_url, sheet="thermal")
    reader = PdfReader(io.BytesIO(pdf))
    assert [(round(float(p.mediabox.width) / MM), round(float(p.mediabox.height) / MM)) for p in reader.pages] == [
        (100, 100)
    ] * 3
    for label, image in zip(labels, pages(pdf, 203), strict=True):
        expected = [label_qr_payload(base_url, label.code)]
        assert [payload for payload, _ in qr_codes(image)] == expected
        assert [payload for payload, _ in qr_codes(one_bit(image))] == expected


def test_thermal_refuses_a_label_larger_than_the_roll(base_url: str) -> None:
    with pytest.raises(ValueError, match=r"needs 150 mm .* print it on A4"):
        render_label_sheet(_labels(2, sizes=(Decimal(20), Decimal(120))), base_url, sheet="thermal")


def test_unknown_sheet_and_empty_input_are_refused(base_url: str) -> None:
    with pytest.raises(ValueError, match="no labels"):
        render_label_sheet([], base_url)
    with pytest.raises(ValueError, match="unknown sheet"):
        render_label_sheet(_labels(1), base_url, sheet="letter")  # type: ignore[arg-type]


def test_same_labels_give_the_same_bytes(base_url: str, font: FontChoice) -> None:
    labels = _labels(3)
    assert render_label_sheet(labels, base_url, font=font) == render_label_sheet(labels, base_url, font=font)


def test_model_rejects_what_would_print_wrong() -> None:
    label = example_label()
    with pytest.raises(ValueError, match="37 characters"):
        replace(label, code=label.code[:-1])
    with pytest.raises(ValueError, match="weight"):
        replace(label, weight_kg=Decimal(-1))
    with pytest.raises(ValueError, match="volume"):
        replace(label, volume_l=Decimal(0))
    assert container_code(HOSPITAL_USCC, "841-001-01", date(2020, 6, 12), 1).endswith("8410010120200612001")
