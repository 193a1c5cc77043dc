"""Records in, PDF/QR bytes out: container labels, label sheets and transfer manifests.

This package is an adapter at the edge: it takes plain read models (labels.models) and returns bytes. It knows
nothing of sessions, databases or HTTP, and never imports the ledger (tests/labels/test_boundaries.py checks).
"""

from labels.codes import (
    CODE_LENGTH,
    CODE_SEGMENTS,
    check_code,
    format_code,
    label_qr_payload,
    manifest_qr_payload,
    split_code,
)
from labels.container import (
    LabelSize,
    draw_container_label,
    label_size_for_volume,
    render_label,
    render_label_sheet,
)
from labels.fonts import FontChoice, cjk_font
from labels.manifest import render_manifest
from labels.models import (
    ContainerLabel,
    ContainerRow,
    Decision,
    ManifestDocument,
    ManifestTotals,
    Party,
    ReceiverDecision,
    Signature,
    Transport,
    WasteLine,
)
from labels.qr import QrMatrix, qr_matrix

__all__ = [
    "CODE_LENGTH",
    "CODE_SEGMENTS",
    "ContainerLabel",
    "ContainerRow",
    "Decision",
    "FontChoice",
    "LabelSize",
    "ManifestDocument",
    "ManifestTotals",
    "Party",
    "QrMatrix",
    "ReceiverDecision",
    "Signature",
    "Transport",
    "WasteLine",
    "check_code",
    "cjk_font",
    "draw_container_label",
    "format_code",
    "label_qr_payload",
    "label_size_for_volume",
    "manifest_qr_payload",
    "qr_matrix",
    "render_label",
    "render_label_sheet",
    "render_manifest",
    "split_code",
]
