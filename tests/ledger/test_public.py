"""The public verification views: what a phone sees, and whether a printed manifest still matches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from ledger.errors import NotFound
from ledger.public import check_manifest, public_container
from ledger.shipments import ReceiveContainer, get_shipment, receive_container
from ledger.unit_of_work import Database
from tests.ledger.test_scenario import tongxing
from tests.ledger.test_shipments import delivered


async def test_public_view_shows_no_weights_or_people_and_verifies_the_chain(db: Database) -> None:
    number, codes = await delivered(db, 1)
    await receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing)
    view = await public_container(db.uow(), codes[0])
    dumped = view.model_dump()
    assert view.status == "received" and view.plant_name_zh and view.chain_verifies and view.events == 3
    assert view.category == "HW01" and view.waste_name_zh == "感染性废物"
    assert not {"weight_kg", "generator", "custodian", "actor_user", "shipment_number"} & set(dumped)
    # Someone edits the stored payload behind the ledger's back: the page says the chain no longer verifies.
    async with db.engine.begin() as connection:
        if db.dialect == "postgresql":
            await connection.execute(text("ALTER TABLE ledger_event DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER IF EXISTS ledger_event_no_update"))
        await connection.execute(
            text(
                "UPDATE ledger_event SET payload = replace(payload, '\"5\"', '\"4\"') "
                "WHERE stream = :code AND type = 'container.received'"
            ),
            {"code": codes[0]},
        )
    assert not (await public_container(db.uow(), codes[0])).chain_verifies


async def test_printed_manifest_matches_until_the_ledger_moves_on(db: Database) -> None:
    number, codes = await delivered(db, 1)
    printed = (await get_shipment(db.uow(), number)).content_hash
    assert (await check_manifest(db.uow(), number, printed)).matches
    assert not (await check_manifest(db.uow(), number, "0" * 64)).matches
    await receive_container(db.uow(), ReceiveContainer(shipment=number, code=codes[0], weight_kg=Decimal(5)), tongxing)
    assert not (await check_manifest(db.uow(), number, printed)).matches  # a receipt weight was added since
    with pytest.raises(NotFound):
        await check_manifest(db.uow(), number[:-6] + "999999", printed)
