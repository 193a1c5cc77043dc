"""The event-store contract, run on every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger.actors import SYSTEM
from ledger.canonical import GENESIS_HASH
from ledger.errors import VersionConflict
from ledger.integrity import create_checkpoint, verify_ledger
from ledger.store import NewEvent
from ledger.unit_of_work import Database
from tests.conftest import FakeClock


async def append(db: Database, stream: str, expected: int, *types: str) -> list[int]:
    async with db.uow() as uow:
        events = [NewEvent(t, {"n": i, "text": "医疗废物"}, uow.now()) for i, t in enumerate(types)]
        recorded = await uow.events.append(stream, expected, events, actor=SYSTEM, recorded_at=uow.now())
        await uow.commit()
        return [e.seq for e in recorded]


async def test_append_chains_versions_and_hashes(db: Database) -> None:
    await append(db, "test:a", 0, "t.one", "t.two")
    await append(db, "test:a", 2, "t.three")
    async with db.uow() as uow:
        events = await uow.events.read("test:a")
    assert [e.version for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 3
    assert events[0].payload == {"n": 0, "text": "医疗废物"}
    assert events[0].recorded_at.tzinfo is not None


async def test_global_sequence_orders_across_streams(db: Database, clock: FakeClock) -> None:
    first = await append(db, "test:x", 0, "t.a")
    clock.advance(seconds=1)
    second = await append(db, "test:y", 0, "t.a")
    third = await append(db, "test:x", 1, "t.b")
    assert first[0] < second[0] < third[0]


async def test_stale_expected_version_is_a_conflict_and_writes_nothing(db: Database) -> None:
    await append(db, "test:c", 0, "t.one")
    with pytest.raises(VersionConflict):
        await append(db, "test:c", 0, "t.again")
    async with db.uow() as uow:
        assert [e.type for e in await uow.events.read("test:c")] == ["t.one"]


async def test_two_writers_racing_on_one_stream_exactly_one_wins(db: Database) -> None:
    await append(db, "test:race", 0, "t.start")
    for round_ in range(10):
        results = await asyncio.gather(
            append(db, "test:race", round_ + 1, "t.writer-a"),
            append(db, "test:race", round_ + 1, "t.writer-b"),
            return_exceptions=True,
        )
        conflicts = [r for r in results if isinstance(r, VersionConflict)]
        successes = [r for r in results if isinstance(r, list)]
        assert len(successes) == 1 and len(conflicts) == 1, results
    async with db.uow() as uow:
        events = await uow.events.read("test:race")
    assert [e.version for e in events] == list(range(1, 12))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_event SET payload = '{}'",
        "DELETE FROM ledger_event",
        "UPDATE ledger_checkpoint SET hash = 'x'",
        "DELETE FROM ledger_checkpoint",
    ],
)
async def test_database_refuses_update_and_delete(db: Database, statement: str) -> None:
    await append(db, "test:immutable", 0, "t.one")
    await create_checkpoint(db.uow())
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as connection:
            await connection.execute(text(statement))
    report = await verify_ledger(db.uow())
    assert report.ok and report.events >= 1


async def test_emptying_the_whole_log_is_refused(db: Database) -> None:
    await append(db, "test:immutable", 0, "t.one")
    # SQLite has no TRUNCATE; its unqualified DELETE is the equivalent (and triggers disable that shortcut).
    statement = "TRUNCATE ledger_event" if db.dialect == "postgresql" else "DELETE FROM ledger_event"
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as connection:
            await connection.execute(text(statement))
    async with db.uow() as uow:
        assert await uow.events.count() >= 1


async def _tamper(db: Database, statement: str, **params: object) -> None:
    """Change the log behind the ledger's back, with its triggers out of the way."""
    async with db.engine.begin() as connection:
        if db.dialect == "postgresql":
            await connection.execute(text("ALTER TABLE ledger_event DISABLE TRIGGER USER"))
            await connection.execute(text(statement), params)
            await connection.execute(text("ALTER TABLE ledger_event ENABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER IF EXISTS ledger_event_no_update"))
            await connection.execute(text("DROP TRIGGER IF EXISTS ledger_event_no_delete"))
            await connection.execute(text(statement), params)


async def test_verify_names_the_first_tampered_event(db: Database) -> None:
    await append(db, "test:p", 0, "t.one", "t.two", "t.three")
    seqs = await append(db, "test:q", 0, "t.one", "t.two")
    assert (await verify_ledger(db.uow())).ok
    tamper = "UPDATE ledger_event SET payload = :payload WHERE seq = :seq"
    await _tamper(db, tamper, payload='{"n":9}', seq=seqs[0])
    await _tamper(db, tamper, payload='{"n":8}', seq=seqs[1])
    report = await verify_ledger(db.uow())
    assert not report.ok
    first = report.first_problem
    assert first is not None and first.seq == seqs[0]
    assert "altered" in first.reason and "test:q v1" in first.where


async def test_checkpoint_reveals_a_deleted_stream(db: Database, clock: FakeClock) -> None:
    await append(db, "test:keep", 0, "t.one")
    doomed = await append(db, "test:doomed", 0, "t.one")
    checkpoint = await create_checkpoint(db.uow())
    assert checkpoint is not None and checkpoint.event_count >= 2
    clock.advance(minutes=5)
    assert await create_checkpoint(db.uow()) is None  # nothing new to seal
    await append(db, "test:keep", 1, "t.two")
    later = await create_checkpoint(db.uow())
    assert later is not None and later.prev_hash == checkpoint.hash and later.event_count == 1
    assert (await verify_ledger(db.uow())).ok
    # Deleting a whole stream leaves every remaining stream chain intact: only the checkpoint notices.
    await _tamper(db, "DELETE FROM ledger_event WHERE seq = :seq", seq=doomed[0])
    report = await verify_ledger(db.uow())
    assert not report.ok
    assert any("sealed" in p.reason for p in report.problems)


async def test_occurred_and_recorded_times_round_trip_exactly(db: Database, clock: FakeClock) -> None:
    clock.set(clock.now + timedelta(microseconds=123457))
    await append(db, "test:time", 0, "t.one")
    async with db.uow() as uow:
        [event] = await uow.events.read("test:time")
    assert event.recorded_at == clock.now
    assert (await verify_ledger(db.uow())).ok
