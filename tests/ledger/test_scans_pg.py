"""The PostgreSQL scan path (ledger.scans_pg): the same answers as the unit of work, in sets of scans.

Every test here runs on PostgreSQL only: that path exists only there (SQLite scans run through the unit of work,
which tests/ledger/test_scans.py covers on both backends).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger import scans_pg
from ledger.accounts import PresentedToken, Unauthenticated, issue_token, load_demo_users, revoke_token
from ledger.actors import Actor
from ledger.containers import load_container
from ledger.errors import LedgerError
from ledger.integrity import verify_ledger
from ledger.lifecycle import ContainerStatus
from ledger.scans import ScanAction, ScanIn, ScanResult, record_scan, record_scan_in, record_scans
from ledger.shipments import SignReceipt, get_shipment, sign_receipt
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.ledger.test_scenario import tongxing, transporter
from tests.ledger.test_shipments import delivered, draft, event_count, register, wanzhou

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


def scan(text: str, action: ScanAction, clock: FakeClock, **fields: Any) -> ScanIn:
    return ScanIn.model_validate(
        {"scan_id": uuid.uuid4(), "text": text, "action": action, "scanned_at": clock.now, **fields}
    )


async def through_unit_of_work(db: Database, sent: ScanIn, actor: Actor) -> ScanResult | LedgerError:
    """The unit-of-work path's answer, rolled back."""
    async with db.uow() as uow:
        try:
            return await record_scan_in(uow, sent, actor)
        except LedgerError as exc:
            return exc


async def through_statements(db: Database, sent: ScanIn, actor: Actor) -> Any:
    async with db.statement_connection() as connection:
        [outcome] = await scans_pg._record_many(db, connection, [(sent, actor)])
    return outcome


def count_sets(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every set of scans read from now on (one-by-one second rounds are sets of one)."""
    sets: list[int] = []
    record_many = scans_pg._record_many

    async def counted(db: Database, connection: Any, items: Any) -> Any:
        sets.append(len(items))
        return await record_many(db, connection, items)

    monkeypatch.setattr(scans_pg, "_record_many", counted)
    return sets


async def test_every_refusal_is_the_unit_of_work_paths_own(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered(db, 3)
    stray = await register(db)
    draft_number, draft_codes = await draft(db, 1)
    first = await record_scan(db, scan(codes[0], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5), tongxing)
    assert first.status == ContainerStatus.RECEIVED
    unknown = codes[1][:-3] + "999"
    receive: dict[str, Any] = {"shipment": number, "weight_kg": Decimal(5)}
    cases: list[tuple[str, ScanIn, Actor]] = [
        ("never issued", scan(unknown, ScanAction.RECEIVE, clock, **receive), tongxing),
        ("not a code", scan("hello", ScanAction.RECEIVE, clock, **receive), tongxing),
        ("not on the manifest", scan(stray, ScanAction.RECEIVE, clock, **receive), tongxing),
        ("the transporter receives", scan(codes[1], ScanAction.RECEIVE, clock, **receive), transporter),
        ("another plant", scan(codes[1], ScanAction.RECEIVE, clock, **receive), wanzhou),
        (
            "unknown manifest",
            scan(codes[1], ScanAction.RECEIVE, clock, shipment="20269999000001", weight_kg=5),
            tongxing,
        ),
        (
            "draft manifest",
            scan(draft_codes[0], ScanAction.RECEIVE, clock, shipment=draft_number, weight_kg=5),
            tongxing,
        ),
        ("no weight", scan(codes[1], ScanAction.RECEIVE, clock, shipment=number), tongxing),
        ("no reason", scan(codes[1], ScanAction.REFUSE, clock, shipment=number), tongxing),
        ("received twice", scan(codes[0], ScanAction.RECEIVE, clock, **receive), tongxing),
        (
            "from the future",
            scan(codes[1], ScanAction.RECEIVE, clock, **receive).model_copy(
                update={"scanned_at": clock.now + timedelta(hours=2)}
            ),
            tongxing,
        ),
        ("dispose, no method", scan(codes[0], ScanAction.DISPOSE, clock), tongxing),
        ("dispose, wrong family", scan(codes[0], ScanAction.DISPOSE, clock, method="R1"), tongxing),
        ("dispose, not in custody", scan(codes[1], ScanAction.DISPOSE, clock, method="Y10"), tongxing),
        ("dispose, another plant", scan(codes[0], ScanAction.DISPOSE, clock, method="Y10"), wanzhou),
    ]
    before = await event_count(db)
    for name, sent, actor in cases:
        expected = await through_unit_of_work(db, sent, actor)
        got = await through_statements(db, sent, actor)
        assert isinstance(expected, LedgerError), name
        assert (type(got), got.field) == (type(expected), expected.field), name
        assert str(got) == str(expected), name
    assert await event_count(db) == before


async def test_a_token_is_looked_up_in_the_scans_own_read(db: Database, clock: FakeClock) -> None:
    await load_demo_users(db.uow())
    issued = await issue_token(db.uow(), "tongxing.operator", timedelta(days=1))
    number, codes = await delivered(db, 2)
    token = PresentedToken.of(issued.token)
    result = await record_scan(db, scan(codes[0], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5), token)
    assert result.status == ContainerStatus.RECEIVED
    await revoke_token(db.uow(), issued.id)
    before = await event_count(db)
    with pytest.raises(Unauthenticated, match="revoked"):
        await record_scan(db, scan(codes[1], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5), token)
    with pytest.raises(Unauthenticated, match="not known"):
        await record_scan(
            db,
            scan(codes[1], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5),
            PresentedToken.of("wl_" + "x" * 43),
        )
    assert await event_count(db) == before


async def test_scans_arriving_together_share_statements(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, codes = await delivered(db, 24)
    sets = count_sets(monkeypatch)
    sent = [scan(code, ScanAction.RECEIVE, clock, shipment=number, weight_kg=5) for code in codes]
    # The same container twice at once (two gates): exactly one receives it.
    twice = scan(codes[0], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5)
    results = await asyncio.gather(*(record_scan(db, s, tongxing) for s in [*sent, twice]), return_exceptions=True)
    assert all(isinstance(r, ScanResult) for r in results[:-1]), results
    assert type(results[-1]).__name__ == "IllegalTransition"
    assert len(sets) < len(sent), sets  # they went in sets, not one by one
    async with db.uow() as uow:
        report = await verify_ledger(uow)
        assert report.ok, report.problems
        statuses = {(await load_container(uow, code)).status for code in codes}
    assert statuses == {ContainerStatus.RECEIVED}


async def test_a_batch_keeps_each_containers_steps_in_order(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered(db, 3)
    batch = [
        scan(codes[0], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5),
        scan(codes[0], ScanAction.DISPOSE, clock, method="Y10"),  # the same container: after its receipt
        scan(codes[1], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5),
        scan(codes[2], ScanAction.REFUSE, clock, shipment=number, reason="leaking"),
        scan(codes[1], ScanAction.RECEIVE, clock, shipment=number, weight_kg=5),  # twice: refused
    ]
    answers = await record_scans(db, batch, tongxing)
    assert [a.status if isinstance(a, ScanResult) else type(a).__name__ for a in answers] == [
        "received",
        "disposed",
        "received",
        "refused",
        "IllegalTransition",
    ]
    async with db.uow() as uow:
        assert (await verify_ledger(uow)).ok


async def test_the_last_disposals_of_a_batch_close_the_manifest(db: Database, clock: FakeClock) -> None:
    number, codes = await delivered(db, 3)
    received = await record_scans(
        db, [scan(code, ScanAction.RECEIVE, clock, shipment=number, weight_kg=5) for code in codes], tongxing
    )
    assert all(isinstance(a, ScanResult) for a in received)
    await sign_receipt(db.uow(), number, SignReceipt(), tongxing)
    disposed = await record_scans(db, [scan(code, ScanAction.DISPOSE, clock, method="Y10") for code in codes], tongxing)
    assert all(isinstance(a, ScanResult) and a.status == ContainerStatus.DISPOSED for a in disposed), disposed
    assert (await get_shipment(db.uow(), number)).shipment.status == "closed"


async def test_disposals_from_one_manifest_share_a_set_without_waiting(
    db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plant burns a manifest's containers one after the other at several lines: those arriving together
    # go in one set; none waits for another (only the one that would close a received manifest would).
    number, codes = await delivered(db, 24)
    received = await record_scans(
        db, [scan(code, ScanAction.RECEIVE, clock, shipment=number, weight_kg=5) for code in codes], tongxing
    )
    assert all(isinstance(a, ScanResult) for a in received)
    sets = count_sets(monkeypatch)
    sent = [scan(code, ScanAction.DISPOSE, clock, method="Y10") for code in codes]
    results = await asyncio.gather(*(record_scan(db, s, tongxing) for s in sent))
    assert {r.status for r in results} == {ContainerStatus.DISPOSED}
    assert sum(sets) == len(sent), sets  # every scan read once: no one-by-one second round
    assert len(sets) < len(sent), sets
