"""Settings of the jobs process: schedules and the delivery channels' endpoints (adapter configuration, so it
lives here and not in ledger/). Read once from ``WASTELEDGER_*`` variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

#: job → schedule: a crontab (minute hour day month weekday, in the ledger's time zone), ``every <N>s``, or
#: ``off``. Checks run often enough to warn within the day; the outbox is drained every few seconds; manifests
#: whose closing raced past the inline close wait at most a few minutes.
DEFAULT_SCHEDULES: dict[str, str] = {
    "daily_clearing": "*/15 * * * *",
    "plant_load": "*/30 * * * *",
    "deadlines": "7 * * * *",
    "deliver_outbox": "every 15s",
    "close_shipments": "every 5m",
}


@dataclass(frozen=True, slots=True)
class JobsSettings:
    schedules: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SCHEDULES))
    #: A run that starts this late (process paused, clock jump) still runs; later ones are dropped.
    misfire_grace_seconds: int = 300
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "wasteledger@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    #: The SMS gateway's HTTP endpoint (a JSON POST per message); unset: text messages wait in the outbox.
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    #: Signing key for webhook endpoints created without their own (normally each has its own).
    webhook_secret: str | None = None
    http_timeout_seconds: float = 10.0
    #: Messages sent concurrently by one delivery run.
    delivery_concurrency: int = 8

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> JobsSettings:
        env = dict(os.environ if environ is None else environ)
        p = "WASTELEDGER_"
        schedules = {
            job: env.get(f"{p}SCHEDULE_{job.upper()}", default).strip() for job, default in DEFAULT_SCHEDULES.items()
        }
        return cls(
            schedules=schedules,
            misfire_grace_seconds=int(env.get(p + "MISFIRE_GRACE_SECONDS", "300")),
            smtp_host=env.get(p + "SMTP_HOST", "127.0.0.1"),
            smtp_port=int(env.get(p + "SMTP_PORT", "25")),
            smtp_from=env.get(p + "SMTP_FROM", "wasteledger@localhost"),
            smtp_user=env.get(p + "SMTP_USER") or None,
            smtp_password=env.get(p + "SMTP_PASSWORD") or None,
            smtp_starttls=env.get(p + "SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            sms_gateway_url=env.get(p + "SMS_GATEWAY_URL") or None,
            sms_gateway_token=env.get(p + "SMS_GATEWAY_TOKEN") or None,
            webhook_secret=env.get(p + "WEBHOOK_SECRET") or None,
            http_timeout_seconds=float(env.get(p + "HTTP_TIMEOUT_SECONDS", "10")),
            delivery_concurrency=int(env.get(p + "DELIVERY_CONCURRENCY", "8")),
        )
