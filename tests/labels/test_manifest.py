"""Transfer manifests: every party's fields, signatures as recorded, the container table, and a QR on every page."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from labels.codes import format_code, manifest_qr_payload
from labels.examples import example_manifest
from labels.manifest import render_manifest
from labels.models import Decision, ManifestDocument, ReceiverDecision, Signature
from tests.labels.pdfimage import pages, qr_codes, text


@pytest.fixture(scope="module")
def big() -> ManifestDocument:
    return example_manifest(500)


@pytest.fixture(scope="module")
def big_pdf(big: ManifestDocument, base_url: str) -> bytes:
    return render_manifest(big, base_url)


def test_every_page_of_a_500_container_manifest_carries_the_verification_qr(
    big: ManifestDocument, big_pdf: bytes, base_url: str
) -> None:
    expected = manifest_qr_payload(base_url, big.number, big.content_hash)
    images = pages(big_pdf, 150)
    assert len(images) >= 9
    for number, image in enumerate(images, 1):
        assert [payload for payload, _ in qr_codes(image)] == [expected], f"page {number}"


def test_every_page_repeats_the_header_and_counts_pages(big: ManifestDocument, big_pdf: bytes) -> None:
    texts = text(big_pdf)
    total = len(texts)
    for number, page in enumerate(texts, 1):
        assert "危险废物转移联单" in page and "Hazardous Waste Transfer Manifest" in page
        assert big.number in page
        assert f"第 {number} 页 / 共 {total} 页" in page and f"Page {number} of {total}" in page
        assert big.content_hash in page
        if number > 1:
            assert "识别码 Container code" in page  # the table header repeats


def test_every_container_row_is_printed_once_in_order(big: ManifestDocument, big_pdf: bytes) -> None:
    joined = "\n".join(text(big_pdf))
    positions = [
        joined.find(f"\n{i}\n{format_code(row.code)}\n{row.waste_code}\n") for i, row in enumerate(big.containers, 1)
    ]
    assert -1 not in positions
    assert positions == sorted(positions)
    assert joined.count("已拒收 refused") == sum(1 for row in big.containers if row.status == "refused")
    assert f"{big.totals.declared_kg:,.2f}" in joined


def test_all_fields_the_three_parties_fill(base_url: str) -> None:
    doc = replace(example_manifest(12), whitelist_entry="CY-2020-HW31-007", approval_number="渝环转移〔2020〕12号")
    joined = "\n".join(text(render_manifest(doc, base_url)))
    for party in (doc.generator, doc.transporter, doc.receiver):
        for value in (party.name, party.uscc, party.address, party.contact, party.phone):
            assert value in joined, value
    t = doc.transport
    for value in (t.vehicle_plate, t.transport_licence, t.driver, t.driver_phone, t.route_start, t.route_end):
        assert value in joined, value
    for line in doc.waste_lines:
        for value in (line.waste_code, line.name, line.emergency_measures[:10]):
            assert value in joined, value
    assert "2020-06-12 14:30 +08:00" in joined  # generator signed 06:30 UTC, printed in China time
    assert "2020-06-12 17:40 +08:00" in joined
    assert "接受 Accepted" in joined and "Y10" in joined
    assert "CY-2020-HW31-007" in joined and "渝环转移〔2020〕12号" in joined
    for label in ("移出人", "Generator", "承运人", "Transporter", "接受人", "Receiver", "统一社会信用代码", "USCC"):
        assert label in joined


def test_unsigned_and_undecided_are_printed_as_such(base_url: str) -> None:
    doc = example_manifest(5, signed=1)
    joined = "\n".join(text(render_manifest(doc, base_url)))
    assert joined.count("未签 not signed") == 2
    assert "待接受人确认" in joined
    assert "已收运 collected" in joined


def test_partial_refusal_lists_discrepancies(base_url: str) -> None:
    doc = example_manifest(200)
    assert doc.decision is not None and doc.decision.decision is Decision.PARTIALLY_REFUSED
    joined = "\n".join(text(render_manifest(doc, base_url)))
    assert "部分拒收 Partially refused" in joined
    for discrepancy in doc.decision.discrepancies:
        assert discrepancy.split(":")[0] in joined


def test_each_waste_lines_forms_are_printed_whole(base_url: str) -> None:
    doc = example_manifest(3)
    first, *rest = doc.waste_lines
    forms = "固态 solid\n半固态 semi-solid\n液态 liquid"
    joined = "\n".join(text(render_manifest(replace(doc, waste_lines=(replace(first, form=forms), *rest)), base_url)))
    # One form per line; one too wide for the column is split at its space, never inside a word.
    assert "\n固态 solid\n半固态\nsemi-solid\n液态 liquid\n" in joined


def test_totals_come_from_the_rows() -> None:
    doc = example_manifest(30)
    assert doc.totals.containers == 30
    assert doc.totals.declared_kg == sum(row.declared_kg for row in doc.containers)
    assert doc.totals.lines_declared_kg == doc.totals.declared_kg


def test_model_rejects_what_would_print_wrong() -> None:
    doc = example_manifest(1)
    with pytest.raises(ValueError, match="14 digits"):
        replace(doc, number="2020500100012")
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(doc, printed_at=datetime(2020, 6, 12, 8, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        Signature(signer="x", organisation="y", signed_at=datetime(2020, 6, 12))
    with pytest.raises(ValueError, match="weight"):
        ReceiverDecision(decision=Decision.ACCEPTED, method_code="Y10", accepted_kg=Decimal(-1))


def test_short_manifest_is_one_page_and_deterministic(base_url: str) -> None:
    doc = example_manifest(3, signed=3)
    pdf = render_manifest(doc, base_url)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert render_manifest(doc, base_url) == pdf
    assert doc.printed_at.tzinfo is UTC
