"""QR matrices from qrcode, drawn on a reportlab canvas as vector paths.

qrcode's automatic mask choice builds and scores all eight masked matrices in pure Python, which is ~85% of its
time (docs/labels.md has the figures). The automatic choice is worth keeping: it avoids long runs and finder-like
patterns that make dirty or curved labels harder to read. So `best_mask` scores the eight candidates with the same
rules and the same tie-break as `qrcode.QRCode.best_mask_pattern`, but on rows packed into ints and strings, and
qrcode then builds the final matrix with that mask. Tests check the choice equals qrcode's own on many payloads.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from typing import Final, Literal

from qrcode import QRCode, constants, util
from reportlab.pdfgen.canvas import Canvas

ErrorCorrection = Literal["L", "M", "Q", "H"]
_EC_LEVELS: Final[dict[str, int]] = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}
QUIET_ZONE: Final = 4  # modules of light margin ISO/IEC 18004 asks for around the symbol

# Container labels get dirty, wet and wrapped round drums; manifests are flat paper: see docs/labels.md.
LABEL_EC: Final[ErrorCorrection] = "Q"
MANIFEST_EC: Final[ErrorCorrection] = "M"


@dataclass(frozen=True, slots=True)
class QrMatrix:
    """A QR symbol without quiet zone: rows[r][c] == '1' is a dark module; row 0 is the top."""

    payload: str
    version: int
    error_correction: ErrorCorrection
    mask: int
    rows: tuple[str, ...]

    @property
    def size(self) -> int:
        """Modules per side, quiet zone excluded."""
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class _Geometry:
    """Per-version layout shared by every payload of that version (it depends on nothing else)."""

    size: int
    function_rows: tuple[int, ...]  # dark function modules, format/version info left light as in qrcode's scoring
    data_cells: tuple[tuple[int, int], ...]  # (row, bit) in qrcode's placement order
    mask_rows: tuple[tuple[int, ...], ...]  # per mask: the data cells that mask inverts


def _bit(size: int, col: int) -> int:
    # Column 0 is the most significant bit so that format(row, "0{size}b")[col] is that column.
    return 1 << (size - 1 - col)


@functools.lru_cache(maxsize=41)
def _geometry(version: int) -> _Geometry:
    size = version * 4 + 17
    # Build the function patterns with qrcode's own routines, exactly as QRCode.makeImpl(test=True) does,
    # so the cells left as None are the data cells.
    qr = QRCode(version=version)
    qr.modules_count = size
    qr.modules = [[None] * size for _ in range(size)]
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(size - 7, 0)
    qr.setup_position_probe_pattern(0, size - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    qr.setup_type_info(True, 0)
    if version >= 7:
        qr.setup_type_number(True)
    modules: list[list[bool | None]] = qr.modules

    function_rows = tuple(sum(_bit(size, c) for c, dark in enumerate(row) if dark) for row in modules)
    # Same zig-zag walk as QRCode.map_data.
    cells: list[tuple[int, int]] = []
    row, step = size - 1, -1
    for col in range(size - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    cells.append((row, c))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break
    masks: list[tuple[int, ...]] = []
    for pattern in range(8):
        inverts = util.mask_func(pattern)
        per_row = [0] * size
        for r, c in cells:
            if inverts(r, c):
                per_row[r] |= _bit(size, c)
        masks.append(tuple(per_row))
    return _Geometry(
        size=size,
        function_rows=function_rows,
        data_cells=tuple((r, _bit(size, c)) for r, c in cells),
        mask_rows=tuple(masks),
    )


def _penalty(rows: list[int], size: int) -> int:
    """qrcode.util.lost_point on bit-packed rows: same four rules, same arithmetic, same result."""
    fmt = f"0{size}b"
    text_rows = [format(r, fmt) for r in rows]
    text_cols = ["".join(col) for col in zip(*text_rows, strict=True)]
    # Rule 3, finder-like 1:1:3:1:1 patterns. Neither pattern can overlap itself, so str.count (non-overlapping)
    # gives qrcode's per-position count; the separator keeps matches inside one row or column.
    lines = "|".join(text_rows) + "|" + "|".join(text_cols)
    points = 40 * (lines.count("10111010000") + lines.count("00001011101"))
    full = (1 << size) - 1
    pairs = full >> 1  # bit q compares columns q and q+1
    # Rule 1, runs of L >= 5 equal modules cost L - 2 = (number of 5-windows inside the run, L - 4) + 2.
    for line in rows + [int(col, 2) for col in text_cols]:
        equal = ~(line ^ (line >> 1)) & pairs
        windows = equal & (equal >> 1) & (equal >> 2) & (equal >> 3)
        if windows:
            points += windows.bit_count() + 2 * (windows & ~(windows >> 1)).bit_count()
    # Rule 2, 2x2 blocks of one colour, 3 points each.
    blocks = 0
    for upper, lower in itertools.pairwise(rows):
        same_vertical = ~(upper ^ lower) & full
        blocks += (same_vertical & (same_vertical >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    points += 3 * blocks
    # Rule 4, dark share away from 50 %, with qrcode's float expression so rounding matches.
    dark = sum(r.bit_count() for r in rows)
    percent = float(dark) / (size**2)
    points += int(abs(percent * 100 - 50) / 5) * 10
    return points


def best_mask(version: int, codewords: bytes | list[int]) -> int:
    """Return the mask qrcode's automatic choice would pick for these data codewords (scored ~8x faster)."""
    geometry = _geometry(version)
    data = bytes(codewords)
    size = geometry.size
    data_rows = [0] * size
    value = int.from_bytes(data, "big")
    nbits = 8 * len(data)
    for index, (r, bit) in enumerate(geometry.data_cells[:nbits]):
        if (value >> (nbits - 1 - index)) & 1:
            data_rows[r] |= bit
    best, best_points = 0, -1
    for pattern, mask_rows in enumerate(geometry.mask_rows):
        rows = [f | (d ^ m) for f, d, m in zip(geometry.function_rows, data_rows, mask_rows, strict=True)]
        points = _penalty(rows, size)
        if best_points < 0 or points < best_points:
            best, best_points = pattern, points
    return best


def qr_matrix(payload: str, error_correction: ErrorCorrection = LABEL_EC, *, mask: int | None = None) -> QrMatrix:
    """Encode `payload` with qrcode; `mask=None` keeps the automatic (best-scoring) mask."""
    qr = QRCode(error_correction=_EC_LEVELS[error_correction], border=0)
    qr.add_data(payload)
    qr.best_fit()
    codewords = util.create_data(qr.version, qr.error_correction, qr.data_list)
    chosen = best_mask(qr.version, codewords) if mask is None else mask
    qr.mask_pattern = chosen
    qr.data_cache = codewords  # reuse: create_data (Reed-Solomon) is the next most costly step
    qr.make(fit=False)
    modules: list[list[bool]] = qr.modules
    rows = tuple("".join("1" if dark else "0" for dark in row) for row in modules)
    return QrMatrix(payload=payload, version=qr.version, error_correction=error_correction, mask=chosen, rows=rows)


def qr_path_operators(matrix: QrMatrix) -> str:
    """PDF path operators filling the dark modules, one rectangle per horizontal run, in module units."""
    ops: list[str] = []
    for r, row in enumerate(matrix.rows):
        for run in re.finditer("1+", row):
            ops.append(f"{run.start()} {r} {run.end() - run.start()} 1 re")
    ops.append("f")
    return "\n".join(ops)


def draw_qr(canvas: Canvas, matrix: QrMatrix, x: float, y: float, side: float, *, quiet_zone: bool = True) -> None:
    """Draw `matrix` with its lower-left corner at (x, y), `side` points wide including the quiet zone."""
    margin = QUIET_ZONE if quiet_zone else 0
    module = side / (matrix.size + 2 * margin)
    canvas.saveState()
    if quiet_zone:
        canvas.setFillColorRGB(1, 1, 1)
        canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    # Module units with row 0 at the top, so each run is written as small integers: the path costs a string
    # join, not four float formats per rectangle. All runs share one path, so rasterisers fill their union
    # without hairline seams between rows.
    canvas.transform(module, 0, 0, -module, x + margin * module, y + side - margin * module)
    canvas.addLiteral(qr_path_operators(matrix))
    canvas.restoreState()
