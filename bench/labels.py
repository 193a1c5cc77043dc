"""Label and manifest rendering speed, each figure against a baseline measured in the same run.

    python -m bench.labels [--labels 1000] [--rows 500] [--repeat 3]

Targets (checked here, never in tests): a 1,000-label sheet at least 5x faster than the same sheet with reportlab's
QrCodeWidget; a 500-container manifest within 1.5x of a bare platypus table of the same rows.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import qrcode
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from labels.codes import label_qr_payload
from labels.container import render_label_sheet
from labels.examples import BASE_URL, HOSPITAL_USCC, container_code, example_label, example_manifest
from labels.fonts import cjk_font
from labels.manifest import CONTAINER_HEADER, CONTAINER_WIDTHS, PAGE_MARGIN, container_rows, render_manifest
from labels.models import ContainerLabel
from labels.qr import LABEL_EC, draw_qr, qr_matrix

SHEET_TARGET = 5.0
MANIFEST_TARGET = 1.5


def _best(repeat: int, run: Callable[[], Any]) -> float:
    """Best wall time of `repeat` runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _machine() -> str:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def _labels(n: int) -> list[ContainerLabel]:
    out = []
    for i in range(n):
        base = example_label(medical=i % 2 == 0)
        packed = date(2020, 6, 12) + timedelta(days=i // 999)
        code = container_code(base.code[:18], base.waste_code, packed, i % 999 + 1)
        out.append(replace(base, code=code))
    return out


def _widget_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    widget = QrCodeWidget(payload, barLevel=LABEL_EC, barBorder=4)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


def _fixed_mask_qr(canvas: Canvas, payload: str, x: float, y: float, side: float) -> None:
    draw_qr(canvas, qr_matrix(payload, LABEL_EC, mask=0), x, y, side)


def _bare_table(rows: list[tuple[str, ...]], font: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=PAGE_MARGIN, rightMargin=PAGE_MARGIN, invariant=True, pageCompression=1
    )
    table = Table([CONTAINER_HEADER, *rows], colWidths=CONTAINER_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 7.5, 9)]))
    doc.build([table])
    return buffer.getvalue()


def _qr_rates(n: int) -> dict[str, float]:
    payloads = [
        label_qr_payload(BASE_URL, container_code(HOSPITAL_USCC, "841-001-01", date(2020, 6, 12), i % 999 + 1))
        for i in range(n)
    ]

    def qrcode_make(mask: int | None) -> None:
        for payload in payloads:
            qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_Q, border=0, mask_pattern=mask)
            qr.add_data(payload)
            qr.make()

    def ours(mask: int | None) -> None:
        for payload in payloads:
            qr_matrix(payload, LABEL_EC, mask=mask)

    return {
        "qr_qrcode_auto_per_s": n / _best(1, lambda: qrcode_make(None)),
        "qr_qrcode_fixed_per_s": n / _best(1, lambda: qrcode_make(0)),
        "qr_ours_auto_per_s": n / _best(1, lambda: ours(None)),
        "qr_ours_fixed_per_s": n / _best(1, lambda: ours(0)),
    }


def run(labels: int = 1000, rows: int = 500, repeat: int = 3, qr_payloads: int = 300) -> dict[str, Any]:
    """Run every measurement; return the figures (rates per second, times in seconds, ratios)."""
    font = cjk_font()
    sheet = _labels(labels)
    render_label_sheet(sheet[:4], BASE_URL)  # warm up: font subsetting tables, per-version QR geometry
    ours = _best(repeat, lambda: render_label_sheet(sheet, BASE_URL))
    fixed = _best(repeat, lambda: render_label_sheet(sheet, BASE_URL, qr=_fixed_mask_qr))
    widget = _best(1, lambda: render_label_sheet(sheet, BASE_URL, qr=_widget_qr))

    doc = example_manifest(rows)
    printed = container_rows(doc)
    render_manifest(doc, BASE_URL)
    manifest = _best(repeat, lambda: render_manifest(doc, BASE_URL))
    bare = _best(repeat, lambda: _bare_table(printed, font.name))

    figures: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": _machine(),
        "font": str(font.path or font.name),
        "labels": labels,
        "sheet_s": ours,
        "sheet_labels_per_s": labels / ours,
        "sheet_fixed_mask_s": fixed,
        "sheet_widget_s": widget,
        "sheet_speedup_vs_widget": widget / ours,
        "rows": rows,
        "manifest_s": manifest,
        "bare_table_s": bare,
        "manifest_vs_bare_table": manifest / bare,
        **_qr_rates(qr_payloads),
    }
    figures["sheet_ok"] = figures["sheet_speedup_vs_widget"] >= SHEET_TARGET
    figures["manifest_ok"] = figures["manifest_vs_bare_table"] <= MANIFEST_TARGET
    return figures


def _print(figures: dict[str, Any]) -> None:
    n, r = figures["labels"], figures["rows"]
    table = [
        (
            f"{n}-label A4 sheet, vector QR, automatic mask",
            f"{figures['sheet_s']:.2f} s",
            f"{figures['sheet_labels_per_s']:.0f} labels/s",
        ),
        (
            f"{n}-label A4 sheet, vector QR, fixed mask 0",
            f"{figures['sheet_fixed_mask_s']:.2f} s",
            f"{n / figures['sheet_fixed_mask_s']:.0f} labels/s",
        ),
        (
            f"{n}-label A4 sheet, reportlab QrCodeWidget",
            f"{figures['sheet_widget_s']:.2f} s",
            f"{n / figures['sheet_widget_s']:.0f} labels/s",
        ),
        (
            "  speed-up vs widget (target >= 5x)",
            f"{figures['sheet_speedup_vs_widget']:.1f}x",
            "ok" if figures["sheet_ok"] else "MISSED",
        ),
        (f"{r}-container manifest", f"{figures['manifest_s']:.3f} s", ""),
        (f"bare platypus table, {r} rows", f"{figures['bare_table_s']:.3f} s", ""),
        (
            "  manifest / bare table (target <= 1.5x)",
            f"{figures['manifest_vs_bare_table']:.2f}x",
            "ok" if figures["manifest_ok"] else "MISSED",
        ),
        ("QR matrix: qrcode, automatic mask", f"{figures['qr_qrcode_auto_per_s']:.0f}/s", ""),
        ("QR matrix: qrcode, fixed mask", f"{figures['qr_qrcode_fixed_per_s']:.0f}/s", ""),
        ("QR matrix: labels.qr, automatic mask (same choice)", f"{figures['qr_ours_auto_per_s']:.0f}/s", ""),
        ("QR matrix: labels.qr, fixed mask", f"{figures['qr_ours_fixed_per_s']:.0f}/s", ""),
    ]
    print(f"labels bench {figures['date']} · {figures['machine']} · font {figures['font']}")
    width = max(len(row[0]) for row in table)
    for name, value, note in table:
        print(f"{name:<{width}}  {value:>10}  {note}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry: run, print the table, return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    figures = run(args.labels, args.rows, args.repeat)
    _print(figures)
    return figures


if __name__ == "__main__":
    main()
