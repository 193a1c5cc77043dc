"""APScheduler wiring: the jobs call ledger service functions, nothing else."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ledger.integrity import create_checkpoint
from ledger.unit_of_work import Database

log = logging.getLogger(__name__)


async def checkpoint_job(db: Database) -> None:
    """Seal the events recorded since the last checkpoint."""
    checkpoint = await create_checkpoint(db.uow())
    if checkpoint is not None:
        log.info("checkpoint %s sealed events %s..%s", checkpoint.id, checkpoint.first_seq, checkpoint.last_seq)


def build_scheduler(db: Database) -> AsyncIOScheduler:
    """A scheduler with the ledger's periodic jobs; the caller starts and stops it."""
    scheduler = AsyncIOScheduler(timezone=db.settings.timezone)
    scheduler.add_job(
        checkpoint_job,
        "interval",
        seconds=db.settings.checkpoint_every_seconds,
        args=[db],
        id="checkpoint",
        max_instances=1,
        coalesce=True,
    )
    return scheduler
