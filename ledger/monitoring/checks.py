"""The checks by name: what the scheduler, the CLI and the API run. Each reads the projections in one
transaction, then reconciles its alerts (one transaction per alert, outbox rows included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ledger.monitoring.alerts import apply_check
from ledger.monitoring.clearing import check_daily_clearing
from ledger.monitoring.deadlines import check_deadlines
from ledger.monitoring.findings import CheckResult
from ledger.monitoring.plant_load import check_plant_load
from ledger.unit_of_work import Database, UnitOfWork

Check = Callable[[UnitOfWork], Awaitable[CheckResult]]

CHECKS: dict[str, Check] = {
    "daily_clearing": check_daily_clearing,
    "plant_load": check_plant_load,
    "deadlines": check_deadlines,
}


async def run_check(db: Database, name: str) -> dict[str, int]:
    """Run one check now and bring its alerts up to date; returns what it did (findings, opened, …)."""
    result = await CHECKS[name](db.uow())
    counts = await apply_check(db, result)
    return counts.as_dict()
