"""Delivery channels: webhook (signed JSON), e-mail (SMTP) and an SMS gateway (HTTP). Each sends one outbox
message and raises :class:`DeliveryFailed` when it did not get through; the delivery job decides on retries.

Webhook signature: ``X-Wasteledger-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256(secret, ``"<t>.<body>"``). Signing the timestamp with the body lets a receiver refuse replays
(reject ``t`` older than a few minutes); ``X-Wasteledger-Delivery`` is the outbox id, the same on every retry,
so a receiver can drop duplicates.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import httpx

from jobs.settings import JobsSettings
from ledger.monitoring.outbox import Delivery

SIGNATURE_HEADER = "X-Wasteledger-Signature"
DELIVERY_HEADER = "X-Wasteledger-Delivery"
EVENT_HEADER = "X-Wasteledger-Event"


class DeliveryFailed(Exception):
    """The message did not get through (the receiver refused it, or could not be reached)."""


class Channel(Protocol):
    async def send(self, message: Delivery, *, secret: str | None = None) -> None: ...


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: int | None = None, tolerance: int = 300) -> bool:
    """What a receiver does: recompute the HMAC, compare in constant time, refuse stale timestamps."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else int(time.time())) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def _status_error(response: httpx.Response) -> DeliveryFailed:
    return DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")


class WebhookChannel:
    def __init__(self, client: httpx.AsyncClient, settings: JobsSettings) -> None:
        self._client = client
        self._default_secret = settings.webhook_secret

    async def send(self, message: Delivery, *, secret: str | None = None) -> None:
        key = secret or self._default_secret
        if not key:
            raise DeliveryFailed("the endpoint has no signing secret and WASTELEDGER_WEBHOOK_SECRET is not set")
        body = message.payload.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(key, int(time.time()), body),
            DELIVERY_HEADER: str(message.id),
            EVENT_HEADER: message.action,
        }
        try:
            response = await self._client.post(message.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise _status_error(response)


class SmsGatewayChannel:
    """POSTs ``{"to", "text", "ref"}`` to the configured gateway (most Chinese SMS platforms take this shape
    behind a small adapter); ``ref`` is the outbox id, for the gateway's own duplicate check."""

    def __init__(self, client: httpx.AsyncClient, settings: JobsSettings) -> None:
        self._client = client
        self._url = settings.sms_gateway_url
        self._token = settings.sms_gateway_token

    async def send(self, message: Delivery, *, secret: str | None = None) -> None:
        if not self._url:
            raise DeliveryFailed("no SMS gateway configured (WASTELEDGER_SMS_GATEWAY_URL)")
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = await self._client.post(
                self._url,
                json={"to": message.target, "text": message.body, "ref": f"outbox-{message.id}"},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise _status_error(response)


class EmailChannel:
    """Plain-text mail through an SMTP relay; smtplib runs in a worker thread so the event loop never blocks."""

    def __init__(self, settings: JobsSettings) -> None:
        self._settings = settings

    def _send_blocking(self, message: Delivery) -> None:
        s = self._settings
        mail = EmailMessage()
        mail["From"] = s.smtp_from
        mail["To"] = message.target
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
        mail["X-Wasteledger-Alert"] = str(message.alert_id)
        mail["X-Wasteledger-Event"] = message.action
        mail.set_content(message.body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.http_timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user and s.smtp_password:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(mail)

    async def send(self, message: Delivery, *, secret: str | None = None) -> None:
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
