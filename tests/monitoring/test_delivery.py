"""Delivery of the outbox to real local servers: a webhook receiver, an SMS gateway, an SMTP server.
A receiver that fails gets the message again later, with exponential backoff; nothing is lost."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta

import pytest

from jobs.channels import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from jobs.delivery import deliver_outbox
from jobs.settings import JobsSettings
from ledger.accounts import load_demo_users
from ledger.actors import SYSTEM
from ledger.monitoring.checks import run_check
from ledger.monitoring.outbox import list_outbox
from ledger.monitoring.subscriptions import SubscriptionCreate, add_subscription
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.monitoring.helpers import (
    WANZHOU_HOSPITAL,
    WANZHOU_PLANT,
    WANZHOU_TRANSPORTER,
    HttpReceiver,
    Mailbox,
    http_receiver,
    register,
    ship,
    smtp_server,
    with_policy,
)


@pytest.fixture
def hooks() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def gateway() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


@pytest.fixture
def mail() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


def jobs_settings(gateway: HttpReceiver, mail: tuple[Mailbox, int]) -> JobsSettings:
    return JobsSettings(
        smtp_host="127.0.0.1",
        smtp_port=mail[1],
        smtp_from="alerts@wasteledger.example.test",
        sms_gateway_url=gateway.url + "/sms",
        http_timeout_seconds=5,
    )


async def overload_wanzhou(db: Database) -> None:
    codes = await register(db, WANZHOU_HOSPITAL, 6, kg="1000.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, codes)
    await run_check(db, "plant_load")


async def test_webhook_500_then_recovers_nothing_lost(
    db: Database, clock: FakeClock, hooks: HttpReceiver, gateway: HttpReceiver, mail: tuple[Mailbox, int]
) -> None:
    await load_demo_users(db.uow())
    endpoint = await add_subscription(
        db.uow(), SubscriptionCreate(channel="webhook", target=hooks.url + "/hook", endpoint=True), SYSTEM
    )
    assert endpoint.secret is not None
    await overload_wanzhou(db)
    settings = jobs_settings(gateway, mail)

    hooks.respond(500)
    assert await deliver_outbox(db, settings) == {"sent": 4, "retried": 1, "dead": 0}
    [webhook] = [m for m in await list_outbox(db.uow()) if m.channel == "webhook"]
    assert (webhook.status, webhook.attempts, webhook.next_attempt_at) == (
        "pending",
        1,
        clock.now + timedelta(seconds=30),
    )
    assert webhook.last_error.startswith("HTTP 500")

    # Not due yet: nothing is sent again.
    assert await deliver_outbox(db, settings) == {"sent": 0, "retried": 0, "dead": 0}
    clock.advance(seconds=31)
    assert await deliver_outbox(db, settings) == {"sent": 1, "retried": 0, "dead": 0}
    assert {m.status for m in await list_outbox(db.uow())} == {"sent"}

    # The receiver got the same delivery twice (same id: it can drop the duplicate), signed with its secret.
    first, second = hooks.posts("/hook")
    assert first.body == second.body and first.headers[DELIVERY_HEADER] == second.headers[DELIVERY_HEADER]
    assert verify(endpoint.secret, second.headers[SIGNATURE_HEADER], second.body)
    assert not verify("another secret", second.headers[SIGNATURE_HEADER], second.body)
    assert not verify(endpoint.secret, second.headers[SIGNATURE_HEADER], second.body + b" ")
    [item] = second.json()
    assert (item["action"], second.headers[EVENT_HEADER]) == ("alert.opened", "alert.opened")
    assert item["alert"]["id"] == item["id"] and item["alert"]["subject_id"] == WANZHOU_PLANT
    assert item["alert"]["severity"] == "critical"

    # E-mail to both responsible officials, text messages through the gateway.
    mailbox, _ = mail
    for address in ("wanzhou.regulator@example.test", "cq.regulator@example.test"):
        [message] = mailbox.to(address)
        parsed = email.message_from_string(message["data"], policy=email.policy.default)
        assert "万州区医疗废物集中处置中心" in str(parsed["Subject"]) and "[严重]" in str(parsed["Subject"])
        assert parsed["X-Wasteledger-Alert"] == str(item["id"])
    texts = sorted(r.json()["to"] for r in gateway.posts("/sms"))
    assert texts == ["+86 138 0000 0001", "+86 138 0000 0002"]
    assert all("万州" in r.json()["text"] for r in gateway.posts("/sms"))


async def test_backoff_doubles_and_gives_up_after_the_last_attempt(
    db: Database, clock: FakeClock, hooks: HttpReceiver, gateway: HttpReceiver, mail: tuple[Mailbox, int]
) -> None:
    await add_subscription(
        db.uow(), SubscriptionCreate(channel="webhook", target=hooks.url + "/hook", endpoint=True), SYSTEM
    )
    strict = with_policy(db, outbox_max_attempts=4)
    await overload_wanzhou(strict)
    settings = jobs_settings(gateway, mail)
    hooks.respond(500, 502, 503, 500)
    delays = []
    for _ in range(3):
        assert (await deliver_outbox(strict, settings))["retried"] == 1
        [row] = await list_outbox(strict.uow())
        delays.append((row.next_attempt_at - clock.now).total_seconds())
        clock.set(row.next_attempt_at)
    assert delays == [30, 60, 120]
    assert await deliver_outbox(strict, settings) == {"sent": 0, "retried": 0, "dead": 1}
    [row] = await list_outbox(strict.uow())
    assert (row.status, row.attempts) == ("dead", 4)  # kept, visible, replayable; never deleted
    assert len(hooks.posts("/hook")) == 4


async def test_an_unreachable_endpoint_is_retried(
    db: Database, clock: FakeClock, gateway: HttpReceiver, mail: tuple[Mailbox, int]
) -> None:
    with http_receiver() as gone:
        url = gone.url + "/hook"
    await add_subscription(db.uow(), SubscriptionCreate(channel="webhook", target=url, endpoint=True), SYSTEM)
    await overload_wanzhou(db)
    assert (await deliver_outbox(db, jobs_settings(gateway, mail)))["retried"] == 1
    [row] = await list_outbox(db.uow())
    assert row.status == "pending" and "ConnectError" in row.last_error
