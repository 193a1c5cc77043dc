"""The Litestar application: composition of controllers, error mapping and the scheduler's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from jobs.scheduler import build_scheduler
from ledger.unit_of_work import Database
from routes.problems import exception_handlers


@get("/api/v1/health", tags=["health"], sync_to_thread=False)
def health(state: State) -> dict[str, str]:
    """Liveness: the process answers and knows its database backend."""
    db: Database = state.db
    return {"status": "ok", "database": db.dialect}


def create_app(db: Database, *, run_scheduler: bool = True) -> Litestar:
    """The HTTP app for ``db``; with ``run_scheduler`` the periodic jobs run inside it (embedded default)."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        scheduler = build_scheduler(db) if run_scheduler else None
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await db.dispose()

    async def provide_db() -> Database:
        return db

    return Litestar(
        route_handlers=[health],
        dependencies={"db": Provide(provide_db, use_cache=True)},
        exception_handlers=exception_handlers(),
        lifespan=[lifespan],
        state=State({"db": db}),
        openapi_config=OpenAPIConfig(title="wasteledger", version="0.1.0", path="/schema"),
        request_max_body_size=2 * 1024 * 1024,
    )
