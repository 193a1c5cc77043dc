"""Monitoring, read-only: daily clearing (日产日清), plant load and city capacity, and the job-run record."""

from __future__ import annotations

from datetime import date

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from ledger.actors import Actor
from ledger.monitoring.clearing import ClearingReport, daily_clearing
from ledger.monitoring.job_runs import JobRunPublic, list_job_runs
from ledger.monitoring.plant_load import PlantLoadReport, plant_load
from ledger.unit_of_work import Database
from routes.auth import SECURITY


class MonitoringController(Controller):
    path = "/api/v1/monitoring"
    tags = ("monitoring",)
    security = SECURITY

    @get("/clearing")
    async def clearing(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], days: FromQuery[int | None] = None
    ) -> ClearingReport:
        """Overdue and uncollected medical waste per generator, district and city, and each local day's clearance
        rate (regulators: their jurisdiction)."""
        return await daily_clearing(db.uow(), actor, days=days)

    @get("/plant-load")
    async def plant_load(
        self, db: NamedDependency[Database], actor: NamedDependency[Actor], day: FromQuery[date | None] = None
    ) -> PlantLoadReport:
        """Each plant's received, disposed, backlog, utilisation, days to clear and headroom; city capacity."""
        return await plant_load(db.uow(), actor, day=day)

    @get("/job-runs")
    async def job_runs(
        self,
        db: NamedDependency[Database],
        actor: NamedDependency[Actor],
        job: FromQuery[str | None] = None,
        limit: FromQuery[int] = 50,
    ) -> list[JobRunPublic]:
        """The latest runs of the scheduled jobs: when, where, outcome and counts."""
        return await list_job_runs(db.uow(), actor, job=job, limit=limit)
