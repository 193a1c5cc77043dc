"""Collision-free serials: one counter row per scope, bumped atomically inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.tables import SequenceCounter

_COUNTER = SequenceCounter.__table__  # type: ignore[attr-defined]


async def next_in_sequence(session: AsyncSession, scope: str) -> int:
    """The next number in ``scope`` (1 for a new scope).

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` takes the row lock on PostgreSQL, so a concurrent issuer
    waits for our commit and then sees our number; SQLite serialises writers anyway. A rolled-back
    transaction gives its number back, so serials have no gaps from failed registrations either.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_COUNTER).values(scope=scope, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[_COUNTER.c.scope], set_={"value": _COUNTER.c.value + 1}
    ).returning(_COUNTER.c.value)
    return int((await session.execute(statement)).scalar_one())
