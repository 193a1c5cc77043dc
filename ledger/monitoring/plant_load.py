"""Plant load: each plant's work today against its rated daily capacity, its backlog, and where load could go.

The bureau dispatched disposal load and analysed each plant's running load daily (DOMAIN.md §9). Per plant:

- **received** and **disposed** today (local day, received weight where weighed, else declared);
- **backlog**: stored (received, not disposed), in transit to it (collected on a manifest naming it), and
  waiting at the generators it serves (registered there; a generator is served by the plant its most recent
  manifest went to);
- **load** = disposed today + backlog: the work the plant has on its hands today. **utilisation** =
  load / rated capacity, with the thresholds of the policy (warn 80 %, critical 100 %);
- **days to clear** = backlog / capacity; **headroom** = capacity − load.

City capacity is the sum of the active medical plants' rated capacities: 99 t/day in the demo, 111 t/day with
the five emergency lines switched on. For a plant at or above the warning threshold, the report lists plants
with headroom licensed for every waste code in its backlog, and emergency lines that could be switched on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, literal_column, select, text
from sqlmodel import SQLModel, col

from ledger.actors import Actor, Role
from ledger.errors import Forbidden
from ledger.lifecycle import ContainerStatus
from ledger.monitoring.findings import CheckResult, Finding, Severity, local_day_bounds
from ledger.scope import covered_divisions
from ledger.tables import CONTAINER_OPEN_PREDICATE, Container, Organisation, Plant, Shipment
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_t

CHECK = "plant_load"
KIND_PLANT = "plant_overload"
KIND_CITY = "city_capacity"

S = ContainerStatus
_T = Decimal("0.001")


class Headroom(SQLModel):
    """A plant that could take load off an overloaded one."""

    uscc: str
    name: str
    division: str
    active: bool
    capacity_t: Decimal
    headroom_t: Decimal
    action: str
    """``redirect`` (running, with room today) or ``activate`` (an emergency line a regulator can switch on)."""


class PlantLoad(SQLModel):
    uscc: str
    name: str
    division: str
    medical: bool
    emergency: bool
    active: bool
    capacity_t: Decimal
    """Rated t/day (counts towards the city only while active)."""
    received_t: Decimal
    disposed_t: Decimal
    stored_t: Decimal
    in_transit_t: Decimal
    waiting_t: Decimal
    backlog_t: Decimal
    load_t: Decimal
    utilisation: Decimal | None
    """load / capacity (null for a plant that is switched off)."""
    level: str
    """``ok``, ``warning``, ``critical`` or ``inactive``."""
    days_to_clear: Decimal | None
    headroom_t: Decimal
    backlog_waste_codes: list[str]
    suggestions: list[Headroom]


class PlantLoadReport(SQLModel):
    day: date
    as_of: datetime
    timezone: str
    warn_at: Decimal
    critical_at: Decimal
    city_capacity_t: Decimal
    """Sum of the active medical plants' rated capacities (t/day)."""
    emergency_reserve_t: Decimal
    """Medical emergency lines not switched on (what activating them would add)."""
    city_load_t: Decimal
    city_utilisation: Decimal | None
    plants: list[PlantLoad]


@dataclass(slots=True)
class _Work:
    received_g: int = 0
    disposed_g: int = 0
    stored_g: int = 0
    in_transit_g: int = 0
    waiting_g: int = 0
    codes: set[str] = field(default_factory=set)

    @property
    def backlog_g(self) -> int:
        return self.stored_g + self.in_transit_g + self.waiting_g

    @property
    def load_g(self) -> int:
        return self.disposed_g + self.backlog_g


def _mass() -> Any:
    """At a plant the weighed mass counts; before weighing, the declared one."""
    return func.coalesce(col(Container.received_weight_g), col(Container.weight_g))


async def _work(uow: UnitOfWork, day: date) -> dict[str, _Work]:
    start, end = local_day_bounds(day, uow.settings.timezone)
    work: dict[str, _Work] = defaultdict(_Work)
    plant = col(Container.plant_uscc)
    # Today's flows: one day of rows through the received_at and disposed_at indexes.
    received = select(plant, func.sum(_mass())).where(
        col(Container.received_at) >= start,
        col(Container.received_at) < end,
        col(Container.status).in_([S.RECEIVED.value, S.DISPOSED.value]),
    )
    for uscc, grams in (await uow.session.execute(received.group_by(plant))).all():
        work[uscc].received_g = int(grams or 0)
    disposed = select(plant, func.sum(_mass())).where(
        col(Container.disposed_at) >= start, col(Container.disposed_at) < end
    )
    for uscc, grams in (await uow.session.execute(disposed.group_by(plant))).all():
        work[uscc].disposed_g = int(grams or 0)
    # Backlog at and towards plants: open containers only (the partial index's predicate, repeated verbatim).
    at_plants = (
        select(plant, col(Container.status), col(Container.waste_code), func.sum(_mass()))
        .where(text(CONTAINER_OPEN_PREDICATE), col(Container.status).in_([S.RECEIVED.value, S.COLLECTED.value]))
        .group_by(plant, col(Container.status), col(Container.waste_code))
    )
    for uscc, status, code, grams in (await uow.session.execute(at_plants)).all():
        if uscc is None:
            continue
        if status == S.RECEIVED:
            work[uscc].stored_g += int(grams or 0)
        else:
            work[uscc].in_transit_g += int(grams or 0)
        work[uscc].codes.add(code)
    for uscc, code, grams in await _waiting(uow):
        work[uscc].waiting_g += grams
        work[uscc].codes.add(code)
    return work


async def _waiting(uow: UnitOfWork) -> list[tuple[str, str, int]]:
    """(plant, waste code, grams) waiting at generators, each generator assigned to the receiver of its most
    recent manifest to a plant; generators that never shipped are nobody's yet and are left out."""
    generator = col(Container.generator_uscc)
    at_generators = (text(CONTAINER_OPEN_PREDICATE), col(Container.status).in_([S.REGISTERED.value, S.RETURNED.value]))
    waiting = (
        await uow.session.execute(
            select(generator, col(Container.waste_code), func.sum(col(Container.weight_g)))
            .where(*at_generators)
            .group_by(generator, col(Container.waste_code))
        )
    ).all()
    if not waiting:
        return []
    # One backward probe of ix_shipment_generator_created per generator with waiting waste, whatever the history.
    generators = select(generator.label("uscc")).where(*at_generators).distinct().subquery()
    latest = (
        select(col(Shipment.receiver_uscc))
        .where(
            col(Shipment.generator_uscc) == generators.c.uscc,
            col(Shipment.receiver_uscc) != generators.c.uscc,
            col(Shipment.status) != literal_column("'cancelled'"),
        )
        .order_by(col(Shipment.created_at).desc())
        .limit(1)
        .scalar_subquery()
    )
    plant_of = {uscc: plant for uscc, plant in (await uow.session.execute(select(generators.c.uscc, latest))).all()}
    return [(plant, code, int(grams)) for uscc, code, grams in waiting if (plant := plant_of.get(uscc)) is not None]


def _level(utilisation: Decimal | None, active: bool, uow: UnitOfWork) -> str:
    policy = uow.settings.monitoring
    if not active:
        return "inactive"
    if utilisation is None:
        return "ok"
    if utilisation >= policy.load_critical:
        return Severity.CRITICAL.value
    if utilisation >= policy.load_warn:
        return Severity.WARNING.value
    return "ok"


def _ratio(numerator_g: int, denominator_g: int) -> Decimal | None:
    if denominator_g <= 0:
        return None
    return (Decimal(numerator_g) / Decimal(denominator_g)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _days(numerator_g: int, denominator_g: int) -> Decimal | None:
    if denominator_g <= 0:
        return None
    return (Decimal(numerator_g) / Decimal(denominator_g)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _suggestions(target: PlantLoad, plants: list[PlantLoad], licences: dict[str, set[str]]) -> list[Headroom]:
    """Plants licensed for every waste code the overloaded plant must handle, with room or ready to start."""
    needed = set(target.backlog_waste_codes) or licences[target.uscc]
    running: list[Headroom] = []
    standby: list[Headroom] = []
    for other in plants:
        if other.uscc == target.uscc or other.medical != target.medical or not needed <= licences[other.uscc]:
            continue
        if other.active and other.headroom_t > 0:
            running.append(
                Headroom(
                    uscc=other.uscc,
                    name=other.name,
                    division=other.division,
                    active=True,
                    capacity_t=other.capacity_t,
                    headroom_t=other.headroom_t,
                    action="redirect",
                )
            )
        elif not other.active and other.emergency:
            standby.append(
                Headroom(
                    uscc=other.uscc,
                    name=other.name,
                    division=other.division,
                    active=False,
                    capacity_t=other.capacity_t,
                    headroom_t=other.capacity_t,
                    action="activate",
                )
            )
    running.sort(key=lambda h: (-h.headroom_t, h.uscc))
    standby.sort(key=lambda h: (-h.capacity_t, h.uscc))
    return running + standby


async def _report(uow: UnitOfWork, day: date | None, visible: set[str] | None) -> PlantLoadReport:
    now = uow.now()
    tz = uow.settings.timezone
    policy = uow.settings.monitoring
    today = day or now.astimezone(tz).date()
    work = await _work(uow, today)
    rows = (
        await uow.session.execute(
            select(Plant, Organisation).join(Organisation, col(Organisation.uscc) == col(Plant.uscc))
        )
    ).all()
    licences = {plant.uscc: set(plant.licensed_waste_codes) for plant, _ in rows}
    plants: list[PlantLoad] = []
    for plant, org in sorted(rows, key=lambda r: r[0].uscc):
        w = work.get(plant.uscc, _Work())
        capacity_g = plant.rated_capacity_kg_per_day * 1000
        usable_g = capacity_g if plant.active else 0
        utilisation = _ratio(w.load_g, usable_g)
        plants.append(
            PlantLoad(
                uscc=plant.uscc,
                name=org.name_zh,
                division=org.division,
                medical=plant.medical,
                emergency=plant.emergency,
                active=plant.active,
                capacity_t=g_to_t(capacity_g),
                received_t=g_to_t(w.received_g),
                disposed_t=g_to_t(w.disposed_g),
                stored_t=g_to_t(w.stored_g),
                in_transit_t=g_to_t(w.in_transit_g),
                waiting_t=g_to_t(w.waiting_g),
                backlog_t=g_to_t(w.backlog_g),
                load_t=g_to_t(w.load_g),
                utilisation=utilisation,
                level=_level(utilisation, plant.active, uow),
                days_to_clear=_days(w.backlog_g, usable_g),
                headroom_t=g_to_t(max(0, usable_g - w.load_g)),
                backlog_waste_codes=sorted(w.codes),
                suggestions=[],
            )
        )
    for entry in plants:
        if entry.level in (Severity.WARNING, Severity.CRITICAL):
            entry.suggestions = _suggestions(entry, plants, licences)
    medical = [p for p in plants if p.medical]
    capacity = sum((p.capacity_t for p in medical if p.active), Decimal("0.000"))
    reserve = sum((p.capacity_t for p in medical if not p.active and p.emergency), Decimal("0.000"))
    load = sum((p.load_t for p in medical), Decimal("0.000"))
    return PlantLoadReport(
        day=today,
        as_of=now,
        timezone=str(tz),
        warn_at=policy.load_warn,
        critical_at=policy.load_critical,
        city_capacity_t=capacity.quantize(_T),
        emergency_reserve_t=reserve.quantize(_T),
        city_load_t=load.quantize(_T),
        city_utilisation=None if not capacity else (load / capacity).quantize(Decimal("0.0001")),
        plants=[p for p in plants if visible is None or p.uscc in visible],
    )


async def plant_load(uow: UnitOfWork, actor: Actor, *, day: date | None = None) -> PlantLoadReport:
    """Per plant: received, disposed, backlog, utilisation, days to clear, headroom; and city capacity.

    Regulators see the plants of their jurisdiction (the city's see all), a plant operator its own plant; the
    city figures and the suggested plants are shown to all of them, since redirecting load crosses districts.
    """
    async with uow:
        visible: set[str] | None = None
        if actor.is_privileged:
            visible = None
        elif actor.role == Role.REGULATOR and actor.jurisdiction is not None:
            divisions = covered_divisions(uow.catalogue, actor.jurisdiction)
            visible = set(
                (
                    await uow.session.execute(
                        select(col(Organisation.uscc)).where(
                            col(Organisation.kind) == "plant", col(Organisation.division).in_(sorted(divisions))
                        )
                    )
                ).scalars()
            )
        elif actor.role == Role.PLANT_OPERATOR and actor.org is not None:
            visible = {actor.org}
        else:
            raise Forbidden(
                f"plant load is for regulators, plant operators and administrators; you act as {actor.role}",
                field="actor",
            )
        return await _report(uow, day, visible)


# --- the check ----------------------------------------------------------------------------------------------


def _t(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def plant_figures(p: PlantLoad) -> dict[str, Any]:
    return {
        "capacity_t": str(p.capacity_t),
        "received_t": str(p.received_t),
        "disposed_t": str(p.disposed_t),
        "stored_t": str(p.stored_t),
        "in_transit_t": str(p.in_transit_t),
        "waiting_t": str(p.waiting_t),
        "backlog_t": str(p.backlog_t),
        "load_t": str(p.load_t),
        "utilisation": _t(p.utilisation),
        "days_to_clear": _t(p.days_to_clear),
        "suggestions": [
            {"uscc": h.uscc, "name": h.name, "action": h.action, "headroom_t": str(h.headroom_t)} for h in p.suggestions
        ],
    }


async def check_plant_load(uow: UnitOfWork) -> CheckResult:
    """Findings: each running plant at or above the warning threshold, and the city as a whole."""
    async with uow:
        report = await _report(uow, None, None)
    policy = uow.settings.monitoring
    findings: list[Finding] = []
    for p in report.plants:
        if p.level not in (Severity.WARNING, Severity.CRITICAL) or p.utilisation is None:
            continue
        findings.append(
            Finding(
                kind=KIND_PLANT,
                dedupe_key=f"{KIND_PLANT}:plant:{p.uscc}",
                severity=Severity(p.level),
                subject_kind="plant",
                subject_id=p.uscc,
                subject_name=p.name,
                division=p.division,
                title=f"{p.name} 负荷 {p.utilisation:.0%}: {p.load_t} t / {p.capacity_t} t/日"
                f" (load {p.utilisation:.0%} of rated capacity)",
                figures=plant_figures(p),
            )
        )
    if report.city_utilisation is not None and report.city_utilisation >= policy.load_warn:
        severity = Severity.CRITICAL if report.city_utilisation >= policy.load_critical else Severity.WARNING
        city = policy.city_division
        findings.append(
            Finding(
                kind=KIND_CITY,
                dedupe_key=f"{KIND_CITY}:city:{city}",
                severity=severity,
                subject_kind="city",
                subject_id=city,
                subject_name=uow.catalogue.divisions[city].name_zh if city in uow.catalogue.divisions else city,
                division=city,
                title=f"全市医疗废物处置负荷 {report.city_utilisation:.0%}: {report.city_load_t} t /"
                f" {report.city_capacity_t} t/日 (city load {report.city_utilisation:.0%})",
                figures={
                    "city_capacity_t": str(report.city_capacity_t),
                    "emergency_reserve_t": str(report.emergency_reserve_t),
                    "city_load_t": str(report.city_load_t),
                    "city_utilisation": str(report.city_utilisation),
                },
            )
        )
    return CheckResult(CHECK, frozenset({KIND_PLANT, KIND_CITY}), findings)
