"""A real server process on the test's own database, for the tests that need one (crash, races over HTTP, fuzzing).

The server is ``wasteledger serve --no-scheduler`` exactly as an operator starts it, on 127.0.0.1 and a free port;
its log goes to a file in the test's temporary folder (read by the tests that check what it logs).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bench.harness import Server, mint_tokens, server_env, wasteledger_server
from ledger.accounts import load_demo_users
from ledger.config import Settings
from ledger.tables import LedgerEvent, Scan
from ledger.unit_of_work import Database
from tests.routes.conftest import api  # the in-process app with per-user tokens, for the tests here too

#: Demo users the tests act as (fixtures/demo/users.json).
USERS = ("tongxing.operator", "central.transporter", "yuzhong.hospital", "cq.regulator", "admin")


@dataclass
class LiveLedger:
    """A database with the demo organisations and users, tokens for :data:`USERS`, and its server processes."""

    url: str
    tokens: dict[str, str]
    logs: Path
    servers: list[Server] = field(default_factory=list)

    def start(self) -> Server:
        server = wasteledger_server(self.url, self.logs / f"server-{len(self.servers)}.log").start()
        self.servers.append(server)
        return server

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The ``wasteledger`` command line on this database, as a separate process."""
        return subprocess.run(
            [sys.executable, "-m", "wasteledger", *args],
            env=server_env(self.url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def server_logs(self) -> str:
        return "".join(server.log_text() for server in self.servers)


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[LiveLedger]:
    async def users() -> None:
        db = Database(Settings(database_url=database_url))
        try:
            await load_demo_users(db.uow())
        finally:
            await db.dispose()

    asyncio.run(users())
    ledger = LiveLedger(database_url, asyncio.run(mint_tokens(database_url, USERS, "tests")), tmp_path)
    try:
        yield ledger
    finally:
        for server in ledger.servers:
            server.stop()


async def ledger_counts(url: str) -> dict[str, int]:
    """Rows in the log and in the scan table (a refused request must change neither)."""
    db = Database(Settings(database_url=url))
    try:
        async with db.uow() as uow:
            events = (await uow.session.execute(select(func.count()).select_from(LedgerEvent))).scalar_one()
            scans = (await uow.session.execute(select(func.count()).select_from(Scan))).scalar_one()
            return {"events": int(events), "scans": int(scans)}
    finally:
        await db.dispose()


async def received_counts(url: str) -> dict[str, int]:
    """How many ``container.received`` events each container has."""
    db = Database(Settings(database_url=url))
    try:
        async with db.uow() as uow:
            rows = await uow.session.execute(
                text("SELECT stream, count(*) FROM ledger_event WHERE type = 'container.received' GROUP BY stream")
            )
            return {str(stream): int(n) for stream, n in rows}
    finally:
        await db.dispose()


async def recorded_scan_ids(url: str) -> set[str]:
    db = Database(Settings(database_url=url))
    try:
        async with db.uow() as uow:
            return set((await uow.session.execute(select(Scan.scan_id))).scalars())  # type: ignore[call-overload]
    finally:
        await db.dispose()


__all__ = ["USERS", "LiveLedger", "api", "ledger_counts", "live", "received_counts", "recorded_scan_ids"]
