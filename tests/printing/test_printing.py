"""Labels and manifests printed from real ledger records: the QR codes decode to what the ledger checks."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from ledger.actors import Actor, Role
from ledger.containers import Form, Packaging, RegisterContainer, get_container, register_container
from ledger.errors import NotFound
from ledger.labelling import unlabelled_containers
from ledger.public import check_manifest
from ledger.shipments import (
    CreateShipment,
    DisposeContainers,
    ReceiveContainer,
    SignReceipt,
    create_shipment,
    dispose_containers,
    get_shipment,
    receive_container,
)
from ledger.shipments import sign_receipt as sign
from ledger.unit_of_work import Database
from tests.labels.pdfimage import pages, qr_codes, text
from tests.ledger.test_scenario import CENTRAL_TRANSPORTER, TONGXING, YUZHONG_HOSPITAL, hospital, tongxing
from tests.ledger.test_shipments import delivered, other_hospital, register
from wasteledger.printing import label_pdf, label_sheet_pdf, manifest_pdf


async def test_label_sheet_for_unlabelled_containers(db: Database) -> None:
    codes = [await register(db) for _ in range(5)]
    assert await unlabelled_containers(db.uow(), YUZHONG_HOSPITAL) == codes
    pdf = await label_sheet_pdf(db, codes, hospital)
    decoded = sorted(payload for page in pages(pdf, 150) for payload, _ in qr_codes(page))
    assert decoded == sorted(f"{db.settings.public_base_url}/v/{code}" for code in codes)
    assert any("感染性废物" in page for page in text(pdf))
    assert await unlabelled_containers(db.uow(), YUZHONG_HOSPITAL) == []
    history = (await get_container(db.uow(), codes[0])).history
    assert [e.type for e in history] == ["container.registered", "container.labelled"]
    # A reprint is not a new event.
    await label_sheet_pdf(db, codes[:1], hospital, sheet="thermal")
    assert len((await get_container(db.uow(), codes[0])).history) == 2


async def test_another_generator_cannot_print_my_labels(db: Database) -> None:
    code = await register(db)
    with pytest.raises(NotFound) as caught:
        await label_sheet_pdf(db, [code], other_hospital)
    assert caught.value.field == "codes[0]"
    # One container's label names its own field, as its route calls it.
    with pytest.raises(NotFound) as caught:
        await label_pdf(db, code, other_hospital)
    assert caught.value.field == "code"


async def test_manifest_qr_checks_against_the_ledger(db: Database) -> None:
    number, codes = await delivered(db, 3)
    for code in codes:
        await receive_container(db.uow(), ReceiveContainer(shipment=number, code=code, weight_kg=Decimal(5)), tongxing)
    await sign(db.uow(), number, SignReceipt(), tongxing)
    await dispose_containers(db.uow(), DisposeContainers(codes=codes, method="Y10"), tongxing)
    pdf = await manifest_pdf(db, number, tongxing)
    [(payload, _)] = qr_codes(pages(pdf, 150)[0])
    url = urlsplit(payload)
    assert url.path == f"/m/{number}"
    printed = parse_qs(url.query)["h"][0]
    assert (await check_manifest(db.uow(), number, printed)).matches
    words = "\n".join(text(pdf))
    assert number in words and "Y10" in words
    city_regulator = Actor(org="11500000247976371U", user="x", role=Role.REGULATOR, jurisdiction="500000")
    assert (await manifest_pdf(db, number, city_regulator))[:4] == b"%PDF"
    with pytest.raises(NotFound):
        await manifest_pdf(db, number, other_hospital)


async def test_manifest_waste_lines_print_their_containers_forms(db: Database) -> None:
    """The form column is filled from the containers: one line whose containers differ lists each form once."""
    liquid = await register_container(
        db.uow(),
        RegisterContainer(
            generator=YUZHONG_HOSPITAL,
            waste_code="841-001-01",
            weight_kg=Decimal(2),
            packaging=Packaging.BAG,
            volume_l=Decimal(10),
            form=Form.LIQUID,
        ),
        hospital,
    )
    codes = [await register(db), liquid.code, await register(db)]
    created = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=codes
        ),
        hospital,
    )
    detail = await get_shipment(db.uow(), created.number, hospital)
    assert {c.code: c.form for c in detail.containers} == {codes[0]: "solid", codes[1]: "liquid", codes[2]: "solid"}
    words = "\n".join(text(await manifest_pdf(db, created.number, hospital)))
    assert "固态 solid" in words and "液态 liquid" in words
    assert words.count("液态 liquid") == 1 and words.count("固态 solid") == 1
