"""Every illegal step of a manifest has its own error, and a refused step writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from ledger.actors import SYSTEM, Actor, Role
from ledger.containers import Packaging, RegisterContainer, get_container, register_container
from ledger.errors import (
    FieldLocked,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    LedgerError,
    NotFound,
    NotLicensed,
    QuotaExceeded,
)
from ledger.lifecycle import ContainerStatus
from ledger.shipments import (
    FIELD_LOCKS,
    SHIPMENT_TRANSITIONS,
    AmendShipment,
    CreateShipment,
    DisposeContainers,
    ProposeCorrection,
    ReceiveContainer,
    RefuseContainer,
    ShipmentStatus,
    SignReceipt,
    add_containers,
    add_working_days,
    amend_shipment,
    approve_correction,
    cancel_shipment,
    check_shipment_step,
    create_shipment,
    deliver,
    dispatch,
    dispose_containers,
    get_shipment,
    plan_collection_round,
    propose_correction,
    receive_container,
    refuse_container,
    sign_as_generator,
    sign_receipt,
)
from ledger.transfers import (
    AmendQuota,
    CreateApproval,
    CreateWhiteListEntry,
    amend_quota,
    create_approval,
    create_white_list_entry,
    list_quotas,
    revoke_quota,
)
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.ledger.test_scenario import (
    AUTO_REPAIR,
    CENTRAL_TRANSPORTER,
    HAZMAT_TRANSPORTER,
    NEIJIANG_LEAD,
    TONGXING,
    VEHICLE,
    YUZHONG_HOSPITAL,
    city_bureau,
    factory,
    hazmat,
    hospital,
    tongxing,
    transporter,
)

WANZHOU_PLANT = "91500101MA5UT55FXK"
WUSHAN_STEAM = "91500237MA5UAPN53R"  # licensed for 841-001-01 and 841-002-01 only, method Y11
CHENGDU_EWASTE = "91510100MA669PUYX4"
SHAPINGBA_HOSPITAL = "12500106591932773W"
other_hospital = Actor(org=SHAPINGBA_HOSPITAL, user="nurse.zhou", role=Role.GENERATOR)
wanzhou = Actor(org=WANZHOU_PLANT, user="gate.wan", role=Role.PLANT_OPERATOR)
sichuan_bureau = Actor(org="115100003966461816", user="officer.su", role=Role.REGULATOR, jurisdiction="510000")
district_bureau = Actor(org="115001097745992487", user="officer.bei", role=Role.REGULATOR, jurisdiction="500109")


async def register(
    db: Database,
    generator: str = YUZHONG_HOSPITAL,
    waste: str = "841-001-01",
    kg: str = "5.000",
    actor: Actor = hospital,
    packaging: Packaging = Packaging.BAG,
) -> str:
    view = await register_container(
        db.uow(),
        RegisterContainer(
            generator=generator, waste_code=waste, weight_kg=Decimal(kg), packaging=packaging, volume_l=Decimal(30)
        ),
        actor,
    )
    return view.code


async def draft(db: Database, count: int = 2, **extra: Any) -> tuple[str, list[str]]:
    codes = [await register(db) for _ in range(count)]
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=codes, **extra
        ),
        hospital,
    )
    return manifest.number, codes


async def dispatched(db: Database, count: int = 2) -> tuple[str, list[str]]:
    number, codes = await draft(db, count)
    await sign_as_generator(db.uow(), number, hospital)
    await dispatch(db.uow(), number, VEHICLE, transporter)
    return number, codes


async def delivered(db: Database, count: int = 2) -> tuple[str, list[str]]:
    number, codes = await dispatched(db, count)
    await deliver(db.uow(), number, transporter)
    return number, codes


async def event_count(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.events.count()


async def refused_without_writing(
    db: Database, error: type[LedgerError], step: Awaitable[Any], match: str | None = None
) -> LedgerError:
    before = await event_count(db)
    with pytest.raises(error, match=match) as caught:
        await step
    assert await event_count(db) == before, "a refused step wrote events"
    return caught.value


# --- the state table ----------------------------------------------------------------------------------------


def test_every_illegal_shipment_step_names_state_and_step() -> None:
    for event_type, (step, allowed, _) in SHIPMENT_TRANSITIONS.items():
        for state in [None, *ShipmentStatus]:
            if state not in allowed:
                with pytest.raises(IllegalTransition) as caught:
                    check_shipment_step("20265001000001", state, event_type)
                assert caught.value.step == step


def test_field_locks_name_a_real_signature_for_every_field() -> None:
    assert {signature for _, signature in FIELD_LOCKS.values()} <= {"generator", "transporter"}
    assert set(AmendShipment.model_fields) <= set(FIELD_LOCKS)


def test_working_days_skip_weekends() -> None:
    friday = date(2026, 12, 4)
    assert add_working_days(friday, 5) == date(2026, 12, 11)
    assert add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)  # Saturday → Monday


# --- wrong party --------------------------------------------------------------------------------------------


async def test_each_party_signs_only_its_own_step(db: Database) -> None:
    number, _ = await draft(db)
    await refused_without_writing(db, Forbidden, sign_as_generator(db.uow(), number, transporter), "generator")
    await sign_as_generator(db.uow(), number, hospital)
    await refused_without_writing(db, Forbidden, dispatch(db.uow(), number, VEHICLE, hospital), "transporter")
    # A stranger to the manifest cannot even tell it exists.
    await refused_without_writing(db, NotFound, dispatch(db.uow(), number, VEHICLE, hazmat))
    await dispatch(db.uow(), number, VEHICLE, transporter)
    await refused_without_writing(db, Forbidden, deliver(db.uow(), number, tongxing), "transporter")
    await deliver(db.uow(), number, transporter)
    await refused_without_writing(db, NotFound, sign_receipt(db.uow(), number, SignReceipt(), wanzhou))
    detail = await get_shipment(db.uow(), number)
    code = detail.containers[0].code
    await refused_without_writing(
        db,
        NotFound,
        receive_container(db.uow(), ReceiveContainer(shipment=number, code=code, weight_kg=Decimal(5)), wanzhou),
    )


async def test_only_generator_or_named_transporter_starts_a_manifest(db: Database) -> None:
    code = await register(db)
    command = CreateShipment(
        generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=[code]
    )
    await refused_without_writing(db, Forbidden, create_shipment(db.uow(), command, hazmat))
    await refused_without_writing(db, Forbidden, create_shipment(db.uow(), command, other_hospital))
    assert (await create_shipment(db.uow(), command, transporter)).status == ShipmentStatus.DRAFT


async def test_another_generators_container_cannot_be_shipped(db: Database) -> None:
    theirs = await register(db, SHAPINGBA_HOSPITAL, actor=other_hospital)
    await refused_without_writing(
        db,
        InvalidInput,
        create_shipment(
            db.uow(),
            CreateShipment(
                generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=[theirs]
            ),
            hospital,
        ),
        "another generator",
    )


# --- wrong order --------------------------------------------------------------------------------------------


async def test_signing_order_is_enforced(db: Database) -> None:
    number, codes = await draft(db)
    await refused_without_writing(
        db, IllegalTransition, dispatch(db.uow(), number, VEHICLE, transporter), "not signed by its generator"
    )
    await refused_without_writing(
        db, IllegalTransition, deliver(db.uow(), number, transporter), "is draft: cannot deliver"
    )
    await refused_without_writing(
        db,
        IllegalTransition,
        sign_receipt(db.uow(), number, SignReceipt(), tongxing),
        "is draft: cannot sign the receipt",
    )
    await refused_without_writing(
        db,
        IllegalTransition,
        receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing),
        "draft",
    )
    await sign_as_generator(db.uow(), number, hospital)
    await refused_without_writing(db, IllegalTransition, sign_as_generator(db.uow(), number, hospital), "again")


async def test_receipt_needs_every_container_scanned(db: Database) -> None:
    number, codes = await delivered(db, 3)
    await receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing)
    error = await refused_without_writing(
        db, InvalidInput, sign_receipt(db.uow(), number, SignReceipt(), tongxing), "2 container"
    )
    assert error.field == "containers"


async def test_a_container_not_on_the_manifest_is_refused_at_receipt(db: Database) -> None:
    number, _ = await delivered(db)
    stray = await register(db)
    await refused_without_writing(
        db,
        InvalidInput,
        receive_container(db.uow(), ReceiveContainer(shipment=number, code=stray, weight_kg=Decimal(5)), tongxing),
        "not on shipment",
    )


async def test_a_container_on_one_draft_cannot_join_another(db: Database) -> None:
    _, codes = await draft(db)
    await refused_without_writing(
        db,
        InvalidInput,
        create_shipment(
            db.uow(),
            CreateShipment(
                generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=codes[:1]
            ),
            hospital,
        ),
        "already on draft manifest",
    )


async def test_cancelled_draft_frees_its_containers(db: Database) -> None:
    number, codes = await draft(db)
    await cancel_shipment(db.uow(), number, "wrong receiver", hospital)
    again = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=codes
        ),
        hospital,
    )
    assert again.number != number
    await refused_without_writing(db, IllegalTransition, sign_as_generator(db.uow(), number, hospital), "cancelled")


# --- locked fields and corrections --------------------------------------------------------------------------


async def test_fields_lock_at_their_signature(db: Database) -> None:
    number, _ = await draft(db)
    amended = await amend_shipment(db.uow(), number, AmendShipment(emergency_measures="消毒覆盖"), hospital)
    assert amended.emergency_measures == "消毒覆盖"
    # Each field is filled by its own party.
    await refused_without_writing(
        db,
        Forbidden,
        amend_shipment(db.uow(), number, AmendShipment(vehicle_plate="渝A00001"), hospital),
        "transporter",
    )
    await amend_shipment(db.uow(), number, AmendShipment(vehicle_plate="渝A00001"), transporter)
    await sign_as_generator(db.uow(), number, hospital)
    error = await refused_without_writing(
        db,
        FieldLocked,
        amend_shipment(db.uow(), number, AmendShipment(emergency_measures="changed"), hospital),
        "locked: the generator signed",
    )
    assert error.field == "emergency_measures"
    await refused_without_writing(db, FieldLocked, add_containers(db.uow(), number, [await register(db)], hospital))
    await dispatch(db.uow(), number, VEHICLE, transporter)
    await refused_without_writing(
        db,
        IllegalTransition,
        amend_shipment(db.uow(), number, AmendShipment(driver="someone else"), transporter),
        "dispatched: cannot amend",
    )


async def test_corrections_after_signing_need_the_other_parties(db: Database) -> None:
    number, _ = await delivered(db)
    proposal = await propose_correction(
        db.uow(),
        number,
        ProposeCorrection(fields={"vehicle_plate": "渝A99999"}, reason="plate mistyped at pickup"),
        transporter,
    )
    correction = proposal.corrections[0]
    assert correction["needs"] == ["generator"] and not correction["applied"]
    assert proposal.vehicle_plate == "渝A12345"
    await refused_without_writing(db, Forbidden, approve_correction(db.uow(), number, 0, transporter), "waits for")
    await refused_without_writing(
        db,
        InvalidInput,
        propose_correction(
            db.uow(), number, ProposeCorrection(fields={"receiver": WANZHOU_PLANT}, reason="wrong plant"), transporter
        ),
        "cannot be corrected",
    )
    applied = await approve_correction(db.uow(), number, 0, hospital)
    assert applied.vehicle_plate == "渝A99999" and applied.corrections[0]["applied"]
    history_types = []
    async with db.uow() as uow:
        history_types = [e.type for e in await uow.events.read(f"shipment:{number}")]
    assert history_types[-2:] == ["shipment.correction_proposed", "shipment.correction_approved"]
    await refused_without_writing(db, IllegalTransition, approve_correction(db.uow(), number, 0, hospital), "applied")
    # The city bureau sees the manifest but is not a party: it may not propose (403, not a 404 that would lie).
    regulator_wish = ProposeCorrection(fields={"driver": "someone"}, reason="regulator's wish")
    await refused_without_writing(db, Forbidden, propose_correction(db.uow(), number, regulator_wish, city_bureau))


# --- disposed containers ------------------------------------------------------------------------------------


async def test_a_disposed_container_never_moves_again(db: Database) -> None:
    number, codes = await delivered(db, 1)
    await receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing)
    await sign_receipt(db.uow(), number, SignReceipt(), tongxing)
    await dispose_containers(db.uow(), DisposeContainers(codes=codes, method="Y10"), tongxing)
    assert (await get_shipment(db.uow(), number)).shipment.status == ShipmentStatus.CLOSED
    await refused_without_writing(
        db,
        IllegalTransition,
        dispose_containers(db.uow(), DisposeContainers(codes=codes, method="Y10"), tongxing),
        "disposed: cannot dispose",
    )
    await refused_without_writing(
        db,
        IllegalTransition,
        create_shipment(
            db.uow(),
            CreateShipment(
                generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=codes
            ),
            hospital,
        ),
        "disposed: cannot add to a manifest",
    )
    await refused_without_writing(
        db,
        IllegalTransition,
        refuse_container(db.uow(), RefuseContainer(shipment=number, code=codes[0], reason="too late"), tongxing),
        "closed",
    )


async def test_disposal_method_must_fit_the_waste_and_the_licence(db: Database) -> None:
    number, codes = await delivered(db, 1)
    await receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing)
    await refused_without_writing(
        db,
        InvalidInput,
        dispose_containers(db.uow(), DisposeContainers(codes=codes, method="D10"), tongxing),
        "use a Y1x medical code",
    )
    await refused_without_writing(
        db,
        NotLicensed,
        dispose_containers(db.uow(), DisposeContainers(codes=codes, method="Y12"), tongxing),
        "not licensed for method Y12",
    )
    await refused_without_writing(
        db,
        InvalidInput,
        dispose_containers(db.uow(), DisposeContainers(codes=codes, method="Z99"), tongxing),
        "unknown method",
    )
    # Another plant cannot dispose of what it does not hold (and cannot tell it exists).
    with pytest.raises(LedgerError, match="not in your custody"):
        await dispose_containers(db.uow(), DisposeContainers(codes=codes, method="Y10"), wanzhou)


# --- licences -----------------------------------------------------------------------------------------------


async def test_unlicensed_waste_is_refused_before_anything_moves(db: Database) -> None:
    pathological = await register(db, waste="841-003-01", packaging=Packaging.BOX)
    error = await refused_without_writing(
        db,
        NotLicensed,
        create_shipment(
            db.uow(),
            CreateShipment(
                generator=YUZHONG_HOSPITAL,
                transporter=CENTRAL_TRANSPORTER,
                receiver=WUSHAN_STEAM,
                containers=[pathological],
            ),
            hospital,
        ),
        "not licensed for 841-003-01",
    )
    assert error.field == "receiver"
    number, _ = await draft(db, 1)
    await refused_without_writing(
        db,
        NotLicensed,
        amend_shipment(db.uow(), number, AmendShipment(receiver=NEIJIANG_LEAD), hospital),
        "not licensed for 841-001-01",
    )


# --- refusals, returns and onward shipments -----------------------------------------------------------------


async def test_refused_container_goes_on_to_another_plant_on_a_new_manifest(db: Database) -> None:
    number, codes = await delivered(db, 2)
    await receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing)
    await refuse_container(db.uow(), RefuseContainer(shipment=number, code=codes[1], reason="line full"), tongxing)
    await sign_receipt(db.uow(), number, SignReceipt(), tongxing)
    refused = (await get_container(db.uow(), codes[1])).container
    assert refused.status == ContainerStatus.REFUSED and refused.custodian == CENTRAL_TRANSPORTER
    # Shipping it again needs a manifest that references the one it was refused on.
    await refused_without_writing(
        db,
        InvalidInput,
        create_shipment(
            db.uow(),
            CreateShipment(
                generator=YUZHONG_HOSPITAL,
                transporter=CENTRAL_TRANSPORTER,
                receiver=WANZHOU_PLANT,
                containers=[codes[1]],
            ),
            hospital,
        ),
        "previous_shipment",
    )
    onward = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL,
            transporter=CENTRAL_TRANSPORTER,
            receiver=WANZHOU_PLANT,
            containers=[codes[1]],
            previous_shipment=number,
        ),
        hospital,
    )
    await sign_as_generator(db.uow(), onward.number, hospital)
    await dispatch(db.uow(), onward.number, VEHICLE, transporter)
    await deliver(db.uow(), onward.number, transporter)
    await receive_container(
        db.uow(), ReceiveContainer(shipment=onward.number, code=codes[1], weight_kg=Decimal(5)), wanzhou
    )
    await sign_receipt(db.uow(), onward.number, SignReceipt(), wanzhou)
    await dispose_containers(db.uow(), DisposeContainers(codes=[codes[1]], method="Y10"), wanzhou)
    detail = await get_shipment(db.uow(), onward.number)
    assert detail.shipment.previous_shipment == number and detail.shipment.status == ShipmentStatus.CLOSED


async def test_refused_container_returns_to_its_generator(db: Database) -> None:
    number, codes = await delivered(db, 1)
    await refuse_container(db.uow(), RefuseContainer(shipment=number, code=codes[0], reason="mislabelled"), tongxing)
    refused = await sign_receipt(db.uow(), number, SignReceipt(), tongxing)
    assert refused.receipt["decision"] == "refused" and refused.status == ShipmentStatus.CLOSED
    back = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=YUZHONG_HOSPITAL,
            transporter=CENTRAL_TRANSPORTER,
            receiver=YUZHONG_HOSPITAL,
            containers=codes,
            previous_shipment=number,
        ),
        hospital,
    )
    await sign_as_generator(db.uow(), back.number, hospital)
    await dispatch(db.uow(), back.number, VEHICLE, transporter)
    await deliver(db.uow(), back.number, transporter)
    closed = await sign_receipt(db.uow(), back.number, SignReceipt(), hospital)
    assert closed.status == ShipmentStatus.CLOSED
    container = (await get_container(db.uow(), codes[0])).container
    assert container.status == ContainerStatus.RETURNED and container.custodian == YUZHONG_HOSPITAL


async def test_collection_round_groups_one_manifest_per_generator(db: Database) -> None:
    round_ = await plan_collection_round(
        db.uow(),
        CENTRAL_TRANSPORTER,
        TONGXING,
        [YUZHONG_HOSPITAL, SHAPINGBA_HOSPITAL],
        transporter,
        vehicle_plate="渝A12345",
    )
    assert len(round_) == 2 and len({s.number for s in round_}) == 2
    assert round_[0].trip_id == round_[1].trip_id is not None
    assert {s.generator for s in round_} == {YUZHONG_HOSPITAL, SHAPINGBA_HOSPITAL}
    await refused_without_writing(
        db, Forbidden, plan_collection_round(db.uow(), CENTRAL_TRANSPORTER, TONGXING, [YUZHONG_HOSPITAL], hazmat)
    )


async def test_manifest_numbers_never_collide_under_concurrency(db: Database) -> None:
    codes = [await register(db) for _ in range(8)]
    views = await asyncio.gather(
        *(
            create_shipment(
                db.uow(),
                CreateShipment(
                    generator=YUZHONG_HOSPITAL, transporter=CENTRAL_TRANSPORTER, receiver=TONGXING, containers=[code]
                ),
                hospital,
            )
            for code in codes
        )
    )
    numbers = sorted(v.number for v in views)
    assert len(set(numbers)) == 8
    assert [int(n[-6:]) for n in numbers] == list(range(1, 9))


# --- cross-province -----------------------------------------------------------------------------------------


async def battery_manifest(db: Database, kg: str = "100.000") -> str:
    code = await register(db, AUTO_REPAIR, "900-052-31", kg, factory, Packaging.PALLET)
    manifest = await create_shipment(
        db.uow(),
        CreateShipment(
            generator=AUTO_REPAIR, transporter=HAZMAT_TRANSPORTER, receiver=NEIJIANG_LEAD, containers=[code]
        ),
        factory,
    )
    await sign_as_generator(db.uow(), manifest.number, factory)
    return manifest.number


async def test_cross_province_without_cover_is_refused(db: Database) -> None:
    number = await battery_manifest(db)
    # The test databases hold no demo white list: nothing covers this transfer.
    error = await refused_without_writing(
        db,
        Forbidden,
        dispatch(db.uow(), number, VEHICLE, hazmat),
        "no white-list entry or transfer approval covers 900-052-31",
    )
    assert error.field == "receiver"


@pytest.mark.parametrize("window", ["expired", "not yet valid", "revoked", "other receiver"])
async def test_entries_that_do_not_apply_do_not_count(db: Database, clock: FakeClock, window: str) -> None:
    year = 2025 if window == "expired" else 2027 if window == "not yet valid" else 2026
    receiver = CHENGDU_EWASTE if window == "other receiver" else NEIJIANG_LEAD
    if window == "other receiver":
        await create_white_list_entry(
            db.uow(),
            CreateWhiteListEntry(
                id="WL-X",
                year=year,
                origin_province="50",
                destination_province="51",
                receiver=receiver,
                waste_code="900-045-49",
                quantity_t=Decimal(10),
            ),
            city_bureau,
        )
    else:
        await create_white_list_entry(
            db.uow(),
            CreateWhiteListEntry(
                id="WL-X",
                year=year,
                origin_province="50",
                destination_province="51",
                receiver=receiver,
                waste_code="900-052-31",
                quantity_t=Decimal(10),
            ),
            city_bureau,
        )
    if window == "revoked":
        await revoke_quota(db.uow(), "WL-X", "receiver's licence suspended", city_bureau)
    number = await battery_manifest(db)
    await refused_without_writing(db, Forbidden, dispatch(db.uow(), number, VEHICLE, hazmat), "covers")


async def test_approval_covers_beyond_the_white_list_and_expires(db: Database, clock: FakeClock) -> None:
    await create_white_list_entry(
        db.uow(),
        CreateWhiteListEntry(
            id="WL-SMALL",
            year=2026,
            origin_province="50",
            destination_province="51",
            receiver=NEIJIANG_LEAD,
            category="HW31",
            quantity_t=Decimal("0.05"),
        ),
        city_bureau,
    )
    approval = await create_approval(
        db.uow(),
        CreateApproval(
            number="CQ-ZY-2026-0001",
            generator=AUTO_REPAIR,
            receiver=NEIJIANG_LEAD,
            waste_codes=["900-052-31"],
            method="R4",
            quantity_t=Decimal("1"),
            valid_from=date(2026, 12, 1),
            valid_to=date(2026, 12, 31),
        ),
        sichuan_bureau,
    )
    assert approval.kind == "approval"
    small = await battery_manifest(db, "40.000")
    await dispatch(db.uow(), small, VEHICLE, hazmat)  # fits the category white-list entry
    big = await battery_manifest(db, "300.000")
    shipped = await dispatch(db.uow(), big, VEHICLE, hazmat)  # beyond the list: the approval covers it
    assert shipped.transfer_basis[0]["id"] == "CQ-ZY-2026-0001"
    usage = {q.id: q for q in await list_quotas(db.uow())}
    assert usage["WL-SMALL"].used_t == Decimal("0.040") and usage["CQ-ZY-2026-0001"].used_t == Decimal("0.300")
    clock.set(clock.now + timedelta(days=30))  # 2027-01-03: both expired
    late = await battery_manifest(db, "10.000")
    await refused_without_writing(db, Forbidden, dispatch(db.uow(), late, VEHICLE, hazmat), "covers")


async def test_quota_management_rules(db: Database) -> None:
    make = CreateWhiteListEntry(
        id="WL-R",
        year=2026,
        origin_province="50",
        destination_province="51",
        receiver=NEIJIANG_LEAD,
        waste_code="900-052-31",
        quantity_t=Decimal(1),
    )
    await refused_without_writing(db, Forbidden, create_white_list_entry(db.uow(), make, district_bureau))
    await refused_without_writing(db, Forbidden, create_white_list_entry(db.uow(), make, hospital))
    await refused_without_writing(
        db,
        InvalidInput,
        create_white_list_entry(db.uow(), make.model_copy(update={"receiver": TONGXING}), city_bureau),
        "not in province 51",
    )
    await create_white_list_entry(db.uow(), make, city_bureau)
    await refused_without_writing(
        db, InvalidInput, create_white_list_entry(db.uow(), make, city_bureau), "already exists"
    )
    amended = await amend_quota(db.uow(), "WL-R", AmendQuota(quantity_t=Decimal(2), reason="second half"), city_bureau)
    assert amended.listed_t == Decimal("2.000") and amended.version == 2
    await refused_without_writing(
        db,
        InvalidInput,
        create_approval(
            db.uow(),
            CreateApproval(
                number="A-1",
                generator=AUTO_REPAIR,
                receiver=NEIJIANG_LEAD,
                waste_codes=["900-052-31"],
                quantity_t=Decimal(1),
                valid_from=date(2026, 1, 1),
                valid_to=date(2027, 1, 31),
            ),
            city_bureau,
        ),
        "12 months",
    )
    await refused_without_writing(
        db,
        InvalidInput,
        create_approval(
            db.uow(),
            CreateApproval(
                number="A-2",
                generator=YUZHONG_HOSPITAL,
                receiver=TONGXING,
                waste_codes=["841-001-01"],
                quantity_t=Decimal(1),
                valid_from=date(2026, 1, 1),
                valid_to=date(2026, 6, 30),
            ),
            city_bureau,
        ),
        "same province",
    )


async def test_concurrent_dispatches_never_overspend_a_shared_quota(db: Database) -> None:
    await create_white_list_entry(
        db.uow(),
        CreateWhiteListEntry(
            id="WL-RACE",
            year=2026,
            origin_province="50",
            destination_province="51",
            receiver=NEIJIANG_LEAD,
            waste_code="900-052-31",
            quantity_t=Decimal("0.3"),
        ),
        city_bureau,
    )
    numbers = [await battery_manifest(db, "100.000") for _ in range(5)]

    async def try_dispatch(number: str) -> bool:
        # A client retries on a version conflict, as the API tells it to.
        for _ in range(10):
            try:
                await dispatch(db.uow(), number, VEHICLE, hazmat)
                return True
            except QuotaExceeded:
                return False
            except LedgerError as exc:
                if exc.code != "version-conflict" and exc.code != "conflict":
                    raise
        raise AssertionError("never settled")

    results = await asyncio.gather(*(try_dispatch(n) for n in numbers))
    assert results.count(True) == 3
    [usage] = [q for q in await list_quotas(db.uow()) if q.id == "WL-RACE"]
    assert usage.used_t == Decimal("0.300") and usage.remaining_t == Decimal("0.000")


async def test_system_actor_can_step_in(db: Database) -> None:
    number, _ = await draft(db, 1)
    signed = await sign_as_generator(db.uow(), number, SYSTEM)
    assert signed.signatures["generator"]["user"] == "system"


@pytest.mark.parametrize(("field", "value"), [("id", "WL 2026 001"), ("id", "WL-2026-００１"), ("category", "HW٣١")])
def test_white_list_identifiers_keep_their_pattern(field: str, value: str) -> None:
    entry = {
        "id": "WL-2026-TEST-001",
        "year": 2026,
        "origin_province": "50",
        "destination_province": "51",
        "receiver": NEIJIANG_LEAD,
        "category": "HW31",
        "quantity_t": "0.5",
    }
    assert CreateWhiteListEntry.model_validate(entry).id == "WL-2026-TEST-001"
    with pytest.raises(ValidationError, match="pattern"):
        CreateWhiteListEntry.model_validate({**entry, field: value})
