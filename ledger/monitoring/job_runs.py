"""Job runs: each scheduled run happens once, however many processes run the scheduler, and is recorded.

A run first inserts its ``job_run`` row, keyed by (job, slot), in a transaction of its own, and commits it. The
slot is the scheduled time the run belongs to, the same in every process, so the second process's insert hits
the unique key and that process skips. On PostgreSQL the second insert waits for the first transaction and
fails once it commits; on SQLite writers are serialised (BEGIN IMMEDIATE). This works on both backends, unlike
an advisory lock, and leaves the record the API shows. The row is then updated with the outcome and counts.

A process that dies mid-run leaves its row ``running``; the next slot runs regardless (the checks are
idempotent: they recompute findings from the projections), and the stale row says what happened.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col

from ledger.actors import Actor
from ledger.errors import Conflict, InvalidInput
from ledger.monitoring.findings import require_monitoring_reader
from ledger.tables import JobRun
from ledger.unit_of_work import Database, UnitOfWork

log = logging.getLogger(__name__)

JobWork = Callable[[Database], Awaitable[Mapping[str, Any]]]


class JobRunPublic(SQLModel):
    id: int
    job: str
    slot: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    counts: dict[str, Any]
    error: str
    worker: str

    @classmethod
    def from_row(cls, row: JobRun) -> JobRunPublic:
        return cls(
            id=row.id or 0,
            job=row.job,
            slot=row.slot,
            trigger=row.trigger,
            started_at=row.started_at,
            finished_at=row.finished_at,
            outcome=row.outcome,
            counts=dict(row.counts),
            error=row.error,
            worker=row.worker,
        )


class RunResult(SQLModel):
    """What became of one attempt to run a job slot."""

    job: str
    slot: str
    outcome: str
    """``ok``, ``failed`` or ``skipped`` (another process has this slot)."""
    run_id: int | None
    counts: dict[str, Any]
    error: str = ""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


async def claim_run(uow: UnitOfWork, job: str, slot: str, trigger: str) -> int | None:
    """Insert the run's row and commit it; ``None`` if another process already claimed this slot."""
    async with uow:
        row = JobRun(job=job, slot=slot, trigger=trigger, started_at=uow.now(), worker=worker_name())
        uow.session.add(row)
        try:
            # The flush is where the unique (job, slot) key bites; the unit of work then rolls back.
            await uow.session.flush()
            await uow.commit()
        except (IntegrityError, Conflict):
            return None
        return row.id


async def finish_run(uow: UnitOfWork, run_id: int, outcome: str, counts: Mapping[str, Any], error: str = "") -> None:
    async with uow:
        row = await uow.session.get(JobRun, run_id)
        if row is None:
            return
        row.finished_at = uow.now()
        row.outcome = outcome
        row.counts = dict(counts)
        row.error = error[:1000]
        await uow.commit()


async def run_job(db: Database, job: str, slot: str, work: JobWork, *, trigger: str = "schedule") -> RunResult:
    """Run ``work`` for (job, slot) unless another process has; record the outcome either way it ends."""
    run_id = await claim_run(db.uow(), job, slot, trigger)
    if run_id is None:
        log.info("job %s slot %s: already claimed by another process; skipping", job, slot)
        return RunResult(job=job, slot=slot, outcome="skipped", run_id=None, counts={})
    try:
        counts = dict(await work(db))
    except Exception as exc:
        log.exception("job %s slot %s failed", job, slot)
        error = f"{type(exc).__name__}: {exc}"
        await finish_run(db.uow(), run_id, "failed", {}, error)
        return RunResult(job=job, slot=slot, outcome="failed", run_id=run_id, counts={}, error=error)
    await finish_run(db.uow(), run_id, "ok", counts)
    return RunResult(job=job, slot=slot, outcome="ok", run_id=run_id, counts=counts)


async def list_job_runs(
    uow: UnitOfWork, actor: Actor, *, job: str | None = None, limit: int = 50
) -> list[JobRunPublic]:
    """The latest runs (of one job, or all), newest first."""
    require_monitoring_reader(actor, what="the job-run record")
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500", field="limit")
    query = select(JobRun)
    if job is not None:
        query = query.where(col(JobRun.job) == job)
    async with uow:
        rows = (await uow.session.execute(query.order_by(col(JobRun.id).desc()).limit(limit))).scalars()
        return [JobRunPublic.from_row(row) for row in rows]
