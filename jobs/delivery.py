"""The outbox delivery job: claim due messages, send each through its channel, record the outcome."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict

import httpx

from jobs.channels import Channel, DeliveryFailed, EmailChannel, SmsGatewayChannel, WebhookChannel
from jobs.settings import JobsSettings
from ledger.monitoring.outbox import Delivery, claim_due, mark_failed, mark_sent
from ledger.monitoring.subscriptions import webhook_secrets
from ledger.unit_of_work import Database

log = logging.getLogger(__name__)

#: A run stops after this many batches so that one run never monopolises the loop; the next run continues.
MAX_BATCHES = 20


async def deliver_outbox(db: Database, settings: JobsSettings, *, batch: int = 100) -> dict[str, int]:
    """Send every due message (up to ``MAX_BATCHES`` × ``batch``); returns counts of sent, retried, dead."""
    counts: Counter[str] = Counter()
    async with httpx.AsyncClient(timeout=settings.http_timeout_seconds) as client:
        channels: dict[str, Channel] = {
            "webhook": WebhookChannel(client, settings),
            "email": EmailChannel(settings),
            "sms": SmsGatewayChannel(client, settings),
        }
        gate = asyncio.Semaphore(max(1, settings.delivery_concurrency))
        for _ in range(MAX_BATCHES):
            claimed = await claim_due(db.uow(), limit=batch)
            if not claimed:
                break
            secrets = await webhook_secrets(
                db.uow(), {m.subscription_id for m in claimed if m.channel == "webhook" and m.subscription_id}
            )

            # Messages to one target go one after another, oldest first, so a receiver normally sees an alert's
            # steps in order (each body carries the alert's version for when a retry reorders them); different
            # targets are served concurrently.
            queues: dict[tuple[str, str], list[Delivery]] = defaultdict(list)
            for message in sorted(claimed, key=lambda m: m.id):
                queues[(message.channel, message.target)].append(message)
            for outcomes in await asyncio.gather(
                *(_deliver_in_order(db, channels, gate, queue, secrets) for queue in queues.values())
            ):
                counts.update(outcomes)
    return {"sent": counts["sent"], "retried": counts["retried"], "dead": counts["dead"]}


async def _deliver(
    db: Database, channels: dict[str, Channel], gate: asyncio.Semaphore, message: Delivery, secret: str | None
) -> str:
    """Send one message and record the outcome: ``sent``, ``retried`` (backed off) or ``dead``."""
    async with gate:
        channel = channels.get(message.channel)
        try:
            if channel is None:
                raise DeliveryFailed(f"unknown channel {message.channel}")
            await channel.send(message, secret=secret)
        except DeliveryFailed as exc:
            status = await mark_failed(db.uow(), message.id, str(exc))
            log.warning("outbox %s (%s → %s) failed: %s", message.id, message.channel, message.target, exc)
            return "dead" if status == "dead" else "retried"
        await mark_sent(db.uow(), message.id)
        return "sent"


async def _deliver_in_order(
    db: Database,
    channels: dict[str, Channel],
    gate: asyncio.Semaphore,
    queue: list[Delivery],
    secrets: dict[int, str | None],
) -> list[str]:
    return [await _deliver(db, channels, gate, m, secrets.get(m.subscription_id or 0)) for m in queue]
