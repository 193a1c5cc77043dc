"""Regenerate the sample PDFs in docs/samples/ and their PNG renders in docs/img/.

    .venv/bin/python scripts/samples.py [--base-url https://wl.cq.example.cn]

Every record is fictional (labels.examples). Output is deterministic for a given font, so unchanged samples
produce no diff.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable as a plain script from anywhere

from labels import cjk_font, render_label, render_label_sheet, render_manifest  # noqa: E402
from labels.examples import BASE_URL, container_code, example_label, example_manifest  # noqa: E402

SAMPLES = ROOT / "docs" / "samples"
IMAGES = ROOT / "docs" / "img"
MANIFEST_CONTAINERS = 60  # three A4 pages with the example parties


def _png(pdf: bytes, path: Path, dpi: float, page: int = 0) -> None:
    doc = pdfium.PdfDocument(pdf)
    try:
        # A 64-colour palette keeps anti-aliased text smooth at a third of the size of full RGB.
        doc[page].render(scale=dpi / 72).to_pil().convert("RGB").quantize(colors=64).save(path, optimize=True)
    finally:
        doc.close()


def main(argv: list[str] | None = None) -> None:
    """Write the samples and print what was written."""
    parser = argparse.ArgumentParser(description="Regenerate docs/samples and docs/img.")
    parser.add_argument("--base-url", default=BASE_URL)
    args = parser.parse_args(argv)
    base = args.base_url
    font = cjk_font()
    SAMPLES.mkdir(parents=True, exist_ok=True)
    IMAGES.mkdir(parents=True, exist_ok=True)

    hazardous = render_label(example_label(medical=False), base, font=font)
    medical = render_label(example_label(), base, font=font)
    sheet_labels = []
    for i in range(4):
        label = example_label(i + 1, medical=i % 2 == 0)
        sheet_labels.append(
            replace(label, code=container_code(label.code[:18], label.waste_code, date(2020, 6, 12), i + 1))
        )
    sheet = render_label_sheet(sheet_labels, base, font=font)
    thermal = render_label_sheet(sheet_labels[:1], base, sheet="thermal", font=font)
    manifest = render_manifest(example_manifest(MANIFEST_CONTAINERS), base, font=font)
    pages = len(PdfReader(io.BytesIO(manifest)).pages)
    if pages != 3:
        raise SystemExit(f"the sample manifest has {pages} pages, not 3: adjust MANIFEST_CONTAINERS")

    outputs = {
        SAMPLES / "label-hazardous.pdf": hazardous,
        SAMPLES / "label-medical.pdf": medical,
        SAMPLES / "sheet-a4.pdf": sheet,
        SAMPLES / "label-thermal.pdf": thermal,
        SAMPLES / "manifest-3-pages.pdf": manifest,
    }
    for path, data in outputs.items():
        path.write_bytes(data)
    _png(hazardous, IMAGES / "label-hazardous.png", 200)
    _png(medical, IMAGES / "label-medical.png", 200)
    _png(manifest, IMAGES / "manifest-page1.png", 110)
    for path in [*outputs, IMAGES / "label-hazardous.png", IMAGES / "label-medical.png", IMAGES / "manifest-page1.png"]:
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size / 1024:.0f} KB")
    print(f"font: {font.path or font.name} (embedded: {font.embedded})")


if __name__ == "__main__":
    main()
