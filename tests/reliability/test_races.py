"""Races: concurrent writers on the same container, codes, manifest numbers and quotas (issue 8 §3)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from ledger.actors import Actor
from ledger.containers import get_container
from ledger.errors import LedgerError
from ledger.integrity import verify_ledger
from ledger.lifecycle import ContainerStatus
from ledger.scans import ScanAction, ScanIn, ScanResult, record_scan
from ledger.shipments import ReceiveContainer, receive_container
from ledger.unit_of_work import Database
from tests.ledger.test_scenario import tongxing
from tests.ledger.test_shipments import delivered, wanzhou

ROUNDS = 100


async def test_the_same_container_received_concurrently_exactly_one_wins(db: Database) -> None:
    number, codes = await delivered(db, ROUNDS)

    async def attempt(code: str, plant: Actor, kg: str) -> str:
        try:
            await receive_container(
                db.uow(), ReceiveContainer(shipment=number, code=code, weight_kg=Decimal(kg)), plant
            )
            return "ok"
        except LedgerError as exc:
            return exc.code

    for code in codes:
        # The consigned plant twice (two scanners at two gates) and another plant, all at once.
        outcomes = await asyncio.gather(
            attempt(code, tongxing, "5.000"), attempt(code, tongxing, "5.100"), attempt(code, wanzhou, "5.000")
        )
        assert outcomes.count("ok") == 1, (code, outcomes)
        assert outcomes[2] == "not-found"  # another plant cannot even tell the manifest exists
        assert set(outcomes[:2]) - {"ok"} <= {"version-conflict", "illegal-transition", "conflict"}
    for code in codes[:5]:
        detail = await get_container(db.uow(), code)
        assert detail.container.status == ContainerStatus.RECEIVED
        assert [e.type for e in detail.history].count("container.received") == 1
    assert (await verify_ledger(db.uow())).ok


async def test_one_receive_scan_resent_concurrently_is_answered_alike_every_time(db: Database) -> None:
    """A scanner that resends a receive scan on several connections at once: one records, the others get the
    first answer back, never an error. (Before the fix a resend that had looked for a replay just before the
    first one committed then found the container received and answered 409 illegal-transition.)"""
    number, codes = await delivered(db, 20)
    for code in codes:
        once = ScanIn.model_validate(
            {
                "scan_id": uuid.uuid4(),
                "text": code,
                "action": ScanAction.RECEIVE,
                "shipment": number,
                "weight_kg": Decimal("5.000"),
                "scanned_at": db.clock(),
            }
        )

        async def resend(after_ms: float, scan: ScanIn = once) -> ScanResult:
            # Staggered by a fraction of a transaction, so that some resends look for a replay just before the
            # first one commits and reach the container just after.
            await asyncio.sleep(after_ms / 1000)
            return await record_scan(db, scan, tongxing)

        answers = await asyncio.gather(*(resend(i * 0.7) for i in range(8)), return_exceptions=True)
        assert all(isinstance(a, ScanResult) for a in answers), answers
        assert sum(not a.duplicate for a in answers if isinstance(a, ScanResult)) == 1
    assert (await verify_ledger(db.uow())).ok
