"""Thresholds and deadlines of the monitoring checks: policy, not code, so they live in one place.

Defaults follow DOMAIN.md §8–§9: same-day clearing (日产日清) as practised in Chongqing in 2020, the 48-hour
legal maximum, storage at a generator of at most 2 days, plant utilisation warnings at 80 % and 100 %.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

SEVERITIES = ("info", "warning", "critical")


def _decimal(env: dict[str, str], name: str, default: str) -> Decimal:
    return Decimal(env.get(name, default))


def _int(env: dict[str, str], name: str, default: int) -> int:
    return int(env.get(name, str(default)))


@dataclass(frozen=True, slots=True)
class MonitoringPolicy:
    """What the checks call late, full or about to run out (all configurable through ``WASTELEDGER_*``)."""

    #: Medical waste not disposed this long after registration is overdue: 24 h in same-day mode (日产日清, the
    #: Chongqing 2020 practice), 48 h in legal-maximum mode.
    clearing_hours: int = 24
    #: Beyond this the delay breaks the 48-hour rule itself (2003 technical rule ◐): the alert becomes critical.
    legal_max_hours: int = 48
    #: Medical waste still at its generator this long after registration is "not collected".
    collect_within_hours: int = 24
    #: Temporary storage of medical waste at the generator: at most 2 days (医疗废物管理条例 ✔).
    medical_storage_hours: int = 48
    #: Storage of other hazardous waste: at most one year (固废法 art.81 ◐).
    hazardous_storage_days: int = 365
    #: How many local days of clearance rates the report shows.
    clearance_days: int = 7
    #: A district whose last complete day cleared less than this share on time gets a warning …
    clearance_warn_below: Decimal = Decimal("0.95")
    #: … and below this share a critical alert.
    clearance_critical_below: Decimal = Decimal("0.80")
    #: Plant utilisation (today's work against rated daily capacity) that warns, and that is critical.
    load_warn: Decimal = Decimal("0.80")
    load_critical: Decimal = Decimal("1.00")
    #: The division of the city-wide regulator: city capacity alerts go there (Chongqing: 500000).
    city_division: str = "500000"
    #: White-list entries and approvals that expire within this many days are flagged …
    quota_expiry_days: int = 30
    #: … and so are those with this share of their quantity used.
    quota_used_ratio: Decimal = Decimal("0.90")
    #: Text messages cost money and wake people up: only alerts at least this severe are texted by default.
    sms_min_severity: str = "critical"
    #: Outbox delivery: first retry after this many seconds, doubling up to the maximum, giving up after
    #: ``outbox_max_attempts`` (the row stays, marked dead, for an operator to replay).
    outbox_backoff_seconds: int = 30
    outbox_backoff_max_seconds: int = 3600
    outbox_max_attempts: int = 12

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> MonitoringPolicy:
        env = dict(os.environ if environ is None else environ)
        p = "WASTELEDGER_"
        default = cls()
        policy = cls(
            clearing_hours=_int(env, p + "CLEARING_HOURS", default.clearing_hours),
            legal_max_hours=_int(env, p + "CLEARING_LEGAL_MAX_HOURS", default.legal_max_hours),
            collect_within_hours=_int(env, p + "COLLECT_WITHIN_HOURS", default.collect_within_hours),
            medical_storage_hours=_int(env, p + "MEDICAL_STORAGE_HOURS", default.medical_storage_hours),
            hazardous_storage_days=_int(env, p + "HAZARDOUS_STORAGE_DAYS", default.hazardous_storage_days),
            clearance_days=_int(env, p + "CLEARANCE_DAYS", default.clearance_days),
            clearance_warn_below=_decimal(env, p + "CLEARANCE_WARN_BELOW", str(default.clearance_warn_below)),
            clearance_critical_below=_decimal(
                env, p + "CLEARANCE_CRITICAL_BELOW", str(default.clearance_critical_below)
            ),
            load_warn=_decimal(env, p + "LOAD_WARN", str(default.load_warn)),
            load_critical=_decimal(env, p + "LOAD_CRITICAL", str(default.load_critical)),
            city_division=env.get(p + "CITY_DIVISION", default.city_division),
            quota_expiry_days=_int(env, p + "QUOTA_EXPIRY_DAYS", default.quota_expiry_days),
            quota_used_ratio=_decimal(env, p + "QUOTA_USED_RATIO", str(default.quota_used_ratio)),
            sms_min_severity=env.get(p + "SMS_MIN_SEVERITY", default.sms_min_severity),
            outbox_backoff_seconds=_int(env, p + "OUTBOX_BACKOFF_SECONDS", default.outbox_backoff_seconds),
            outbox_backoff_max_seconds=_int(env, p + "OUTBOX_BACKOFF_MAX_SECONDS", default.outbox_backoff_max_seconds),
            outbox_max_attempts=_int(env, p + "OUTBOX_MAX_ATTEMPTS", default.outbox_max_attempts),
        )
        policy.check()
        return policy

    def check(self) -> None:
        """Refuse settings that make no sense rather than run checks that silently never fire."""
        if not 0 < self.clearing_hours <= self.legal_max_hours:
            raise ValueError("WASTELEDGER_CLEARING_HOURS must be positive and at most the legal maximum")
        if not 0 < self.load_warn <= self.load_critical:
            raise ValueError("WASTELEDGER_LOAD_WARN must be positive and at most WASTELEDGER_LOAD_CRITICAL")
        if not self.clearance_critical_below <= self.clearance_warn_below <= 1:
            raise ValueError("clearance thresholds must satisfy critical ≤ warn ≤ 1")
        if self.sms_min_severity not in SEVERITIES:
            raise ValueError(f"WASTELEDGER_SMS_MIN_SEVERITY must be one of {', '.join(SEVERITIES)}")
        if self.outbox_backoff_seconds <= 0 or self.outbox_max_attempts <= 0:
            raise ValueError("outbox backoff and attempts must be positive")
