"""The public verification views (ledger/public.py) leak nothing private, whatever state a container is in.

A phone that scans a label sees the waste, the status, the plant and the dates, and whether the chain verifies:
never a weight, a person, an organisation's contact, a carrier, a vehicle or a manifest number. The HTML pages
that show these views come from the dashboard; this is the service level they are built on.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger.containers import VoidContainer, get_container, register_container, void_container
from ledger.errors import NotFound
from ledger.public import check_manifest, public_container
from ledger.shipments import DisposeContainers, dispose_containers, get_shipment
from ledger.tables import Organisation, User
from ledger.unit_of_work import Database
from tests.builders import registration
from tests.routes.world import CENTRAL_TRANSPORTER, TONGXING, YUZHONG_HOSPITAL, build_world, hospital_a, plant

#: Everything the public view may show, and nothing else.
PUBLIC_FIELDS = {
    "code",
    "category",
    "category_name_zh",
    "category_name_en",
    "waste_code",
    "waste_name_zh",
    "medical",
    "status",
    "packed_on",
    "generator_division",
    "plant_name_zh",
    "plant_name_en",
    "collected_on",
    "received_on",
    "disposed_on",
    "method",
    "events",
    "chain_verifies",
}


async def private_strings(db: Database, codes: list[str]) -> set[str]:
    """What must never show: the parties' USCCs and particulars, users, weights, vehicles, drivers."""
    strings: set[str] = {CENTRAL_TRANSPORTER, TONGXING, "渝A12345", "李"}
    async with db.uow() as uow:
        for uscc in (YUZHONG_HOSPITAL, CENTRAL_TRANSPORTER, TONGXING):
            org = await uow.session.get(Organisation, uscc)
            assert org is not None
            strings |= {s for s in (org.address, org.contact, org.phone) if s}
        strings |= {u.username for u in (await uow.session.execute(select(User))).scalars()}
    for code in codes:
        detail = await get_container(db.uow(), code)
        for event in detail.history:
            strings |= {s for s in (event.actor_user, event.hash, event.prev_hash) if s}
            for key in ("weight_kg", "declared_kg"):
                if key in event.payload:
                    strings.add(str(event.payload[key]))
        strings.add(str(detail.container.weight_kg))
        if detail.container.shipment_number:
            strings.add(detail.container.shipment_number)
    strings.discard("")
    return strings


async def test_no_state_of_a_container_shows_anything_private(db: Database) -> None:
    world = await build_world(db)
    await dispose_containers(db.uow(), DisposeContainers(codes=[world.a_received], method="Y10", line="1"), plant)
    voided = await register_container(db.uow(), registration(YUZHONG_HOSPITAL, weight="2.345"), hospital_a)
    await void_container(db.uow(), VoidContainer(code=voided.code, reason="misprinted"), hospital_a)
    codes = {
        "registered": world.a_registered,
        "collected": world.a_collected,
        "disposed": world.a_received,
        "voided": voided.code,
    }
    secrets = await private_strings(db, list(codes.values()))
    for state, code in codes.items():
        view = await public_container(db.uow(), code)
        assert view.status == state and view.chain_verifies
        shown = view.model_dump(mode="json")
        assert set(shown) == PUBLIC_FIELDS, set(shown) ^ PUBLIC_FIELDS
        # The code itself starts with the generator's USCC (HJ 1276 prints it on the label); everything else
        # is checked as text.
        text = json.dumps({k: v for k, v in shown.items() if k != "code"}, ensure_ascii=False)
        leaked = sorted(s for s in secrets if len(s) >= 3 and s in text)
        assert not leaked, (state, leaked)
        assert YUZHONG_HOSPITAL not in text


async def test_public_lookups_of_unknown_things_say_only_unknown(db: Database) -> None:
    world = await build_world(db)
    with pytest.raises(NotFound) as unknown:
        await public_container(db.uow(), world.a_registered[:-3] + "999")
    assert unknown.value.field == "code"
    printed = (await get_shipment(db.uow(), world.shipment)).content_hash
    check = await check_manifest(db.uow(), world.shipment, printed)
    assert check.matches and set(check.model_dump()) == {"number", "matches", "status", "checked_at"}
    # A forged hash learns nothing but "does not match": no content, no hash to copy.
    forged = await check_manifest(db.uow(), world.shipment, "0" * 64)
    assert not forged.matches and printed not in forged.model_dump_json()
    with pytest.raises(NotFound):
        await check_manifest(db.uow(), world.shipment[:-6] + "999999", printed)


async def test_a_public_view_reads_nothing_it_does_not_show(db: Database) -> None:
    """The view takes no actor: it is the same for everyone, however the code is typed."""
    world = await build_world(db)
    first = await public_container(db.uow(), world.a_collected)
    again = await public_container(db.uow(), world.a_collected.lower())
    assert first == again
    assert Decimal("4.1") not in first.model_dump().values()
