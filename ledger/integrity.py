"""Whole-log integrity: checkpoints, verification, and rebuilding projections from the log."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, insert

from ledger.canonical import GENESIS_HASH, checkpoint_hash
from ledger.errors import LedgerIntegrityError
from ledger.lifecycle import evolve
from ledger.tables import Container, LedgerCheckpoint
from ledger.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that does not verify; ``seq`` orders problems in recording order."""

    seq: int
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(slots=True)
class VerifyReport:
    events: int = 0
    streams: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None


async def create_checkpoint(uow: UnitOfWork) -> LedgerCheckpoint | None:
    """Seal the events recorded since the last checkpoint (``None`` if there were none)."""
    async with uow:
        checkpoint = await uow.events.create_checkpoint(created_at=uow.now())
        await uow.commit()
        return checkpoint


async def verify_ledger(uow: UnitOfWork) -> VerifyReport:
    """Recompute every event hash, every stream's chain and every checkpoint; report what fails."""
    report = VerifyReport()
    async with uow.read_only():
        stream: str | None = None
        expected_version = 0
        prev_hash = GENESIS_HASH
        async for event in uow.events.scan():
            report.events += 1
            if event.stream != stream:
                stream, expected_version, prev_hash = event.stream, 0, GENESIS_HASH
                report.streams += 1
            where = f"event {event.seq} ({event.stream} v{event.version}, {event.type})"
            if event.version != expected_version + 1:
                report.problems.append(
                    Problem(
                        event.seq,
                        where,
                        f"version {event.version} follows {expected_version}: events missing",
                    )
                )
            if event.prev_hash != prev_hash:
                report.problems.append(Problem(event.seq, where, "previous hash does not match the stream's chain"))
            if event.recompute_hash() != event.hash:
                report.problems.append(Problem(event.seq, where, "hash does not match its content: it was altered"))
            expected_version, prev_hash = event.version, event.hash
        previous = GENESIS_HASH
        after_seq = 0
        for checkpoint in await uow.events.checkpoints():
            report.checkpoints += 1
            where = f"checkpoint {checkpoint.id} (events {checkpoint.first_seq}..{checkpoint.last_seq})"
            if checkpoint.prev_hash != previous:
                report.problems.append(Problem(checkpoint.first_seq, where, "not chained to the previous checkpoint"))
            recomputed = checkpoint_hash(
                first_seq=checkpoint.first_seq,
                last_seq=checkpoint.last_seq,
                event_count=checkpoint.event_count,
                events_digest=checkpoint.events_digest,
                created_at=checkpoint.created_at,
                prev_hash=checkpoint.prev_hash,
            )
            if recomputed != checkpoint.hash:
                report.problems.append(Problem(checkpoint.first_seq, where, "checkpoint hash does not match"))
            digest, count, _, _ = await uow.events.digest_range(after_seq, checkpoint.last_seq)
            if count != checkpoint.event_count:
                report.problems.append(
                    Problem(
                        checkpoint.first_seq,
                        where,
                        f"sealed {checkpoint.event_count} events, {count} are there",
                    )
                )
            elif digest != checkpoint.events_digest:
                report.problems.append(Problem(checkpoint.first_seq, where, "events differ from those sealed"))
            previous, after_seq = checkpoint.hash, checkpoint.last_seq
    return report


async def rebuild_container_projection(uow: UnitOfWork, *, batch: int = 2000) -> int:
    """Throw the container projection away and fold it again from the log; returns the container count."""
    table = Container.__table__  # type: ignore[attr-defined]
    async with uow:
        await uow.session.execute(delete(table))
        current: Container | None = None
        pending: list[dict[str, object]] = []
        count = 0

        async def flush() -> None:
            if pending:
                await uow.session.execute(insert(table), pending)
                pending.clear()

        async for event in uow.events.scan(type_prefix="container."):
            if current is not None and current.code != event.stream:
                pending.append(current.model_dump())
                count += 1
                current = None
                if len(pending) >= batch:
                    await flush()
            if current is None and event.version != 1:
                raise LedgerIntegrityError(f"{event.stream} starts at version {event.version}")
            current = evolve(current, event)
        if current is not None:
            pending.append(current.model_dump())
            count += 1
        await flush()
        await uow.commit()
        return count
