"""What a check reports: findings, each the raw material of one alert, and the helpers the checks share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ledger.actors import Actor, Role
from ledger.errors import Forbidden, InvalidInput


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by a check; the alert engine turns it into one alert per ``dedupe_key``."""

    kind: str
    dedupe_key: str
    severity: Severity
    subject_kind: str
    """``generator``, ``plant``, ``district``, ``city``, ``manifest`` or ``quota``."""
    subject_id: str
    subject_name: str
    division: str
    """Where the responsible regulators sit (the alert's routing and visibility)."""
    title: str
    figures: dict[str, Any] = field(hash=False)
    """JSON-ready figures (decimals as text): what the officials read and what decides "changed"."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check's findings and the alert kinds it is the authority on (open alerts of those kinds that it no
    longer finds are cleared)."""

    check: str
    kinds: frozenset[str]
    findings: list[Finding]


def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (day boundaries are the configured time zone's)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def local_day_bounds(day: date, tz: ZoneInfo, *, field: str = "day") -> tuple[datetime, datetime]:
    """Where a local day starts and ends in UTC; days at the calendar's edge (year 1, 9999) have no such
    bounds and are refused as the caller's input rather than overflowing."""
    try:
        return local_day_start(day, tz), local_day_start(day + timedelta(days=1), tz)
    except OverflowError:
        raise InvalidInput(f"{field} {day.isoformat()} is outside the dates the ledger holds", field=field) from None


def ratio(part: int, whole: int) -> Decimal | None:
    """part/whole to 4 decimals (half up), or None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def require_monitoring_reader(actor: Actor, *, what: str) -> None:
    """Monitoring reports are for regulators, administrators and the system itself."""
    if actor.is_privileged or (actor.role == Role.REGULATOR and actor.jurisdiction is not None):
        return
    raise Forbidden(f"{what} is for regulators and administrators; you act as {actor.role}", field="actor")
