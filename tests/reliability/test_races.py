"""Races: concurrent writers on the same container, codes, manifest numbers and quotas (issue 8 §3)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from ledger.containers import get_container
from ledger.errors import LedgerError
from ledger.integrity import verify_ledger
from ledger.lifecycle import ContainerStatus
from ledger.shipments import ReceiveContainer, receive_container
from ledger.unit_of_work import Database
from tests.ledger.test_scenario import tongxing
from tests.ledger.test_shipments import delivered, wanzhou

ROUNDS = 100


async def test_the_same_container_received_concurrently_exactly_one_wins(db: Database) -> None:
    number, codes = await delivered(db, ROUNDS)

    async def attempt(code: str, plant: object, kg: str) -> str:
        try:
            await receive_container(db.uow(), ReceiveContainer(shipment=number, code=code, weight_kg=Decimal(kg)),
                                    plant)  # type: ignore[arg-type]
            return "ok"
        except LedgerError as exc:
            return exc.code

    for code in codes:
        # The consigned plant twice (two scanners at two gates) and another plant, all at once.
        outcomes = await asyncio.gather(attempt(code, tongxing, "5.000"), attempt(code, tongxing, "5.100"),
                                        attempt(code, wanzhou, "5.000"))
        assert outcomes.count("ok") == 1, (code, outcomes)
        assert outcomes[2] == "forbidden"
        assert set(outcomes[:2]) - {"ok"} <= {"version-conflict", "illegal-transition", "conflict"}
    for code in codes[:5]:
        detail = await get_container(db.uow(), code)
        assert detail.container.status == ContainerStatus.RECEIVED
        assert [e.type for e in detail.history].count("container.received") == 1
    assert (await verify_ledger(db.uow())).ok
