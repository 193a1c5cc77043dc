"""Settings that are policy, not code: read once from the environment, kept in one place.

Values marked ✖ in DOMAIN.md (not confirmed in a primary text) live here so that they can be changed without
touching the rules that use them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from ledger.monitoring.policy import MonitoringPolicy

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/wasteledger.sqlite3"


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime settings of the ledger (all have safe defaults for the embedded demo)."""

    database_url: str = DEFAULT_DATABASE_URL
    #: Day boundaries (packing date in container codes, daily clearing, plant load) are local days here.
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    #: Where the public verification pages live; printed into every QR code.
    public_base_url: str = "http://127.0.0.1:8000"
    #: A received weight further than this fraction from the declared weight is a recorded discrepancy.
    weight_tolerance: Decimal = Decimal("0.05")
    #: Events per automatic checkpoint at the most; the checkpoint job also runs on a timer.
    checkpoint_every_seconds: int = 300
    #: Thresholds and deadlines of the monitoring checks (daily clearing, plant load, deadlines, alerts).
    monitoring: MonitoringPolicy = field(default_factory=MonitoringPolicy)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from ``WASTELEDGER_*`` variables (``DATABASE_URL`` is honoured too)."""
        env = dict(os.environ if environ is None else environ)
        url = env.get("WASTELEDGER_DATABASE_URL") or env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        return cls(
            database_url=normalise_database_url(url),
            timezone=ZoneInfo(env.get("WASTELEDGER_TIMEZONE", "Asia/Shanghai")),
            public_base_url=env.get("WASTELEDGER_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            weight_tolerance=Decimal(env.get("WASTELEDGER_WEIGHT_TOLERANCE", "0.05")),
            checkpoint_every_seconds=int(env.get("WASTELEDGER_CHECKPOINT_EVERY_SECONDS", "300")),
            monitoring=MonitoringPolicy.from_env(env),
        )


def normalise_database_url(url: str) -> str:
    """Pick the async driver for a plain URL: ``postgresql://`` → asyncpg, ``sqlite://`` → aiosqlite."""
    for plain, driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url
