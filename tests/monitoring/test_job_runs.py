"""Job runs: every run recorded; each (job, slot) runs once even when two processes try at the same time;
schedules from configuration; ``wasteledger run-job``."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from jobs.scheduler import JOBS, build_scheduler, parse_schedule, run_named_job, schedules, slot_of
from jobs.settings import JobsSettings
from ledger.actors import SYSTEM
from ledger.config import Settings
from ledger.errors import Forbidden, InvalidInput
from ledger.monitoring.job_runs import list_job_runs, run_job
from ledger.tables import JobRun
from ledger.unit_of_work import Database
from tests.monitoring.helpers import WANZHOU_HOSPITAL, actor, city_regulator
from wasteledger.cli import main

SLOT = "2026-12-04T02:00:00Z"


async def test_every_run_is_recorded_with_its_outcome_and_counts(db: Database) -> None:
    result = await run_named_job(db, "plant_load", JobsSettings(), slot=SLOT, trigger="schedule")
    assert (result.outcome, result.counts["findings"]) == ("ok", 0)
    [run] = await list_job_runs(db.uow(), city_regulator, job="plant_load")
    assert (run.job, run.slot, run.trigger, run.outcome, run.counts["opened"]) == (
        "plant_load",
        SLOT,
        "schedule",
        "ok",
        0,
    )
    assert run.finished_at is not None and run.worker

    async def broken(_: Database) -> Mapping[str, Any]:
        raise RuntimeError("the SMTP relay is on fire")

    failed = await run_job(db, "deliver_outbox", SLOT, broken)
    assert failed.outcome == "failed"
    [run] = await list_job_runs(db.uow(), SYSTEM, job="deliver_outbox")
    assert (run.outcome, run.error) == ("failed", "RuntimeError: the SMTP relay is on fire")
    assert [r.job for r in await list_job_runs(db.uow(), SYSTEM)] == ["deliver_outbox", "plant_load"]
    with pytest.raises(Forbidden):
        await list_job_runs(db.uow(), actor(WANZHOU_HOSPITAL))


async def test_a_slot_runs_once_even_when_two_processes_race(db: Database) -> None:
    # Two "processes": two engines on the same database, firing the same scheduled slot at the same moment.
    other = Database(db.settings, clock=db.clock, catalogue=db.catalogue)
    calls: list[str] = []

    def work(name: str) -> Any:
        async def run(_: Database) -> Mapping[str, Any]:
            calls.append(name)
            await asyncio.sleep(0)  # yield, so the other claim can interleave
            return {"by": name}

        return run

    try:
        results = await asyncio.gather(
            run_job(db, "daily_clearing", SLOT, work("one")), run_job(other, "daily_clearing", SLOT, work("two"))
        )
    finally:
        await other.dispose()
    assert sorted(r.outcome for r in results) == ["ok", "skipped"]
    assert len(calls) == 1
    # Later, a third try of the same slot skips too; the next slot runs.
    assert (await run_job(db, "daily_clearing", SLOT, work("three"))).outcome == "skipped"
    assert (await run_job(db, "daily_clearing", "2026-12-04T02:15:00Z", work("four"))).outcome == "ok"
    async with db.uow() as uow:
        query = select(col(JobRun.slot)).where(col(JobRun.job) == "daily_clearing")
        slots = sorted((await uow.session.execute(query)).scalars())
    assert slots == [SLOT, "2026-12-04T02:15:00Z"]
    assert calls == [calls[0], "four"]


async def test_manual_runs_get_slots_of_their_own(db: Database) -> None:
    first = await run_named_job(db, "deadlines", JobsSettings())
    second = await run_named_job(db, "deadlines", JobsSettings())
    assert (first.outcome, second.outcome) == ("ok", "ok") and first.slot != second.slot
    assert first.slot.startswith("manual:")
    with pytest.raises(InvalidInput):
        await run_named_job(db, "no_such_job", JobsSettings())


def test_schedules_come_from_configuration() -> None:
    db = Database(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    settings = JobsSettings.from_env(
        {"WASTELEDGER_SCHEDULE_PLANT_LOAD": "0 8 * * *", "WASTELEDGER_SCHEDULE_DEADLINES": "off"}
    )
    planned = {s.job: s.spec for s in schedules(db, settings)}
    assert planned == {
        "checkpoint": "every 300s",
        "daily_clearing": "*/15 * * * *",
        "plant_load": "0 8 * * *",
        "deliver_outbox": "every 15s",
        "close_shipments": "every 5m",
    }
    assert set(JOBS) == {"checkpoint", "daily_clearing", "plant_load", "deadlines", "deliver_outbox", "close_shipments"}
    scheduler = build_scheduler(db, settings)
    assert sorted(job.id for job in scheduler.get_jobs()) == sorted(planned)
    with pytest.raises(ValueError, match="plant_load"):
        parse_schedule("plant_load", "every day", db)
    with pytest.raises(ValueError, match="crontab"):
        parse_schedule("plant_load", "61 * * * *", db)


def test_slots_are_the_same_in_every_process() -> None:
    db = Database(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    cron = parse_schedule("plant_load", "*/30 * * * *", db)
    interval = parse_schedule("deliver_outbox", "every 15s", db)
    assert cron is not None and interval is not None
    lookback = timedelta(minutes=5)
    # Two processes waking 0.2 s and 3 s after 10:30 in Chongqing agree on the slot.
    fire = datetime(2026, 12, 4, 2, 30, tzinfo=UTC)
    for delay in (0.2, 3.0):
        assert slot_of(cron.trigger, fire + timedelta(seconds=delay), lookback) == fire
        # Interval schedules are aligned on a fixed epoch, not on each process's start.
        assert slot_of(interval.trigger, fire + timedelta(seconds=delay), lookback) == fire
    assert slot_of(cron.trigger, fire + timedelta(minutes=10), lookback) is None  # no fire time nearby


def test_run_job_from_the_command_line(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASTELEDGER_DATABASE_URL", database_url)
    assert main(["run-job", "daily_clearing"]) == 0
    assert main(["run-job", "daily_clearing", "--slot", SLOT]) == 0
    assert main(["run-job", "daily_clearing", "--slot", SLOT]) == 0  # skipped: already ran
    assert main(["run-job", "no_such_job"]) == 2

    async def runs() -> list[str]:
        db = Database(Settings(database_url=database_url))
        try:
            return [r.outcome for r in await list_job_runs(db.uow(), SYSTEM)]
        finally:
            await db.dispose()

    assert asyncio.run(runs()) == ["ok", "ok"]
