"""The baseline the scan benchmark divides by: a bare Litestar endpoint that validates a scan-shaped body and
inserts one row with asyncpg. No token, no ledger rules, no hash chain: what one uvicorn worker can do at best.

Served like the ledger (``uvicorn --factory bench.baseline_app:create_app``, one worker); the database comes from
``WASTELEDGER_DATABASE_URL``. The table is created at startup if missing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException

from ledger.db import asyncpg_dsn

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bench_scan (
    scan_id uuid PRIMARY KEY,
    text varchar(512) NOT NULL,
    action varchar(16) NOT NULL,
    shipment char(14),
    weight_g bigint,
    scanned_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
)
"""
WEIGHT_MAX_KG = Decimal(50000)
INSERT = (
    "INSERT INTO bench_scan (scan_id, text, action, shipment, weight_g, scanned_at) VALUES ($1, $2, $3, $4, $5, $6)"
)


class ScanBody(msgspec.Struct, forbid_unknown_fields=True):
    """The same fields and bounds as :class:`ledger.scans.ScanIn`, checked by Litestar's native validator."""

    scan_id: UUID
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    action: Literal["collect", "receive", "refuse", "dispose"]
    scanned_at: datetime
    shipment: Annotated[str, msgspec.Meta(pattern=r"^\d{14}$")] | None = None
    weight_kg: Decimal | None = None
    """Bounds checked in the handler: msgspec constrains only ints and floats."""
    method: Annotated[str, msgspec.Meta(max_length=4)] | None = None
    line: Annotated[str, msgspec.Meta(max_length=40)] = ""


def create_app() -> Litestar:
    dsn = asyncpg_dsn(os.environ["WASTELEDGER_DATABASE_URL"])

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The same pool size as the ledger's engine (10 + 20 overflow), so neither side gets more connections.
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=30)
        async with pool.acquire() as connection:
            await connection.execute(TABLE_DDL)
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    @get("/api/v1/health", sync_to_thread=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @post("/api/v1/scans", status_code=200)
    async def scan(data: ScanBody, state: State) -> dict[str, str]:
        # The ledger refuses naive times (AwareDatetime) and weights outside (0, 50 t]; so does the baseline.
        if data.scanned_at.tzinfo is None:
            raise ValidationException("scanned_at needs a time zone")
        if data.weight_kg is not None and not Decimal(0) < data.weight_kg <= WEIGHT_MAX_KG:
            raise ValidationException("weight_kg must be more than 0 and at most 50000")
        weight_g = None if data.weight_kg is None else int(data.weight_kg * 1000)
        async with state.pool.acquire() as connection:
            await connection.execute(
                INSERT, data.scan_id, data.text, data.action, data.shipment, weight_g, data.scanned_at
            )
        return {"scan_id": str(data.scan_id), "status": "recorded"}

    return Litestar(route_handlers=[health, scan], lifespan=[lifespan])


def wasteledger_app() -> Litestar:
    """The ledger's app for uvicorn's ``--factory`` (no scheduler: the jobs are not part of the request path)."""
    from ledger.config import Settings
    from ledger.unit_of_work import Database
    from routes.app import create_app as create_ledger_app

    return create_ledger_app(Database(Settings.from_env()), run_scheduler=False)
