"""The Litestar application: composition of controllers, error mapping and the scheduler's lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from jobs.scheduler import build_scheduler
from ledger.unit_of_work import Database
from routes.alerts import AlertController
from routes.auth import PUBLIC, SECURITY, SECURITY_COMPONENTS, auth_middleware, provide_actor
from routes.containers import ContainerController
from routes.labels import LabelController
from routes.monitoring import MonitoringController
from routes.organisations import OrganisationController
from routes.plants import PlantController
from routes.problems import MAX_BODY_BYTES, exception_handlers
from routes.scans import ScanController
from routes.shipments import DisposalController, RoundController, ShipmentController
from routes.transfers import TransferController
from routes.users import MeController, TokenController, UserController
from routes.web import template_config, web_handlers
from routes.web_settings import WebSettings


@get("/api/v1/health", tags=["health"], sync_to_thread=False, opt=PUBLIC, security=[{}])
def health(state: State) -> dict[str, str]:
    """Liveness: the process answers and knows its database backend (no token needed)."""
    db: Database = state.db
    return {"status": "ok", "database": db.dialect}


def create_app(db: Database, *, run_scheduler: bool = True, web: WebSettings | None = None) -> Litestar:
    """The HTTP app for ``db``; with ``run_scheduler`` the periodic jobs run inside it (embedded default).

    The app owns ``db`` from startup to shutdown and disposes its engine on the way out. ``web`` configures the
    browser pages (dashboard, login, public verification); by default from ``WASTELEDGER_*`` variables.
    """
    web = web or WebSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Everything built so far (mappers, schemas, templates, the catalogue) lives as long as the process. A
        # full collection would walk it all each time, a pause of tens of milliseconds in the middle of some
        # request (the scan benchmark's p99): freezing moves it out of the collector's sight.
        gc.collect()
        gc.freeze()
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
        route_handlers=[
            health,
            ContainerController,
            LabelController,
            ShipmentController,
            RoundController,
            DisposalController,
            ScanController,
            TransferController,
            PlantController,
            OrganisationController,
            MeController,
            UserController,
            TokenController,
            MonitoringController,
            AlertController,
            *web_handlers(web),
        ],
        dependencies={
            "db": Provide(provide_db, use_cache=True),
            "actor": Provide(provide_actor),
        },
        middleware=[auth_middleware()],
        exception_handlers=exception_handlers(),
        lifespan=[lifespan],
        state=State({"db": db, "web": web}),
        template_config=template_config(db.settings.timezone, db.catalogue),
        openapi_config=OpenAPIConfig(
            title="wasteledger",
            version="0.1.0",
            path="/schema",
            description="Hazardous and medical waste ledger. Every endpoint but the health check needs a bearer"
            " token; errors are RFC 9457 problem details (see docs/api.md).",
            components=SECURITY_COMPONENTS,
            security=SECURITY,
        ),
        request_max_body_size=MAX_BODY_BYTES,
    )
