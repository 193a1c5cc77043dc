"""Engine and column types: one code path for SQLite (aiosqlite, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

#: SQLite only autoincrements an ``INTEGER PRIMARY KEY``; PostgreSQL wants 64 bits for the global sequence.
BigId = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger: every time must carry its zone")
        value = value.astimezone(UTC)
        # SQLite stores the text as given; strip the zone so that every row has one format.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: The largest id a 64-bit key column holds: a larger id from a URL cannot name a row (and must not reach the driver).
MAX_ROW_ID = 2**63 - 1


def is_row_id(value: int) -> bool:
    return 0 < value <= MAX_ROW_ID


#: Execution option of the engine that read-only units of work use (SQLite then begins a deferred transaction).
READ_ONLY_OPTION = "wasteledger_read_only"


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """A plain ``postgresql://`` DSN for asyncpg from the SQLAlchemy URL (optionally of another database)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine with the pragmas and transaction mode the ledger relies on."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            # Let SQLAlchemy, not the driver, issue BEGIN, so that we can make it BEGIN IMMEDIATE below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A deferred transaction that reads and then writes cannot wait for the write lock (SQLite returns
            # SQLITE_BUSY at once to avoid a deadlock). Taking the write lock at BEGIN makes concurrent writers
            # queue on busy_timeout instead, so version conflicts surface as conflicts, not as "database locked".
            # Units of work that only read say so, and keep WAL's lock-free reads.
            read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)
