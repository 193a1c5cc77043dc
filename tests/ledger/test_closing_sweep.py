"""The closing sweep: a received manifest whose last disposals raced past the inline close is closed by the
``close_shipments`` job, exactly once, and nothing else is."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import text

from jobs.scheduler import JOBS, build_scheduler, run_named_job, schedules
from jobs.settings import JobsSettings
from ledger.actors import SYSTEM
from ledger.integrity import verify_ledger
from ledger.monitoring.job_runs import list_job_runs
from ledger.shipments import (
    DisposeContainers,
    ReceiveContainer,
    RefuseContainer,
    ShipmentStatus,
    SignReceipt,
    close_finished_shipments,
    close_if_done,
    dispose_container_in,
    dispose_containers_in,
    finished_shipments,
    get_shipment,
    receive_container,
    refuse_container,
    shipment_stream,
    sign_receipt,
)
from ledger.unit_of_work import Database
from tests.ledger.test_scenario import tongxing
from tests.ledger.test_shipments import delivered, event_count

SLOT = "2026-12-04T02:05:00Z"


async def received(db: Database, count: int = 2, *, refuse: int = 0) -> tuple[str, list[str]]:
    """A manifest signed for at Tongxing: the first ``refuse`` containers refused, the others accepted."""
    number, codes = await delivered(db, count)
    for code in codes[:refuse]:
        await refuse_container(db.uow(), RefuseContainer(shipment=number, code=code, reason="torn bag"), tongxing)
    for code in codes[refuse:]:
        await receive_container(db.uow(), ReceiveContainer(shipment=number, code=code, weight_kg=Decimal(5)), tongxing)
    await sign_receipt(db.uow(), number, SignReceipt(), tongxing)
    return number, codes


async def disposed_without_closing(db: Database, codes: list[str]) -> None:
    """Dispose of ``codes`` as two racing requests leave them: each container disposed, no manifest closed
    (``dispose_container_in`` leaves closing to its caller, and this caller does not)."""
    async with db.uow() as uow:
        for code in codes:
            await dispose_container_in(uow, code, "Y10", "", uow.now(), tongxing, field="code")
        await uow.commit()


async def status_of(db: Database, number: str) -> ShipmentStatus:
    return (await get_shipment(db.uow(), number)).shipment.status


async def closings(db: Database, number: str) -> list[tuple[str | None, int]]:
    """The manifest's ``shipment.closed`` events: (actor's user, containers disposed)."""
    async with db.uow() as uow:
        events = await uow.events.read(shipment_stream(number))
    return [(e.actor_user, e.payload["containers_disposed"]) for e in events if e.type == "shipment.closed"]


async def test_the_sweep_closes_a_manifest_left_open_by_racing_disposals_once(db: Database) -> None:
    number, codes = await received(db, 2)
    await disposed_without_closing(db, codes)
    assert await status_of(db, number) == ShipmentStatus.RECEIVED

    before = await event_count(db)
    assert await close_finished_shipments(db) == [number]
    assert await status_of(db, number) == ShipmentStatus.CLOSED
    assert await closings(db, number) == [("system", 2)]
    assert await event_count(db) == before + 1

    # Once closed, the manifest is no candidate any more: a second sweep finds nothing and writes nothing.
    assert await close_finished_shipments(db) == []
    assert await event_count(db) == before + 1
    assert (await verify_ledger(db.uow())).ok


async def test_the_sweep_leaves_open_what_is_not_finished(db: Database) -> None:
    waiting, waiting_codes = await received(db, 2)
    await disposed_without_closing(db, waiting_codes[:1])  # one accepted container still 'received'
    partly_refused, refused_codes = await received(db, 2, refuse=1)
    await disposed_without_closing(db, refused_codes[1:])  # the refused one never blocks closing
    on_the_road, _ = await delivered(db, 1)  # not signed for: closes only after the receipt

    assert await finished_shipments(db.uow()) == [partly_refused]
    assert await close_finished_shipments(db) == [partly_refused]
    assert await status_of(db, waiting) == ShipmentStatus.RECEIVED
    assert await status_of(db, on_the_road) == ShipmentStatus.DELIVERED
    assert await closings(db, partly_refused) == [("system", 1)]
    assert await closings(db, waiting) == []

    # Its last container disposed the ordinary way, the waiting manifest closes inline; the sweep adds nothing.
    async with db.uow() as uow:
        await dispose_containers_in(uow, DisposeContainers(codes=waiting_codes[1:], method="Y10"), tongxing)
        await uow.commit()
    assert await closings(db, waiting) == [("gate.zhao", 2)]
    assert await close_finished_shipments(db) == []


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_two_last_disposals_in_concurrent_transactions_leave_the_closing_to_the_sweep(db: Database) -> None:
    # The race itself (PostgreSQL only: SQLite serialises writers, so there the second disposal sees the first).
    # Each request disposes one of the last two containers in its own transaction and reads the other one as
    # still 'received', because the other transaction has not committed yet.
    number, codes = await received(db, 2)
    async with db.uow() as first, db.uow() as second:
        await dispose_containers_in(first, DisposeContainers(codes=codes[:1], method="Y10"), tongxing)
        await dispose_containers_in(second, DisposeContainers(codes=codes[1:], method="Y10"), tongxing)
        await first.commit()
        await second.commit()
    assert await status_of(db, number) == ShipmentStatus.RECEIVED
    assert await close_finished_shipments(db) == [number]
    assert await closings(db, number) == [("system", 2)]


async def waiting_on_a_lock(db: Database) -> None:
    for _ in range(500):
        async with db.uow() as probe:
            query = text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if (await probe.session.execute(query)).scalar_one():
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the sweep never waited for the open transaction")


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_manifest_closed_meanwhile_is_skipped_and_the_others_still_close(db: Database) -> None:
    contested, contested_codes = await received(db, 1)
    other, other_codes = await received(db, 1)
    await disposed_without_closing(db, [*contested_codes, *other_codes])
    async with db.uow() as plant:
        # The plant closes the contested manifest in a transaction still open when the sweep gets to it: the
        # sweep's closing event waits on the plant's, then collides with it once the plant commits.
        await close_if_done(plant, contested, tongxing)
        sweep = asyncio.create_task(close_finished_shipments(db))
        await waiting_on_a_lock(db)
        await plant.commit()
    assert await sweep == [other]
    assert await closings(db, contested) == [("gate.zhao", 1)]
    assert await closings(db, other) == [("system", 1)]


async def test_the_sweep_is_a_scheduled_job_and_its_runs_are_recorded(db: Database) -> None:
    planned = {s.job: s.spec for s in schedules(db, JobsSettings())}
    assert planned["close_shipments"] == "every 5m"
    assert "close_shipments" in {job.id for job in build_scheduler(db, JobsSettings()).get_jobs()}
    configured = JobsSettings.from_env({"WASTELEDGER_SCHEDULE_CLOSE_SHIPMENTS": "off"})
    assert "close_shipments" not in {s.job for s in schedules(db, configured)}
    assert "close_shipments" in JOBS

    number, codes = await received(db, 2)
    await disposed_without_closing(db, codes)
    result = await run_named_job(db, "close_shipments", JobsSettings(), slot=SLOT, trigger="schedule")
    assert (result.outcome, result.counts) == ("ok", {"closed": 1})
    assert await status_of(db, number) == ShipmentStatus.CLOSED
    # The same slot runs once; the next one finds nothing left to close.
    assert (await run_named_job(db, "close_shipments", JobsSettings(), slot=SLOT)).outcome == "skipped"
    later = await run_named_job(db, "close_shipments", JobsSettings(), slot="2026-12-04T02:10:00Z")
    assert later.counts == {"closed": 0}
    runs = await list_job_runs(db.uow(), SYSTEM, job="close_shipments")
    assert sorted((r.slot, r.outcome, r.counts["closed"]) for r in runs) == [
        (SLOT, "ok", 1),
        ("2026-12-04T02:10:00Z", "ok", 0),
    ]
