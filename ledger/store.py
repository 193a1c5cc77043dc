"""The append-only event store: streams of hash-chained events, one global sequence, checkpoints.

Concurrency: two writers appending the same stream at the same version collide on the unique
(stream, version) index; the loser's insert fails and becomes a :class:`VersionConflict`. On PostgreSQL the
second insert waits for the first transaction and fails only if it committed, so exactly one wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.actors import Actor
from ledger.canonical import GENESIS_HASH, canonical_json, checkpoint_hash, event_hash
from ledger.errors import VersionConflict
from ledger.tables import LedgerCheckpoint, LedgerEvent


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: its type (past tense, ``<aggregate>.<fact>``) and its facts."""

    type: str
    payload: Mapping[str, Any]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored."""

    seq: int
    stream: str
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor_org: str | None
    actor_user: str | None
    payload: dict[str, Any] = field(hash=False)
    prev_hash: str
    hash: str
    payload_text: str = field(repr=False)
    """The stored canonical JSON, byte for byte (what the hash covers)."""

    def recompute_hash(self) -> str:
        """The hash this event's stored content implies (equal to ``hash`` unless it was altered)."""
        return event_hash(
            stream=self.stream,
            version=self.version,
            type=self.type,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            actor_org=self.actor_org,
            actor_user=self.actor_user,
            payload=self.payload_text,
            prev_hash=self.prev_hash,
        )

    @classmethod
    def from_values(cls, seq: int, values: Mapping[str, Any]) -> RecordedEvent:
        """The event from the column values :func:`seal` made and the sequence number the insert gave it."""
        return cls(
            seq=seq,
            payload=json.loads(values["payload"]),
            payload_text=values["payload"],
            **{name: values[name] for name in _HEADER},
        )

    @classmethod
    def from_row(cls, row: Any) -> RecordedEvent:
        return cls(
            seq=row.seq,
            stream=row.stream,
            version=row.version,
            type=row.type,
            occurred_at=row.occurred_at,
            recorded_at=row.recorded_at,
            actor_org=row.actor_org,
            actor_user=row.actor_user,
            payload=json.loads(row.payload),
            prev_hash=row.prev_hash,
            hash=row.hash,
            payload_text=row.payload,
        )


_HEADER = ("stream", "version", "type", "occurred_at", "recorded_at", "actor_org", "actor_user", "prev_hash", "hash")


def seal(
    stream: str, version: int, prev_hash: str, new: NewEvent, *, actor: Actor, recorded_at: datetime
) -> dict[str, Any]:
    """The column values of ``new`` as version ``version`` of ``stream``: canonical payload, chained hash.
    Every writer of the log (the event store, the PostgreSQL scan path) seals events here."""
    payload = canonical_json(dict(new.payload))
    header: dict[str, Any] = {
        "stream": stream,
        "version": version,
        "type": new.type,
        "occurred_at": new.occurred_at,
        "recorded_at": recorded_at,
        "actor_org": actor.org,
        "actor_user": actor.user,
        "prev_hash": prev_hash,
    }
    return {**header, "payload": payload, "hash": event_hash(**header, payload=payload)}


_EVENT = LedgerEvent.__table__  # type: ignore[attr-defined]
_CHECKPOINT = LedgerCheckpoint.__table__  # type: ignore[attr-defined]


class EventStore:
    """Appends to and reads from the log inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def head(self, stream: str) -> tuple[int, str]:
        """The stream's current version and last hash (0 and the genesis hash for a new stream)."""
        row = (
            await self._session.execute(
                select(_EVENT.c.version, _EVENT.c.hash)
                .where(_EVENT.c.stream == stream)
                .order_by(_EVENT.c.version.desc())
                .limit(1)
            )
        ).first()
        return (0, GENESIS_HASH) if row is None else (row.version, row.hash)

    async def append(
        self,
        stream: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        actor: Actor,
        recorded_at: datetime,
    ) -> list[RecordedEvent]:
        """Append ``events`` after ``expected_version``; raise :class:`VersionConflict` if the stream moved."""
        version, prev_hash = await self.head(stream)
        if version != expected_version:
            raise VersionConflict(
                f"{stream} is at version {version}, not {expected_version}: it changed meanwhile; re-read it",
                field="stream",
                stream=stream,
            )
        recorded: list[RecordedEvent] = []
        for new in events:
            version += 1
            values = seal(stream, version, prev_hash, new, actor=actor, recorded_at=recorded_at)
            try:
                inserted = await self._session.execute(insert(_EVENT).values(values).returning(_EVENT.c.seq))
                seq = inserted.scalar_one()
            except IntegrityError as exc:
                # The transaction is now unusable on PostgreSQL; the unit of work rolls it back.
                raise VersionConflict(
                    f"{stream}: another writer recorded version {version} first; re-read it",
                    field="stream",
                    stream=stream,
                ) from exc
            recorded.append(RecordedEvent.from_values(seq, values))
            prev_hash = values["hash"]
        return recorded

    async def read(self, stream: str) -> list[RecordedEvent]:
        """Every event of a stream, in order."""
        rows = await self._session.execute(select(_EVENT).where(_EVENT.c.stream == stream).order_by(_EVENT.c.version))
        return [RecordedEvent.from_row(row) for row in rows]

    async def scan(self, *, type_prefix: str | None = None, batch: int = 5000) -> AsyncIterator[RecordedEvent]:
        """Every event (optionally of types starting with ``type_prefix``) in (stream, version) order."""
        query = select(_EVENT).order_by(_EVENT.c.stream, _EVENT.c.version)
        if type_prefix is not None:
            query = query.where(_EVENT.c.type.startswith(type_prefix))
        result = await self._session.stream(query.execution_options(yield_per=batch))
        async for row in result:
            yield RecordedEvent.from_row(row)

    # --- checkpoints -----------------------------------------------------------------------------------------

    async def create_checkpoint(self, *, created_at: datetime) -> LedgerCheckpoint | None:
        """Seal every event recorded since the last checkpoint; ``None`` if there is nothing new.

        On PostgreSQL a sequence number is taken at INSERT but becomes visible at COMMIT, so a writer that
        started earlier may still commit a lower seq after we read. SHARE mode waits for every open writer
        and holds new ones off until we commit, so the range we seal is complete and stays complete.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(text("LOCK TABLE ledger_event IN SHARE MODE"))
        last = (await self._session.execute(select(_CHECKPOINT).order_by(_CHECKPOINT.c.id.desc()).limit(1))).first()
        after_seq = last.last_seq if last is not None else 0
        prev_hash = last.hash if last is not None else GENESIS_HASH
        digest, count, first_seq, last_seq = await self.digest_range(after_seq, None)
        if count == 0:
            return None
        checkpoint = LedgerCheckpoint(
            first_seq=first_seq,
            last_seq=last_seq,
            event_count=count,
            events_digest=digest,
            created_at=created_at,
            prev_hash=prev_hash,
            hash=checkpoint_hash(
                first_seq=first_seq,
                last_seq=last_seq,
                event_count=count,
                events_digest=digest,
                created_at=created_at,
                prev_hash=prev_hash,
            ),
        )
        inserted = await self._session.execute(
            insert(_CHECKPOINT).values(checkpoint.model_dump(exclude={"id"})).returning(_CHECKPOINT.c.id)
        )
        checkpoint.id = inserted.scalar_one()
        return checkpoint

    async def digest_range(self, after_seq: int, to_seq: int | None) -> tuple[str, int, int, int]:
        """SHA-256 over ``seq:hash`` lines of the events with after_seq < seq ≤ to_seq, their count and bounds."""
        query = select(_EVENT.c.seq, _EVENT.c.hash).where(_EVENT.c.seq > after_seq).order_by(_EVENT.c.seq)
        if to_seq is not None:
            query = query.where(_EVENT.c.seq <= to_seq)
        sha = hashlib.sha256()
        count = first = last = 0
        result = await self._session.stream(query.execution_options(yield_per=10000))
        async for seq, digest in result:
            sha.update(f"{seq}:{digest}\n".encode())
            count += 1
            first = first or seq
            last = seq
        return sha.hexdigest(), count, first, last

    async def checkpoints(self) -> list[LedgerCheckpoint]:
        rows = await self._session.execute(select(_CHECKPOINT).order_by(_CHECKPOINT.c.id))
        return [LedgerCheckpoint(**row._mapping) for row in rows]

    async def count(self) -> int:
        return int((await self._session.execute(select(func.count()).select_from(_EVENT))).scalar_one())
