"""The database handle and the unit of work: one use case, one transaction, rolled back unless committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import asyncpg
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ledger.catalogue import Catalogue, load_catalogue
from ledger.config import Settings
from ledger.db import READ_ONLY_OPTION, asyncpg_dsn, create_engine
from ledger.errors import Conflict
from ledger.store import EventStore

Clock = Callable[[], datetime]
#: Connections of the statement pool (PostgreSQL): as many as the ORM engine keeps open, beside it.
STATEMENT_POOL_SIZE = 10


def system_clock() -> datetime:
    return datetime.now(UTC)


class Database:
    """Everything a use case needs from the outside world: engine, settings, clock and catalogue."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: AsyncEngine | None = None,
        clock: Clock = system_clock,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine or create_engine(settings.database_url)
        self.clock = clock
        self.catalogue = catalogue or load_catalogue()
        self.read_engine = self.engine.execution_options(**{READ_ONLY_OPTION: True})
        self._statement_pool: Any = None
        self._statement_pool_lock = asyncio.Lock()
        self._statement_gate = asyncio.Semaphore(STATEMENT_POOL_SIZE)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)

    @asynccontextmanager
    async def statement_connection(self) -> AsyncIterator[Any]:
        """PostgreSQL only: a plain asyncpg connection for the hot paths that bypass the ORM (scans).

        From a pool created on first use and closed by :meth:`dispose`. Requests queue for it first-come
        first-served: asyncpg's pool lets a newcomer take a connection that was just handed to a waiter, who
        then queues again at the back, so under load some requests waited ten times the median.
        """
        pool = await self._statement_pool_ready()
        async with self._statement_gate, pool.acquire() as connection:
            yield connection

    async def _statement_pool_ready(self) -> Any:
        # A released connection is not reset with a round trip (asyncpg's default): the statement paths run
        # single statements in autocommit and never change session state, and asyncpg still rolls back any
        # transaction left open. Their statements look rows up by key, so one generic plan serves all values.
        if self._statement_pool is None:
            async with self._statement_pool_lock:
                if self._statement_pool is None:
                    self._statement_pool = await asyncpg.create_pool(
                        asyncpg_dsn(self.settings.database_url),
                        min_size=0,
                        max_size=STATEMENT_POOL_SIZE,
                        max_inactive_connection_lifetime=60,
                        server_settings={"plan_cache_mode": "force_generic_plan"},
                        reset=_no_session_state_to_reset,
                    )
        return self._statement_pool

    async def dispose(self) -> None:
        if self._statement_pool is not None:
            await self._statement_pool.close()
            self._statement_pool = None
        await self.engine.dispose()


async def _no_session_state_to_reset(connection: Any) -> None:
    return None


class UnitOfWork:
    """``async with db.uow() as uow: …; await uow.commit()`` — anything not committed is rolled back."""

    session: AsyncSession
    events: EventStore

    def __init__(self, db: Database) -> None:
        self.db = db
        self.settings = db.settings
        self.catalogue = db.catalogue
        self._committed = False
        self._read_only = False

    def now(self) -> datetime:
        return self.db.clock()

    def read_only(self) -> Self:
        """Mark this unit as one that only reads (``async with uow.read_only():``): on SQLite it then takes no
        write lock. Writing through it is a programming error that SQLite reports."""
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        engine = self.db.read_engine if self._read_only else self.db.engine
        self.session = AsyncSession(engine, expire_on_commit=False, autoflush=False)
        self.events = EventStore(self.session)
        self._committed = False
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError as exc:
            raise Conflict("the change collided with another one recorded meanwhile; re-read and retry") from exc
        except DBAPIError as exc:
            if _is_serialisation_failure(exc):
                raise Conflict("the change collided with another one recorded meanwhile; retry") from exc
            raise
        self._committed = True


def _is_serialisation_failure(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in {"40001", "40P01"}
