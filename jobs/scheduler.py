"""APScheduler wiring: the jobs call ledger service functions, nothing else.

Schedules live in configuration (:class:`jobs.settings.JobsSettings`), not in an APScheduler job store (its
SQLAlchemy store is synchronous and refuses async URLs). Runs are coordinated in the database instead: every
run claims its (job, slot) row in ``job_run`` first, so with several processes each scheduled run happens
once, and every run is recorded (see :mod:`ledger.monitoring.job_runs`).

The scheduler runs inside the web server by default (the app's lifespan starts and stops it) or on its own
(``wasteledger jobs``; the servers then run with ``--no-scheduler``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from jobs.delivery import deliver_outbox
from jobs.settings import JobsSettings
from ledger.errors import InvalidInput
from ledger.integrity import create_checkpoint
from ledger.monitoring.checks import CHECKS, run_check
from ledger.monitoring.job_runs import RunResult, run_job
from ledger.shipments import close_finished_shipments
from ledger.unit_of_work import Database

log = logging.getLogger(__name__)

JobFunction = Callable[[Database, JobsSettings], Awaitable[Mapping[str, Any]]]

#: Interval schedules are aligned on this instant, so every process computes the same fire times (and slots).
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


async def checkpoint_job(db: Database, _: JobsSettings) -> dict[str, Any]:
    """Seal the events recorded since the last checkpoint."""
    checkpoint = await create_checkpoint(db.uow())
    if checkpoint is None:
        return {"events": 0}
    log.info("checkpoint %s sealed events %s..%s", checkpoint.id, checkpoint.first_seq, checkpoint.last_seq)
    return {"checkpoint": checkpoint.id or 0, "events": checkpoint.event_count}


def _check_job(name: str) -> JobFunction:
    async def job(db: Database, _: JobsSettings) -> dict[str, int]:
        return await run_check(db, name)

    job.__name__ = f"{name}_job"
    return job


async def deliver_job(db: Database, settings: JobsSettings) -> dict[str, int]:
    return await deliver_outbox(db, settings)


async def close_shipments_job(db: Database, _: JobsSettings) -> dict[str, int]:
    """Close received manifests whose last disposals raced past the inline close."""
    closed = await close_finished_shipments(db)
    if closed:
        log.info("closed %d finished manifest(s): %s", len(closed), ", ".join(closed))
    return {"closed": len(closed)}


#: Every job by name: what ``wasteledger run-job NAME`` and the scheduler run.
JOBS: dict[str, JobFunction] = {
    "checkpoint": checkpoint_job,
    **{name: _check_job(name) for name in CHECKS},
    "deliver_outbox": deliver_job,
    "close_shipments": close_shipments_job,
}


@dataclass(frozen=True, slots=True)
class Schedule:
    job: str
    trigger: BaseTrigger
    spec: str


def parse_schedule(job: str, spec: str, db: Database) -> Schedule | None:
    """``every <N>s`` / ``every <N>m``, a 5-field crontab in the ledger's time zone, or ``off`` (None)."""
    text = spec.strip().lower()
    if text in ("off", "none", ""):
        return None
    if text.startswith("every "):
        amount = text.removeprefix("every ").strip()
        unit = {"s": 1, "m": 60, "h": 3600}.get(amount[-1:])
        if unit is None or not amount[:-1].isdigit() or int(amount[:-1]) <= 0:
            raise ValueError(f"schedule of {job}: {spec!r} is not 'every <N>s|m|h'")
        seconds = int(amount[:-1]) * unit
        return Schedule(job, IntervalTrigger(seconds=seconds, start_date=_EPOCH, timezone=UTC), spec)
    try:
        trigger = CronTrigger.from_crontab(spec, timezone=db.settings.timezone)
    except ValueError as exc:
        raise ValueError(f"schedule of {job}: {spec!r} is not a crontab: {exc}") from exc
    return Schedule(job, trigger, spec)


def schedules(db: Database, settings: JobsSettings) -> list[Schedule]:
    specs = {"checkpoint": f"every {db.settings.checkpoint_every_seconds}s", **settings.schedules}
    unknown = sorted(set(specs) - set(JOBS))
    if unknown:
        raise ValueError(f"schedules for unknown jobs: {', '.join(unknown)}")
    return [s for job, spec in specs.items() if (s := parse_schedule(job, spec, db)) is not None]


def slot_of(trigger: BaseTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest fire time of ``trigger`` at or before ``now`` (within ``lookback``): the scheduled time this
    run belongs to, the same in every process even if they wake a little apart."""
    last = None
    fire = trigger.get_next_fire_time(None, now - lookback)
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


def slot_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def run_named_job(
    db: Database, name: str, settings: JobsSettings, *, slot: str | None = None, trigger: str = "manual"
) -> RunResult:
    """Run job ``name`` once for ``slot`` (a manual run gets a slot of its own: ``manual:<time>``)."""
    if name not in JOBS:
        raise InvalidInput(f"no job {name!r}; jobs: {', '.join(sorted(JOBS))}", field="job")
    function = JOBS[name]
    key = slot or f"manual:{datetime.now(UTC).isoformat(timespec='microseconds')}"

    async def work(database: Database) -> Mapping[str, Any]:
        return await function(database, settings)

    return await run_job(db, name, key, work, trigger=trigger)


def _scheduled(db: Database, schedule: Schedule, settings: JobsSettings) -> Callable[[], Awaitable[None]]:
    lookback = timedelta(seconds=max(60, settings.misfire_grace_seconds))

    async def fire() -> None:
        now = datetime.now(UTC)
        slot = slot_of(schedule.trigger, now, lookback)
        if slot is None:
            log.warning(
                "job %s fired at %s outside its schedule %r; running it unslotted", schedule.job, now, schedule.spec
            )
            slot = now
        result = await run_named_job(db, schedule.job, settings, slot=slot_text(slot), trigger="schedule")
        log.log(
            logging.WARNING if result.outcome == "failed" else logging.DEBUG,
            "job %s slot %s: %s %s",
            schedule.job,
            result.slot,
            result.outcome,
            result.counts or result.error,
        )

    fire.__name__ = f"{schedule.job}_scheduled"
    return fire


def build_scheduler(db: Database, settings: JobsSettings | None = None) -> AsyncIOScheduler:
    """A scheduler with the ledger's periodic jobs; the caller starts and stops it."""
    config = settings or JobsSettings.from_env()
    # APScheduler logs every execution at INFO: with the outbox drained every few seconds that is noise; each
    # run is recorded in job_run instead, and failures are logged as warnings below.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone=db.settings.timezone)
    for schedule in schedules(db, config):
        scheduler.add_job(
            _scheduled(db, schedule, config),
            schedule.trigger,
            id=schedule.job,
            name=schedule.job,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=config.misfire_grace_seconds,
            replace_existing=True,
        )
    return scheduler


async def run_forever(db: Database, settings: JobsSettings | None = None) -> None:
    """The jobs process: run the scheduler until SIGINT or SIGTERM, then let running jobs finish."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    scheduler = build_scheduler(db, settings)
    scheduler.start()
    for job in scheduler.get_jobs():
        log.info("scheduled %s: %s (next %s)", job.id, job.trigger, job.next_run_time)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        # shutdown() is queued on the loop; give it a turn, then let in-flight jobs end.
        await asyncio.sleep(0)
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        if pending:
            await asyncio.wait(pending, timeout=30)
