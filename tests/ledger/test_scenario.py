"""The shipments story of issue 3, as a test that reads like the story (also told in docs/shipments.md).

1. A Chongqing hospital registers 12 containers of infectious waste; the central-city transporter collects them;
   the Tongxing plant receives 11, refuses 1 (torn bag, and its weight is off), disposes the 11 by
   incineration (Y10); the manifest closes.
2. A Chongqing auto-repair firm ships waste lead batteries to a Sichuan recycler on the 川渝 white list until the
   listed quantity runs out; the next dispatch is refused with the numbers in the message.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.actors import Actor, Role
from ledger.containers import Packaging, RegisterContainer, get_container, register_container
from ledger.errors import QuotaExceeded
from ledger.integrity import rebuild_container_projection, verify_ledger
from ledger.lifecycle import ContainerStatus
from ledger.shipments import (
    CreateShipment,
    Dispatch,
    DisposeContainers,
    ReceiveContainer,
    RefuseContainer,
    ShipmentStatus,
    SignReceipt,
    create_shipment,
    deliver,
    dispatch,
    dispose_containers,
    get_shipment,
    receive_container,
    refuse_container,
    sign_as_generator,
    sign_receipt,
)
from ledger.transfers import CreateWhiteListEntry, create_white_list_entry, list_quotas
from ledger.unit_of_work import Database
from tests.conftest import FakeClock

YUZHONG_HOSPITAL = "12500103459578017X"
CENTRAL_TRANSPORTER = "91500112MA5U4GME30"
TONGXING = "9150010919411841XQ"
AUTO_REPAIR = "91500107MA5U6MB49U"
HAZMAT_TRANSPORTER = "91500107MA5U52G75X"
NEIJIANG_LEAD = "91511000MA6YPG0Y7M"
CITY_BUREAU = "11500000247976371U"

hospital = Actor(org=YUZHONG_HOSPITAL, user="nurse.wang", role=Role.GENERATOR)
transporter = Actor(org=CENTRAL_TRANSPORTER, user="driver.li", role=Role.TRANSPORTER)
tongxing = Actor(org=TONGXING, user="gate.zhao", role=Role.PLANT_OPERATOR)
factory = Actor(org=AUTO_REPAIR, user="store.chen", role=Role.GENERATOR)
hazmat = Actor(org=HAZMAT_TRANSPORTER, user="driver.he", role=Role.TRANSPORTER)
neijiang = Actor(org=NEIJIANG_LEAD, user="gate.luo", role=Role.PLANT_OPERATOR)
city_bureau = Actor(org=CITY_BUREAU, user="officer.xu", role=Role.REGULATOR, jurisdiction="500000")

VEHICLE = Dispatch(vehicle_plate="渝A12345", transport_licence="渝交运管许可字500112001号", driver="李师傅")


async def test_hospital_to_tongxing_with_one_refusal(db: Database, clock: FakeClock) -> None:
    # The hospital packs and labels 12 bags of infectious waste, 4.000 to 5.100 kg each.
    bags = [
        await register_container(
            db.uow(),
            RegisterContainer(
                generator=YUZHONG_HOSPITAL,
                waste_code="841-001-01",
                weight_kg=Decimal("4.000") + Decimal("0.100") * i,
                packaging=Packaging.BAG,
                volume_l=Decimal(30),
            ),
            hospital,
        )
        for i in range(12)
    ]
    codes = [bag.code for bag in bags]

    # The manifest: hospital → central-city transporter → Tongxing; the hospital signs.
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL,
            transporter=CENTRAL_TRANSPORTER,
            receiver=TONGXING,
            containers=codes,
            emergency_measures="泄漏时用消毒剂覆盖，联系023-60000000",
        ),
        hospital,
    )
    assert manifest.number.startswith("20265001") and manifest.status == ShipmentStatus.DRAFT
    assert not manifest.cross_province and manifest.declared_kg == sum(b.weight_kg for b in bags)
    await sign_as_generator(db.uow(), manifest.number, hospital)

    # The transporter signs at pickup: the bags are collected, in its custody.
    clock.advance(minutes=30)
    dispatched = await dispatch(db.uow(), manifest.number, VEHICLE, transporter)
    assert dispatched.status == ShipmentStatus.DISPATCHED
    collected = (await get_container(db.uow(), codes[0])).container
    assert collected.status == ContainerStatus.COLLECTED and collected.custodian == CENTRAL_TRANSPORTER

    # At Tongxing: delivery signed, 11 bags scanned and weighed, the last one refused (torn, and 8% heavier).
    clock.advance(hours=1)
    await deliver(db.uow(), manifest.number, transporter)
    for bag in bags[:11]:
        result = await receive_container(
            db.uow(), ReceiveContainer(shipment=manifest.number, code=bag.code, weight_kg=bag.weight_kg), tongxing
        )
        assert not result["discrepancy"]
    heavy = await receive_container(
        db.uow(),
        ReceiveContainer(
            shipment=manifest.number,
            code=codes[11],
            weight_kg=(bags[11].weight_kg * Decimal("1.08")).quantize(Decimal("0.001")),
        ),
        tongxing,
    )
    assert heavy["discrepancy"] and heavy["deviation"] == "0.0800"
    await refuse_container(
        db.uow(), RefuseContainer(shipment=manifest.number, code=codes[11], reason="包装破损 torn bag"), tongxing
    )
    received = await sign_receipt(db.uow(), manifest.number, SignReceipt(note="1 bag refused"), tongxing)
    assert received.status == ShipmentStatus.RECEIVED
    assert received.receipt["decision"] == "partially_refused"
    assert received.receipt["refused"] == [codes[11]] and received.receipt["discrepancies"] == [codes[11]]
    assert Decimal(received.receipt["accepted_kg"]) == sum(b.weight_kg for b in bags[:11])

    # Tongxing incinerates the 11 (Y10): the manifest closes with the last one.
    clock.advance(hours=3)
    await dispose_containers(db.uow(), DisposeContainers(codes=codes[:10], method="Y10", line="焚烧线1"), tongxing)
    assert (await get_shipment(db.uow(), manifest.number)).shipment.status == ShipmentStatus.RECEIVED
    await dispose_containers(db.uow(), DisposeContainers(codes=codes[10:11], method="Y10", line="焚烧线1"), tongxing)
    detail = await get_shipment(db.uow(), manifest.number)
    assert detail.shipment.status == ShipmentStatus.CLOSED
    statuses = {c.code: c.status for c in detail.containers}
    assert [statuses[c] for c in codes] == [ContainerStatus.DISPOSED] * 11 + [ContainerStatus.REFUSED]
    assert [c.outcome for c in detail.containers].count("refused") == 1
    assert set(detail.shipment.signatures) == {"generator", "transporter", "delivery", "receiver"}

    history = (await get_container(db.uow(), codes[0])).history
    assert [e.type for e in history] == [
        "container.registered",
        "container.collected",
        "container.received",
        "container.disposed",
    ]
    assert history[-1].payload["method"] == "Y10"
    assert (await verify_ledger(db.uow())).ok
    before = {c.code: c.status for c in detail.containers}
    await rebuild_container_projection(db.uow())
    after = {c.code: c.status for c in (await get_shipment(db.uow(), manifest.number)).containers}
    assert before == after


async def test_lead_batteries_to_sichuan_until_the_white_list_runs_out(db: Database, clock: FakeClock) -> None:
    # The city bureau lists the Neijiang recycler for 0.5 t of waste lead batteries from Chongqing this year.
    entry = await create_white_list_entry(
        db.uow(),
        CreateWhiteListEntry(
            id="WL-2026-TEST-001",
            year=2026,
            origin_province="50",
            destination_province="51",
            receiver=NEIJIANG_LEAD,
            waste_code="900-052-31",
            quantity_t=Decimal("0.5"),
        ),
        city_bureau,
    )
    assert entry.remaining_t == Decimal("0.500")

    async def ship(pallets_kg: list[str]) -> str:
        codes = [
            (
                await register_container(
                    db.uow(),
                    RegisterContainer(
                        generator=AUTO_REPAIR,
                        waste_code="900-052-31",
                        weight_kg=Decimal(kg),
                        packaging=Packaging.PALLET,
                        volume_l=Decimal(600),
                    ),
                    factory,
                )
            ).code
            for kg in pallets_kg
        ]
        manifest = await create_shipment(
            db.uow(),
            CreateShipment(
                generator=AUTO_REPAIR,
                transporter=HAZMAT_TRANSPORTER,
                receiver=NEIJIANG_LEAD,
                containers=codes,
                emergency_measures="电解液泄漏用碱性物质中和",
            ),
            factory,
        )
        assert manifest.cross_province
        await sign_as_generator(db.uow(), manifest.number, factory)
        await dispatch(db.uow(), manifest.number, VEHICLE.model_copy(update={"vehicle_plate": "渝B54321"}), hazmat)
        return manifest.number

    # Two trips of 200 kg each fit: 100 kg left.
    first = await ship(["120.000", "80.000"])
    await ship(["200.000"])
    [usage] = [q for q in await list_quotas(db.uow()) if q.id == entry.id]
    assert (usage.used_t, usage.remaining_t) == (Decimal("0.400"), Decimal("0.100"))

    # The plant weighs the first trip at 190 kg accepted: the quota is reconciled to the weighed mass.
    clock.advance(hours=6)
    await deliver(db.uow(), first, hazmat)
    detail = await get_shipment(db.uow(), first)
    for container, kg in zip(detail.containers, ["115.000", "75.000"], strict=True):
        await receive_container(
            db.uow(), ReceiveContainer(shipment=first, code=container.code, weight_kg=Decimal(kg)), neijiang
        )
    await sign_receipt(db.uow(), first, SignReceipt(), neijiang)
    [usage] = [q for q in await list_quotas(db.uow()) if q.id == entry.id]
    assert (usage.used_t, usage.remaining_t) == (Decimal("0.390"), Decimal("0.110"))

    # A third trip of 150 kg no longer fits: refused, naming the entry, what remains and what was asked.
    with pytest.raises(QuotaExceeded) as refused:
        await ship(["150.000"])
    assert str(refused.value) == (
        "white-list entry WL-2026-TEST-001 has 0.110 t of 900-052-31 left; this shipment needs 0.150 t"
    )
    assert refused.value.details == {"entry": "WL-2026-TEST-001", "remaining_t": "0.110", "requested_t": "0.150"}
    [usage] = [q for q in await list_quotas(db.uow()) if q.id == entry.id]
    assert usage.used_t == Decimal("0.390")  # nothing was consumed by the refused dispatch
