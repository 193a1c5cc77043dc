"""Scans: raw label text in, one ledger step out; idempotent by the scanner's scan id."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError

from ledger.errors import Conflict, InvalidIdentifier, InvalidInput
from ledger.identifiers import container_code_from_scan
from ledger.lifecycle import ContainerStatus
from ledger.scans import ScanAction, ScanIn, ScanResult, record_scan, record_scans
from ledger.shipments import CreateShipment, create_shipment, deliver, dispatch, get_shipment, sign_as_generator
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.ledger.test_scenario import CENTRAL_TRANSPORTER, TONGXING, VEHICLE, YUZHONG_HOSPITAL, hospital, tongxing
from tests.ledger.test_scenario import transporter as carrier
from tests.ledger.test_shipments import event_count, register

BASE = "https://wasteledger.example"


def scan(text: str, action: ScanAction, clock: FakeClock, **fields: object) -> ScanIn:
    return ScanIn.model_validate(
        {"scan_id": uuid.uuid4(), "text": text, "action": action, "scanned_at": clock.now, **fields}
    )


def test_scanned_text_in_both_forms() -> None:
    code = "91350100M000100Y43" + "84100101" + "20261204" + "001"
    for text in (
        code,
        code.lower(),
        f" {code} ",
        f"{BASE}/v/{code}",
        f"{BASE}/v/{code}/",
        f"{BASE}/v/{code}?x=1",
        f"http://127.0.0.1:8000/v/{code}",
    ):
        assert str(container_code_from_scan(text)) == code
    for text, fragment in [
        ("", "empty"),
        (f"{BASE}/m/20265001000001?h=ab", "manifest"),
        (f"{BASE}/x/{code}", "/v/<code>"),
        (code[:-1], "has 36"),
        ("x" * 600, "at most 512"),
        (f"{BASE}/v/' OR 1=1 --", "characters"),
    ]:
        with pytest.raises(InvalidIdentifier, match=fragment):
            container_code_from_scan(text)


async def delivered_with_codes(db: Database, count: int) -> tuple[str, list[str]]:
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING),
        carrier,
    )
    codes = [await register(db) for _ in range(count)]
    return manifest.number, codes


async def test_the_whole_flow_by_scanning_label_urls(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered_with_codes(db, 3)
    for code in codes:  # the driver scans each bag at pickup: the manifest fills itself
        result = await record_scan(db, scan(f"{BASE}/v/{code}", ScanAction.COLLECT, clock, shipment=number), carrier)
        assert result.status == ContainerStatus.REGISTERED
    assert (await get_shipment(db.uow(), number)).shipment.container_count == 3
    await sign_as_generator(db.uow(), number, hospital)
    await dispatch(db.uow(), number, VEHICLE, carrier)
    await deliver(db.uow(), number, carrier)
    received = await record_scan(
        db, scan(codes[0], ScanAction.RECEIVE, clock, shipment=number, weight_kg=Decimal("5.000")), tongxing
    )
    assert received.status == ContainerStatus.RECEIVED and received.detail["discrepancy"] is False
    refused = await record_scan(
        db, scan(codes[1], ScanAction.REFUSE, clock, shipment=number, reason="leaking"), tongxing
    )
    assert refused.status == ContainerStatus.REFUSED
    disposed = await record_scan(db, scan(codes[0], ScanAction.DISPOSE, clock, method="y10"), tongxing)
    assert disposed.status == ContainerStatus.DISPOSED and disposed.detail["method"] == "Y10"


async def test_same_scan_id_twice_records_once_and_answers_alike(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered_with_codes(db, 1)
    once = scan(codes[0], ScanAction.COLLECT, clock, shipment=number)
    first = await record_scan(db, once, carrier)
    before = await event_count(db)
    again = await record_scan(db, once, carrier)
    assert await event_count(db) == before
    assert again.duplicate and not first.duplicate
    assert again.model_dump(exclude={"duplicate"}) == first.model_dump(exclude={"duplicate"})
    with pytest.raises(Conflict, match="already used for a different scan"):
        await record_scan(db, once.model_copy(update={"text": codes[0].lower() + " "}), carrier)
    with pytest.raises(Conflict):  # another party cannot learn the answer by reusing an id
        await record_scan(db, once, tongxing)


async def test_concurrent_resends_of_one_scan_record_it_once(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered_with_codes(db, 1)
    once = scan(codes[0], ScanAction.COLLECT, clock, shipment=number)
    results = await asyncio.gather(*(record_scan(db, once, carrier) for _ in range(4)), return_exceptions=True)
    answers = [r for r in results if isinstance(r, ScanResult)]
    assert len(answers) == 4, results
    assert sum(not a.duplicate for a in answers) == 1
    assert (await get_shipment(db.uow(), number)).shipment.container_count == 1


@pytest.mark.parametrize(
    ("action", "missing"),
    [
        (ScanAction.RECEIVE, "weight_kg"),
        (ScanAction.REFUSE, "reason"),
        (ScanAction.DISPOSE, "method"),
        (ScanAction.COLLECT, "shipment"),
    ],
)
async def test_each_action_names_what_it_needs(
    db: Database, clock: FakeClock, action: ScanAction, missing: str
) -> None:
    number, codes = await delivered_with_codes(db, 1)
    fields: dict[str, object] = {"shipment": number, "weight_kg": Decimal(5), "reason": "bad", "method": "Y10"}
    fields.pop(missing)
    if action == ScanAction.COLLECT:
        fields.pop("shipment", None)
    with pytest.raises(InvalidInput) as caught:
        await record_scan(db, scan(codes[0], action, clock, **fields), carrier)
    assert caught.value.field == missing


async def test_a_batch_answers_each_scan_and_keeps_the_good_ones(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered_with_codes(db, 4)
    batch = [scan(code, ScanAction.COLLECT, clock, shipment=number) for code in codes]
    batch.insert(2, scan("not a code", ScanAction.COLLECT, clock, shipment=number))
    batch.insert(3, scan(codes[0], ScanAction.RECEIVE, clock, shipment=number, weight_kg=Decimal(1)))
    answers = await record_scans(db, batch, carrier)
    assert [type(a).__name__ for a in answers] == [
        "ScanResult",
        "ScanResult",
        "InvalidIdentifier",
        "IllegalTransition",
        "ScanResult",
        "ScanResult",
    ]
    assert (await get_shipment(db.uow(), number)).shipment.container_count == 4
    # Sent again (the scanner never saw the answer): the good ones replay, nothing is recorded twice.
    before = await event_count(db)
    replay = await record_scans(db, batch, carrier)
    assert await event_count(db) == before
    assert [a.duplicate for a in replay if isinstance(a, ScanResult)] == [True] * 4


async def test_batch_limits(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered_with_codes(db, 1)
    one = scan(codes[0], ScanAction.COLLECT, clock, shipment=number)
    with pytest.raises(InvalidInput, match="twice"):
        await record_scans(db, [one, one], carrier)
    with pytest.raises(InvalidInput, match="at most 1000"):
        await record_scans(db, [one] * 1001, carrier)


@pytest.mark.parametrize(
    "number", ["2026500100000\x00", "２０２６５００１０００００１", "٢٠٢٦٥٠٠١٠٠٠٠٠١", "2026500100000a"]
)
def test_a_manifest_number_is_fourteen_ascii_digits(number: str) -> None:
    # SQLModel's Field(regex=…) is silently ignored under pydantic 2: the pattern must really be enforced.
    body = {
        "scan_id": uuid.uuid4(),
        "text": "x",
        "action": "receive",
        "shipment": number,
        "scanned_at": "2026-12-04T10:00:00Z",
    }
    with pytest.raises(ValidationError, match="pattern"):
        ScanIn.model_validate(body)
    assert ScanIn.model_validate({**body, "shipment": "20265001000001"}).shipment == "20265001000001"
