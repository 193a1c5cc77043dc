"""The QR matrix: same symbol qrcode would make, mask chosen by qrcode's rules, drawn as one vector path."""

from __future__ import annotations

import io
import random
import string

import pytest
import qrcode
from qrcode import util
from reportlab.pdfgen.canvas import Canvas

from labels.qr import _penalty, best_mask, draw_qr, qr_matrix, qr_path_operators
from tests.labels.pdfimage import pages, qr_codes

EC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


def _reference(payload: str, ec: str, mask: int | None = None) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=EC[ec], border=0, mask_pattern=mask)
    qr.add_data(payload)
    qr.make()
    return qr


def _payloads(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    chars = string.ascii_letters + string.digits + "/:.?=-_"
    return ["".join(rng.choice(chars) for _ in range(rng.choice([3, 20, 64, 110, 180, 300]))) for _ in range(n)]


@pytest.mark.parametrize("ec", ["L", "M", "Q", "H"])
def test_matrix_and_mask_equal_qrcodes_automatic_choice(ec: str) -> None:
    versions = set()
    for payload in _payloads(24, seed=ord(ec)):
        ours = qr_matrix(payload, ec)  # type: ignore[arg-type]
        ref = _reference(payload, ec)
        versions.add(ours.version)
        assert ours.rows == tuple("".join("1" if m else "0" for m in row) for row in ref.modules)
        assert ours.mask == ref.best_mask_pattern()  # (this call leaves ref.modules in a scratch state)
    assert max(versions) >= 7  # covers symbols with version information blocks


def test_penalty_equals_qrcode_lost_point_on_random_matrices() -> None:
    rng = random.Random(7)
    for size in (21, 25, 45, 57):
        for _ in range(40):
            density = rng.choice([0.1, 0.5, 0.9])
            modules = [[rng.random() < density for _ in range(size)] for _ in range(size)]
            rows = [sum(1 << (size - 1 - c) for c, dark in enumerate(row) if dark) for row in modules]
            assert _penalty(rows, size) == util.lost_point(modules)


def test_best_mask_depends_only_on_the_codewords() -> None:
    # No state leaks between payloads: interleaving calls changes nothing.
    a, b = _payloads(2, seed=3)
    first = qr_matrix(a)
    qr_matrix(b)
    assert qr_matrix(a) == first
    ref = _reference(a, "Q")
    data = util.create_data(ref.version, ref.error_correction, ref.data_list)
    assert best_mask(ref.version, data) == first.mask


def test_fixed_mask_is_honoured() -> None:
    payload = "https://wl.cq.example.cn/v/12500000MB1A2C3D4G8410010120200612001"
    for mask in range(8):
        ours = qr_matrix(payload, "Q", mask=mask)
        ref = _reference(payload, "Q", mask=mask)
        assert ours.mask == mask
        assert ours.rows == tuple("".join("1" if m else "0" for m in row) for row in ref.modules)


def test_path_covers_exactly_the_dark_modules() -> None:
    matrix = qr_matrix("https://wl.cq.example.cn/v/12500000MB1A2C3D4G8410010120200612001")
    covered = [[False] * matrix.size for _ in range(matrix.size)]
    ops = qr_path_operators(matrix).split("\n")
    assert ops[-1] == "f"
    for op in ops[:-1]:
        x, y, w, h, name = op.split()
        assert name == "re" and h == "1"
        for c in range(int(x), int(x) + int(w)):
            assert not covered[int(y)][c]
            covered[int(y)][c] = True
    assert covered == [[ch == "1" for ch in row] for row in matrix.rows]


@pytest.mark.parametrize("side_mm", [15, 30])
def test_drawn_symbol_decodes(side_mm: float) -> None:
    payload = "https://wl.cq.example.cn/v/12500000MB1A2C3D4G8410010120200612001"
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(200, 200))
    draw_qr(canvas, qr_matrix(payload), 20, 20, side_mm * 72 / 25.4)
    canvas.save()
    assert [text for text, _ in qr_codes(pages(buffer.getvalue(), 150)[0])] == [payload]
