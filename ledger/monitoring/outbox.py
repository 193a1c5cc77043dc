"""The outbox's bookkeeping: which messages are due, who holds them, what happened when they were sent.

Sending is an adapter's business (``jobs/``); here a worker *claims* due messages for a lease, and records each
outcome. A failure schedules the next attempt with exponential backoff (30 s, 1 min, 2 min … up to an hour by
default) and, after the last allowed attempt, marks the message dead — kept, never deleted, so an operator can
see and replay it. A claim is a conditional UPDATE: two workers may select the same row, only one update
matches, so a message is never sent twice at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import SQLModel, col

from ledger.tables import OutboxMessage
from ledger.unit_of_work import UnitOfWork

#: How long a worker may hold a claimed message before another may take it (a crashed worker's messages
#: become due again after this).
CLAIM_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Delivery:
    """A claimed message, detached from the session: what an adapter needs to send it."""

    id: int
    alert_id: int
    action: str
    channel: str
    target: str
    recipient: str | None
    subscription_id: int | None
    subject: str
    body: str
    payload: str
    attempts: int


class OutboxPublic(SQLModel):
    id: int
    alert_id: int
    action: str
    channel: str
    target: str
    recipient: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


def backoff(uow: UnitOfWork, attempts: int) -> timedelta:
    """Delay before the next attempt after ``attempts`` failures: base × 2^(attempts−1), capped."""
    policy = uow.settings.monitoring
    seconds = min(policy.outbox_backoff_max_seconds, policy.outbox_backoff_seconds * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds)


async def claim_due(uow: UnitOfWork, *, limit: int = 100) -> list[Delivery]:
    """Claim up to ``limit`` due messages for this worker (commits the claim)."""
    async with uow:
        now = uow.now()
        unclaimed = or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now)
        candidates = list(
            (
                await uow.session.execute(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now, unclaimed)
                    .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                    .limit(limit)
                )
            ).scalars()
        )
        claimed: list[Delivery] = []
        for row in candidates:
            assert row.id is not None
            # The WHERE repeats the claim condition: on PostgreSQL a concurrent claimer's UPDATE waits for ours and
            # then re-checks it against the committed row, so only one of us gets rowcount 1.
            result = await uow.session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.status) == "pending", unclaimed)
                .values(claimed_until=now + CLAIM_LEASE)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(
                    Delivery(
                        id=row.id,
                        alert_id=row.alert_id,
                        action=row.action,
                        channel=row.channel,
                        target=row.target,
                        recipient=row.recipient,
                        subscription_id=row.subscription_id,
                        subject=row.subject,
                        body=row.body,
                        payload=row.payload,
                        attempts=row.attempts,
                    )
                )
        await uow.commit()
        return claimed


async def mark_sent(uow: UnitOfWork, message_id: int) -> None:
    async with uow:
        row = await uow.session.get(OutboxMessage, message_id)
        if row is None:
            return
        row.status = "sent"
        row.attempts += 1
        row.sent_at = uow.now()
        row.claimed_until = None
        row.last_error = ""
        await uow.commit()


async def mark_failed(uow: UnitOfWork, message_id: int, error: str) -> str:
    """Record a failed attempt; returns the message's status after it (``pending`` or ``dead``)."""
    async with uow:
        row = await uow.session.get(OutboxMessage, message_id)
        if row is None:
            return "missing"
        row.attempts += 1
        row.last_error = error[:500]
        row.claimed_until = None
        if row.attempts >= uow.settings.monitoring.outbox_max_attempts:
            row.status = "dead"
        else:
            row.next_attempt_at = uow.now() + backoff(uow, row.attempts)
        status = row.status
        await uow.commit()
        return status


async def list_outbox(uow: UnitOfWork, *, alert_id: int | None = None, status: str | None = None) -> list[OutboxPublic]:
    """Messages (newest first), for an alert or of a status: what went out, what waits, what died."""
    query = select(OutboxMessage)
    if alert_id is not None:
        query = query.where(col(OutboxMessage.alert_id) == alert_id)
    if status is not None:
        query = query.where(col(OutboxMessage.status) == status)
    async with uow:
        rows = (await uow.session.execute(query.order_by(col(OutboxMessage.id).desc()).limit(500))).scalars()
        return [
            OutboxPublic(
                id=row.id or 0,
                alert_id=row.alert_id,
                action=row.action,
                channel=row.channel,
                target=row.target,
                recipient=row.recipient,
                status=row.status,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                last_error=row.last_error,
                created_at=row.created_at,
                sent_at=row.sent_at,
            )
            for row in rows
        ]
