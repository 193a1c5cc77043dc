"""Rasterise PDFs like a printer or a phone camera would see them, and read QR codes back with a real decoder."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from pypdf import PdfReader


def pages(pdf: bytes, dpi: float) -> list[Image.Image]:
    """Every page rendered in greyscale at `dpi`."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(doc))]
    finally:
        doc.close()


def page_rgb(pdf: bytes, dpi: float, index: int = 0) -> Image.Image:
    """One page rendered in colour."""
    doc = pdfium.PdfDocument(pdf)
    try:
        image: Image.Image = doc[index].render(scale=dpi / 72).to_pil()
        return image.convert("RGB")
    finally:
        doc.close()


def one_bit(image: Image.Image, threshold: int = 128) -> Image.Image:
    """Hard threshold without dithering, as a thermal print head does."""
    return image.convert("L").point(lambda v: 255 if v >= threshold else 0, mode="1")


def qr_codes(image: Image.Image) -> list[tuple[str, tuple[int, int]]]:
    """(text, top-left corner) of every QR code zxing-cpp finds, top to bottom then left to right."""
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    out = []
    for barcode in found:
        corners = [barcode.position.top_left, barcode.position.top_right, barcode.position.bottom_left]
        out.append((barcode.text, (min(p.x for p in corners), min(p.y for p in corners))))
    # Labels on one row share their top edge to within a few pixels; round so row-major order is stable.
    return sorted(out, key=lambda item: (round(item[1][1] / 50), item[1][0]))


def text(pdf: bytes) -> list[str]:
    """The text layer of each page."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
