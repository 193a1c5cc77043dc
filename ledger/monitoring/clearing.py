"""Daily clearing (日产日清): medical waste disposed within the configured limit of its registration.

Two figures per generator, per district and for the city (DOMAIN.md §8):

- **overdue**: medical (HW01) containers not disposed ``clearing_hours`` after registration (24 h in same-day
  mode, 48 h in legal-maximum mode); those beyond ``legal_max_hours`` are counted again as *critical*;
- **not collected**: still at the generator (registered, or returned to it) ``collect_within_hours`` after
  registration.

And per local day, the **clearance rate**: the share of that day's containers disposed by their deadline.

Cost: the overdue query reads open containers only (``ix_container_open`` holds nothing else), the daily rates
read the last ``clearance_days`` days of registrations; neither reads the rest of the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Interval, TextClause, case, func, literal, select, text, true
from sqlmodel import SQLModel, col

from ledger.actors import SYSTEM, Actor
from ledger.errors import InvalidInput
from ledger.lifecycle import ContainerStatus
from ledger.monitoring.findings import (
    CheckResult,
    Finding,
    Severity,
    local_day_start,
    ratio,
    require_monitoring_reader,
)
from ledger.scope import container_filter
from ledger.tables import CONTAINER_OPEN_PREDICATE, Container, Organisation
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_kg

CHECK = "daily_clearing"
KIND_GENERATOR = "clearing_overdue"
KIND_DISTRICT = "clearance_rate"

S = ContainerStatus
#: Where a container is "at its generator": not yet collected, or brought back after a refusal.
AT_GENERATOR = (S.REGISTERED.value, S.RETURNED.value)
#: Every status but voided, spelled out so that the (status, registered_at) index serves the daily rates.
NOT_VOIDED = tuple(s.value for s in S if s != S.VOIDED)


class OverdueFigures(SQLModel):
    """Open medical containers past their deadlines (declared weights)."""

    overdue_count: int = 0
    """Not disposed within ``clearing_hours`` of registration."""
    overdue_kg: Decimal = Decimal("0.000")
    critical_count: int = 0
    """Of those, beyond the legal maximum (``legal_max_hours``)."""
    critical_kg: Decimal = Decimal("0.000")
    uncollected_count: int = 0
    """Still at the generator ``collect_within_hours`` after registration."""
    uncollected_kg: Decimal = Decimal("0.000")
    oldest_registered_at: datetime | None = None


class GeneratorClearing(OverdueFigures):
    generator: str
    name: str
    division: str


class DistrictClearing(OverdueFigures):
    division: str
    name: str


class DayClearance(SQLModel):
    """One local day's medical containers and how many were disposed by their deadline."""

    day: date
    registered: int
    cleared_on_time: int
    late: int
    """Deadline passed without disposal by it (disposed late, or still open)."""
    pending: int
    """Deadline not reached yet and not disposed yet."""
    rate: Decimal | None
    """cleared_on_time / registered (null for a day without medical waste)."""
    final: bool
    """Every deadline of the day has passed: the rate will not change any more."""


class DistrictDays(SQLModel):
    division: str
    name: str
    days: list[DayClearance]


class ClearingReport(SQLModel):
    """Daily clearing as of ``as_of``, within the caller's jurisdiction."""

    as_of: datetime
    timezone: str
    clearing_hours: int
    legal_max_hours: int
    collect_within_hours: int
    city: OverdueFigures
    districts: list[DistrictClearing]
    generators: list[GeneratorClearing]
    days: list[DayClearance]
    district_days: list[DistrictDays]


@dataclass(slots=True)
class _Sums:
    overdue: int = 0
    overdue_g: int = 0
    critical: int = 0
    critical_g: int = 0
    uncollected: int = 0
    uncollected_g: int = 0
    oldest: datetime | None = None

    def add(self, other: _Sums) -> None:
        self.overdue += other.overdue
        self.overdue_g += other.overdue_g
        self.critical += other.critical
        self.critical_g += other.critical_g
        self.uncollected += other.uncollected
        self.uncollected_g += other.uncollected_g
        if other.oldest is not None and (self.oldest is None or other.oldest < self.oldest):
            self.oldest = other.oldest

    def figures(self) -> dict[str, Any]:
        return {
            "overdue_count": self.overdue,
            "overdue_kg": g_to_kg(self.overdue_g),
            "critical_count": self.critical,
            "critical_kg": g_to_kg(self.critical_g),
            "uncollected_count": self.uncollected,
            "uncollected_kg": g_to_kg(self.uncollected_g),
            "oldest_registered_at": self.oldest,
        }


def open_medical() -> list[ColumnElement[bool] | TextClause]:
    """Open medical containers, written exactly as ``ix_container_open``'s predicate so the index is used."""
    return [col(Container.medical) == true(), text(CONTAINER_OPEN_PREDICATE)]


async def _overdue_by_generator(
    uow: UnitOfWork, now: datetime, scope: ColumnElement[bool]
) -> dict[tuple[str, str], _Sums]:
    policy = uow.settings.monitoring
    overdue_cut = now - timedelta(hours=policy.clearing_hours)
    legal_cut = now - timedelta(hours=policy.legal_max_hours)
    collect_cut = now - timedelta(hours=policy.collect_within_hours)
    registered = col(Container.registered_at)
    weight = col(Container.weight_g)
    at_generator = col(Container.status).in_(AT_GENERATOR)
    is_overdue = registered < overdue_cut
    is_critical = registered < legal_cut
    is_uncollected = at_generator & (registered < collect_cut)

    def total(condition: ColumnElement[bool], value: Any) -> Any:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    query = (
        select(
            col(Container.generator_uscc),
            col(Container.division),
            total(is_overdue, 1),
            total(is_overdue, weight),
            total(is_critical, 1),
            total(is_critical, weight),
            total(is_uncollected, 1),
            total(is_uncollected, weight),
            func.min(registered),
        )
        .where(*open_medical(), registered < max(overdue_cut, collect_cut), scope)
        .group_by(col(Container.generator_uscc), col(Container.division))
    )
    sums: dict[tuple[str, str], _Sums] = {}
    for row in (await uow.session.execute(query)).all():
        # MIN() keeps the column's type, so the oldest time comes back as aware UTC on both backends.
        overdue, overdue_g, critical, critical_g, uncollected, uncollected_g = (int(v) for v in row[2:8])
        sums[(row[0], row[1])] = _Sums(overdue, overdue_g, critical, critical_g, uncollected, uncollected_g, row[8])
    return sums


def disposed_within(uow: UnitOfWork, limit: timedelta) -> ColumnElement[bool]:
    """``disposed_at <= registered_at + limit`` in SQL: interval arithmetic on PostgreSQL, Julian days on SQLite
    (which stores UTC text that ``julianday`` reads)."""
    disposed, registered = col(Container.disposed_at), col(Container.registered_at)
    if uow.session.get_bind().dialect.name == "sqlite":
        days = limit / timedelta(days=1)
        return disposed.is_not(None) & (func.julianday(disposed) <= func.julianday(registered) + days)
    # Bound as an interval: bound against the column it would take the column's (timestamp) type.
    return disposed.is_not(None) & (disposed <= registered + literal(limit, Interval()))


async def _daily_rates(
    uow: UnitOfWork, now: datetime, scope: ColumnElement[bool], days: int
) -> tuple[list[DayClearance], dict[str, list[DayClearance]]]:
    """Clearance rate per local day, for the city and per district, over the last ``days`` local days."""
    tz = uow.settings.timezone
    limit = timedelta(hours=uow.settings.monitoring.clearing_hours)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    # Everything is counted in the database, a few rows per district and day come back. The local day is a
    # CASE over the UTC instants at which the local days start (computed here with zoneinfo), so day boundaries
    # follow the configured zone on both backends without their time-zone functions.
    starts = [local_day_start(first + timedelta(days=k), tz) for k in range(days + 1)]
    registered = col(Container.registered_at)
    day_index = case(*((registered < starts[k + 1], k) for k in range(days)), else_=days)
    on_time = disposed_within(uow, limit)
    overdue = registered <= now - limit

    def total(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            col(Container.division),
            day_index,
            func.count(),
            total(on_time),
            total(~on_time & overdue),
        )
        .where(
            col(Container.medical) == true(),
            col(Container.status).in_(NOT_VOIDED),
            registered >= starts[0],
            scope,
        )
        .group_by(col(Container.division), day_index)
    )
    # day → [registered, on time, late, pending], for the city and for each district
    city: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    district: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    for division, index, count, cleared, late in (await uow.session.execute(query)).all():
        if index >= days:
            continue  # registered after the window (a clock ahead of ours): not a day of this report
        day = first + timedelta(days=int(index))
        figures = (int(count), int(cleared), int(late), int(count) - int(cleared) - int(late))
        for counts in (city[day], district[division][day]):
            for position, value in enumerate(figures):
                counts[position] += value

    def series(by_day: dict[date, list[int]]) -> list[DayClearance]:
        out = []
        for offset in range(days):
            day = first + timedelta(days=offset)
            registered, on_time, late, pending = by_day.get(day, [0, 0, 0, 0])
            # A day is final once the deadline of its last possible container (registered at midnight) passed.
            final = local_day_start(day + timedelta(days=1), tz) + limit <= now
            out.append(
                DayClearance(
                    day=day,
                    registered=registered,
                    cleared_on_time=on_time,
                    late=late,
                    pending=pending,
                    rate=ratio(on_time, registered),
                    final=final,
                )
            )
        return out

    return series(city), {division: series(by_day) for division, by_day in sorted(district.items())}


async def _names(uow: UnitOfWork, usccs: set[str]) -> dict[str, str]:
    if not usccs:
        return {}
    rows = await uow.session.execute(
        select(col(Organisation.uscc), col(Organisation.name_zh)).where(col(Organisation.uscc).in_(sorted(usccs)))
    )
    return {uscc: name for uscc, name in rows.all()}


def _division_name(uow: UnitOfWork, code: str) -> str:
    known = uow.catalogue.divisions.get(code)
    return known.name_zh if known is not None else code


async def _report(uow: UnitOfWork, actor: Actor, days: int) -> ClearingReport:
    now = uow.now()
    policy = uow.settings.monitoring
    scope = container_filter(actor, uow.catalogue)
    by_generator = await _overdue_by_generator(uow, now, scope)
    city_days, district_days = await _daily_rates(uow, now, scope, days)
    names = await _names(uow, {uscc for uscc, _ in by_generator})
    city = _Sums()
    districts: dict[str, _Sums] = defaultdict(_Sums)
    generators = []
    for (uscc, division), sums in sorted(by_generator.items()):
        city.add(sums)
        districts[division].add(sums)
        generators.append(
            GeneratorClearing(generator=uscc, name=names.get(uscc, uscc), division=division, **sums.figures())
        )
    return ClearingReport(
        as_of=now,
        timezone=str(uow.settings.timezone),
        clearing_hours=policy.clearing_hours,
        legal_max_hours=policy.legal_max_hours,
        collect_within_hours=policy.collect_within_hours,
        city=OverdueFigures(**city.figures()),
        districts=[
            DistrictClearing(division=code, name=_division_name(uow, code), **sums.figures())
            for code, sums in sorted(districts.items())
        ],
        generators=generators,
        days=city_days,
        district_days=[
            DistrictDays(division=code, name=_division_name(uow, code), days=series)
            for code, series in district_days.items()
        ],
    )


async def daily_clearing(uow: UnitOfWork, actor: Actor, *, days: int | None = None) -> ClearingReport:
    """Overdue and uncollected medical waste per generator, district and city, and each day's clearance rate."""
    require_monitoring_reader(actor, what="the daily clearing report")
    window = days or uow.settings.monitoring.clearance_days
    if not 1 <= window <= 92:
        raise InvalidInput("days must be between 1 and 92", field="days")
    async with uow:
        return await _report(uow, actor, window)


# --- the check ----------------------------------------------------------------------------------------------


def _generator_finding(uow: UnitOfWork, row: GeneratorClearing) -> Finding | None:
    policy = uow.settings.monitoring
    if row.overdue_count == 0 and row.uncollected_count == 0:
        return None
    severity = Severity.CRITICAL if row.critical_count else Severity.WARNING
    parts = []
    if row.overdue_count:
        parts.append(
            f"{row.overdue_count} 件 {row.overdue_kg} kg 超过 {policy.clearing_hours} 小时未处置"
            f" ({row.overdue_count} not disposed within {policy.clearing_hours} h)"
        )
    if row.uncollected_count:
        parts.append(
            f"{row.uncollected_count} 件 {row.uncollected_kg} kg 超过 {policy.collect_within_hours} 小时未收运"
            f" ({row.uncollected_count} not collected within {policy.collect_within_hours} h)"
        )
    figures = row.model_dump(mode="json", exclude={"generator", "name", "division"})
    figures.update(clearing_hours=policy.clearing_hours, legal_max_hours=policy.legal_max_hours)
    return Finding(
        kind=KIND_GENERATOR,
        dedupe_key=f"{KIND_GENERATOR}:generator:{row.generator}",
        severity=severity,
        subject_kind="generator",
        subject_id=row.generator,
        subject_name=row.name,
        division=row.division,
        title=f"{row.name} 医疗废物日产日清超时: " + "; ".join(parts),
        figures=figures,
    )


def _district_finding(uow: UnitOfWork, district: DistrictDays) -> Finding | None:
    """A district whose latest complete day cleared too little on time."""
    policy = uow.settings.monitoring
    final = [d for d in district.days if d.final and d.rate is not None]
    if not final:
        return None
    last = final[-1]
    assert last.rate is not None
    if last.rate >= policy.clearance_warn_below:
        return None
    severity = Severity.CRITICAL if last.rate < policy.clearance_critical_below else Severity.WARNING
    return Finding(
        kind=KIND_DISTRICT,
        dedupe_key=f"{KIND_DISTRICT}:district:{district.division}",
        severity=severity,
        subject_kind="district",
        subject_id=district.division,
        subject_name=district.name,
        division=district.division,
        title=f"{district.name} {last.day} 医疗废物按时清运率 {last.rate:.0%}"
        f" (clearance rate {last.rate:.0%} on {last.day})",
        figures={
            "day": last.day.isoformat(),
            "rate": str(last.rate),
            "registered": last.registered,
            "cleared_on_time": last.cleared_on_time,
            "late": last.late,
            "warn_below": str(policy.clearance_warn_below),
        },
    )


async def check_daily_clearing(uow: UnitOfWork) -> CheckResult:
    """The findings of the daily-clearing check for the whole city (the job's read, one transaction)."""
    async with uow:
        report = await _report(uow, SYSTEM, uow.settings.monitoring.clearance_days)
    findings = [f for row in report.generators if (f := _generator_finding(uow, row)) is not None]
    findings += [f for d in report.district_days if (f := _district_finding(uow, d)) is not None]
    return CheckResult(CHECK, frozenset({KIND_GENERATOR, KIND_DISTRICT}), findings)
