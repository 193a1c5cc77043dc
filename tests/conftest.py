"""Test databases: every test gets its own fresh, migrated database on each backend.

A template is migrated (and loaded with the demo organisations) once per session; each test then gets a copy:
a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. PostgreSQL is reached through
``WASTELEDGER_TEST_DATABASE_URL``; without it the PostgreSQL half skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from ledger.config import Settings
from ledger.db import asyncpg_dsn
from ledger.migrate import migrate
from ledger.reference import load_demo_organisations
from ledger.unit_of_work import Database

PG_URL = os.environ.get("WASTELEDGER_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


class FakeClock:
    """The ledger's clock under the test's control: tests move time, they never sleep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


async def _prepare(url: str) -> None:
    db = Database(Settings(database_url=url))
    try:
        await migrate(db.engine)
        await load_demo_organisations(db.uow())
    finally:
        await db.dispose()


def _require_postgres() -> None:
    if PG_URL:
        return
    message = "PostgreSQL tests need WASTELEDGER_TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)"
    if IN_CI:
        pytest.fail(message + " — required in CI")
    pytest.skip(message)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    _require_postgres()
    name = f"wl_template_{os.getpid()}"

    async def create() -> None:
        admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        await _prepare(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))

    async def drop() -> None:
        admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    try:
        asyncio.run(create())
    except OSError as exc:
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable: {exc}") if IN_CI else pytest.skip(str(exc))
    yield name
    asyncio.run(drop())


@pytest.fixture
def clock() -> FakeClock:
    # 10:00 in Chongqing on the project's reference day.
    return FakeClock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database with the demo organisations, on ``backend``."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ledger.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"wl_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(asyncpg_dsn(PG_URL))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
async def db(settings: Settings, clock: FakeClock) -> AsyncIterator[Database]:
    database = Database(settings, clock=clock)
    yield database
    await database.dispose()
