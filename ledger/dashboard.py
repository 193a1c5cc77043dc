"""Read models for the regulator's dashboard (指挥舱) that the monitoring services do not already give.

The dashboard's headline figures come from the same services as the API (``plant_load``, ``daily_clearing``,
``list_alerts``, ``list_shipments``); this module adds what only the dashboard needs: a 30-day trend of load
against capacity, the open containers behind a clearing figure, the transfers overview, the emergency lines
with their last switch, the search box, and who an alert can be assigned to. Every function takes the viewer
and applies the same scope rules (:mod:`ledger.scope`) as the API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, text, true
from sqlmodel import SQLModel, col

from ledger.actors import Actor, Role
from ledger.errors import Forbidden, InvalidIdentifier, NotFound
from ledger.identifiers import LABEL_PATH, MANIFEST_PATH, container_code_from_scan, parse_manifest_number
from ledger.lifecycle import ContainerStatus
from ledger.monitoring.alerts import AlertPublic
from ledger.monitoring.findings import local_day_start, require_monitoring_reader
from ledger.plants import plant_stream
from ledger.queries import list_shipments
from ledger.scope import container_filter, covered_divisions, regulator_covers
from ledger.shipments import ShipmentPublic, ShipmentStatus, load_shipment
from ledger.tables import CONTAINER_OPEN_PREDICATE, Container, LedgerEvent, Organisation, Plant, User
from ledger.transfers import QuotaPublic, list_quotas
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_kg, g_to_t

S = ContainerStatus
_T = Decimal("0.001")


async def organisation_names(uow: UnitOfWork, usccs: set[str]) -> dict[str, str]:
    """USCC → Chinese name (public data) for the organisations named on a page."""
    if not usccs:
        return {}
    rows = await uow.session.execute(
        select(col(Organisation.uscc), col(Organisation.name_zh)).where(col(Organisation.uscc).in_(sorted(usccs)))
    )
    return {uscc: name for uscc, name in rows.all()}


async def _plants_in_scope(uow: UnitOfWork, actor: Actor) -> list[tuple[Plant, Organisation]]:
    """Medical plants the viewer oversees: all for the city and administrators, its district's for a district."""
    query = (
        select(Plant, Organisation)
        .join(Organisation, col(Organisation.uscc) == col(Plant.uscc))
        .where(col(Plant.medical).is_(True))
    )
    if not actor.is_privileged:
        assert actor.jurisdiction is not None
        query = query.where(
            col(Organisation.division).in_(sorted(covered_divisions(uow.catalogue, actor.jurisdiction)))
        )
    return [(plant, org) for plant, org in (await uow.session.execute(query.order_by(col(Plant.uscc)))).all()]


# --- the 30-day trend ---------------------------------------------------------------------------------------


class TrendDay(SQLModel):
    day: date
    capacity_t: Decimal
    """Rated capacity of the plants that were running at the end of the day (emergency lines as switched)."""
    disposed_t: Decimal
    backlog_t: Decimal
    """In transit to the plants or stored there, not yet disposed, at the end of the day (now, for today)."""
    load_t: Decimal
    """disposed + backlog: the day's work at the plants, as in plant load."""


class LoadTrend(SQLModel):
    days: list[TrendDay]
    plants: int
    """How many medical plants the figures cover (the viewer's jurisdiction)."""


async def _capacity_by_day(
    uow: UnitOfWork, plants: list[tuple[Plant, Organisation]], ends: list[datetime]
) -> list[Decimal]:
    """Running capacity at each instant of ``ends``, replaying each plant's switches from its stream."""
    streams = {plant_stream(p.uscc): p for p, _ in plants}
    if not streams:
        return [Decimal("0.000") for _ in ends]
    rows = (
        await uow.session.execute(
            select(
                col(LedgerEvent.stream), col(LedgerEvent.type), col(LedgerEvent.occurred_at), col(LedgerEvent.payload)
            )
            .where(
                col(LedgerEvent.stream).in_(sorted(streams)),
                col(LedgerEvent.type).in_(["plant.registered", "plant.activated", "plant.deactivated"]),
            )
            .order_by(col(LedgerEvent.stream), col(LedgerEvent.version))
        )
    ).all()
    switches: dict[str, list[tuple[datetime, bool]]] = {stream: [] for stream in streams}
    initial: dict[str, bool] = {stream: plant.active for stream, plant in streams.items()}
    for stream, type_, occurred_at, payload in rows:
        active = bool(json.loads(payload).get("active"))
        if type_ == "plant.registered":
            # A plant registered when the ledger was set up counts with its licensed state from the start.
            initial[stream] = active
        else:
            switches[stream].append((occurred_at, active))
    totals = []
    for end in ends:
        kg = 0
        for stream, plant in streams.items():
            active = initial[stream]
            for moment, state in switches[stream]:
                if moment < end:
                    active = state
            if active:
                kg += plant.rated_capacity_kg_per_day
        totals.append(g_to_t(kg * 1000))
    return totals


async def load_trend(uow: UnitOfWork, actor: Actor, *, days: int = 30, plant: str | None = None) -> LoadTrend:
    """Per local day of the last ``days``: capacity, disposed, backlog and load of the viewer's medical plants
    (or of one of them, ``plant``).

    Cost: one aggregate over the containers disposed in the window or still open (``ix_container_disposed_at``
    and the open-container index), with one CASE sum per day; the plants' switch events.
    """
    require_monitoring_reader(actor, what="the load trend")
    async with uow.read_only():
        now = uow.now()
        tz = uow.settings.timezone
        today = now.astimezone(tz).date()
        first = today - timedelta(days=days - 1)
        starts = [local_day_start(first + timedelta(days=k), tz) for k in range(days + 1)]
        ends = [*starts[1:days], now]
        plants = await _plants_in_scope(uow, actor)
        if plant is not None:
            plants = [(p, o) for p, o in plants if p.uscc == plant]
            if not plants:
                raise NotFound(f"plant {plant} is not a medical plant in your jurisdiction", field="plant")
        usccs = sorted(p.uscc for p, _ in plants)
        mass = func.coalesce(col(Container.received_weight_g), col(Container.weight_g))
        collected, disposed = col(Container.collected_at), col(Container.disposed_at)
        columns: list[Any] = []
        for k in range(days):
            columns.append(func.sum(case(((disposed >= starts[k]) & (disposed < ends[k]), mass), else_=0)))
            waiting = (collected < ends[k]) & (disposed.is_(None) | (disposed >= ends[k]))
            columns.append(func.sum(case((waiting, mass), else_=0)))
        sums: list[Any] = [0] * (2 * days)
        if usccs:
            query = select(*columns).where(
                col(Container.plant_uscc).in_(usccs),
                col(Container.medical) == true(),
                col(Container.status).in_([S.COLLECTED.value, S.RECEIVED.value, S.DISPOSED.value]),
                (disposed >= starts[0]) | text(CONTAINER_OPEN_PREDICATE),
            )
            sums = list((await uow.session.execute(query)).one())
        capacity = await _capacity_by_day(uow, plants, ends)
    series = []
    for k in range(days):
        disposed_g, backlog_g = int(sums[2 * k] or 0), int(sums[2 * k + 1] or 0)
        series.append(
            TrendDay(
                day=first + timedelta(days=k),
                capacity_t=capacity[k],
                disposed_t=g_to_t(disposed_g),
                backlog_t=g_to_t(backlog_g),
                load_t=g_to_t(disposed_g + backlog_g),
            )
        )
    return LoadTrend(days=series, plants=len(plants))


# --- emergency lines ----------------------------------------------------------------------------------------


class EmergencyLine(SQLModel):
    uscc: str
    name: str
    division: str
    capacity_t: Decimal
    active: bool
    switched_at: datetime | None
    """When it was last switched on or off (None: never since registration)."""
    switched_by: str | None
    reason: str | None
    may_switch: bool
    """The viewer may switch it (the regulator overseeing its division, or an administrator)."""


async def emergency_lines(uow: UnitOfWork, actor: Actor) -> list[EmergencyLine]:
    """The medical emergency and backup lines in the viewer's jurisdiction, with their last switch (who, why)."""
    require_monitoring_reader(actor, what="the emergency lines")
    async with uow.read_only():
        lines = [(p, o) for p, o in await _plants_in_scope(uow, actor) if p.emergency]
        last: dict[str, LedgerEvent] = {}
        if lines:
            rows = (
                await uow.session.execute(
                    select(LedgerEvent)
                    .where(
                        col(LedgerEvent.stream).in_([plant_stream(p.uscc) for p, _ in lines]),
                        col(LedgerEvent.type).in_(["plant.activated", "plant.deactivated"]),
                    )
                    .order_by(col(LedgerEvent.seq))
                )
            ).scalars()
            for row in rows:
                last[row.stream] = row
        result = []
        for plant, org in lines:
            switch = last.get(plant_stream(plant.uscc))
            reason = None if switch is None else str(json.loads(switch.payload).get("reason", ""))
            result.append(
                EmergencyLine(
                    uscc=plant.uscc,
                    name=org.name_zh,
                    division=org.division,
                    capacity_t=g_to_t(plant.rated_capacity_kg_per_day * 1000),
                    active=plant.active,
                    switched_at=None if switch is None else switch.occurred_at,
                    switched_by=None if switch is None else switch.actor_user,
                    reason=reason,
                    may_switch=actor.is_privileged or regulator_covers(actor, org.division, uow.catalogue),
                )
            )
        return result


# --- daily clearing drill-down ------------------------------------------------------------------------------


class OpenContainer(SQLModel):
    code: str
    generator: str
    generator_name: str
    division: str
    waste_code: str
    status: str
    custodian_name: str
    weight_kg: Decimal
    registered_at: datetime
    age_hours: int
    overdue: bool
    """Not disposed within the clearing limit (24 h by default)."""
    critical: bool
    """Beyond the legal maximum (48 h)."""


async def open_medical_containers(
    uow: UnitOfWork,
    actor: Actor,
    *,
    generator: str | None = None,
    division: str | None = None,
    overdue_only: bool = False,
    limit: int = 200,
) -> list[OpenContainer]:
    """Medical containers not yet disposed, oldest first, within the viewer's scope (the clearing drill-down)."""
    require_monitoring_reader(actor, what="the clearing drill-down")
    async with uow.read_only():
        now = uow.now()
        policy = uow.settings.monitoring
        query = select(Container).where(
            col(Container.medical) == true(), text(CONTAINER_OPEN_PREDICATE), container_filter(actor, uow.catalogue)
        )
        if generator is not None:
            query = query.where(col(Container.generator_uscc) == generator)
        if division is not None:
            query = query.where(col(Container.division) == division)
        if overdue_only:
            query = query.where(col(Container.registered_at) < now - timedelta(hours=policy.clearing_hours))
        rows = list((await uow.session.execute(query.order_by(col(Container.registered_at)).limit(limit))).scalars())
        names = await organisation_names(uow, {r.generator_uscc for r in rows} | {r.custodian_uscc for r in rows})
        result = []
        for row in rows:
            age = now - row.registered_at
            result.append(
                OpenContainer(
                    code=row.code,
                    generator=row.generator_uscc,
                    generator_name=names.get(row.generator_uscc, row.generator_uscc),
                    division=row.division,
                    waste_code=row.waste_code,
                    status=row.status,
                    custodian_name=names.get(row.custodian_uscc, row.custodian_uscc),
                    weight_kg=g_to_kg(row.weight_g),
                    registered_at=row.registered_at,
                    age_hours=int(age.total_seconds() // 3600),
                    overdue=age > timedelta(hours=policy.clearing_hours),
                    critical=age > timedelta(hours=policy.legal_max_hours),
                )
            )
        return result


# --- transfers ----------------------------------------------------------------------------------------------


class ManifestLine(SQLModel):
    shipment: ShipmentPublic
    generator_name: str
    transporter_name: str
    receiver_name: str
    overdue: bool = False
    """Delivered, not confirmed by the receiver, and past its confirmation day."""


class TransfersOverview(SQLModel):
    in_transit: list[ManifestLine]
    unconfirmed: list[ManifestLine]
    cross_province: list[ManifestLine]
    quotas: list[QuotaPublic]
    receiver_names: dict[str, str]


async def transfers_overview(uow: UnitOfWork, actor: Actor, *, limit: int = 100) -> TransfersOverview:
    """Manifests in transit, delivered but unconfirmed, cross-province ones, and the white-list and approval
    quantities of the viewer's province (listed, used, remaining)."""
    require_monitoring_reader(actor, what="the transfers overview")
    in_transit = (await list_shipments(uow, actor, status=ShipmentStatus.DISPATCHED, limit=limit)).items
    delivered = (await list_shipments(uow, actor, status=ShipmentStatus.DELIVERED, limit=limit)).items
    cross = (await list_shipments(uow, actor, cross_province=True, limit=min(limit, 50))).items
    quotas = await list_quotas(uow)
    if not actor.is_privileged:
        # White lists and approvals are provincial: a district's officer sees those of its own province.
        province = (actor.jurisdiction or "")[:2]
        quotas = [q for q in quotas if province in (q.origin_province, q.destination_province)]
    async with uow.read_only():
        today = uow.now().astimezone(uow.settings.timezone).date()
        # Entries of past years are history: the page shows what can still be used.
        quotas = [q for q in quotas if not q.revoked and q.valid_from <= today <= q.valid_to]
        parties = {p for s in (*in_transit, *delivered, *cross) for p in (s.generator, s.transporter, s.receiver)}
        names = await organisation_names(uow, parties | {q.receiver for q in quotas})

    def line(s: ShipmentPublic) -> ManifestLine:
        return ManifestLine(
            shipment=s,
            generator_name=names.get(s.generator, s.generator),
            transporter_name=names.get(s.transporter, s.transporter),
            receiver_name=names.get(s.receiver, s.receiver),
            overdue=s.status == ShipmentStatus.DELIVERED and s.confirm_by is not None and today > s.confirm_by,
        )

    return TransfersOverview(
        in_transit=[line(s) for s in in_transit],
        unconfirmed=sorted((line(s) for s in delivered), key=lambda m: (not m.overdue, m.shipment.number)),
        cross_province=[line(s) for s in cross],
        quotas=quotas,
        receiver_names={q.receiver: names.get(q.receiver, q.receiver) for q in quotas},
    )


# --- search -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: str
    """``container`` or ``manifest``."""
    key: str


async def search(uow: UnitOfWork, actor: Actor, query: str) -> SearchHit:
    """What the search box found: a container code (typed, or the text a scanner read off a label), a manifest
    number (or a manifest's QR text). Something outside the viewer's scope is reported as not found."""
    text_ = query.strip()
    if not text_:
        raise InvalidIdentifier("type a container code, a manifest number or what a scanner read", field="q")
    number: str | None = None
    if text_.isdigit():
        number = text_
    elif f"/{MANIFEST_PATH}/" in text_:
        number = text_.split(f"/{MANIFEST_PATH}/", 1)[1].split("?", 1)[0].strip("/")
    if number is not None:
        parsed = str(parse_manifest_number(number, field="q"))
        async with uow.read_only():
            try:
                await load_shipment(uow, parsed, actor=actor)
            except (NotFound, Forbidden):
                raise NotFound(f"manifest {parsed} is not in the ledger", field="q") from None
        return SearchHit("manifest", parsed)
    try:
        code = str(container_code_from_scan(text_, field="q"))
    except InvalidIdentifier as exc:
        raise InvalidIdentifier(
            f"not a container code (37 characters), a manifest number (14 digits) or a label's /{LABEL_PATH}/ URL:"
            f" {exc.message}",
            field="q",
        ) from None
    async with uow.read_only():
        row = await uow.session.get(Container, code)
        if row is None or not _sees(actor, row, uow):
            raise NotFound(f"container {code} is not in the ledger", field="q")
    return SearchHit("container", code)


def _sees(actor: Actor, row: Container, uow: UnitOfWork) -> bool:
    # The dashboard is for regulators and administrators: their container scope needs no shipment lookup.
    return actor.is_privileged or regulator_covers(actor, row.division, uow.catalogue)


# --- alerts -------------------------------------------------------------------------------------------------


async def assignees(uow: UnitOfWork, actor: Actor, alerts: list[AlertPublic]) -> dict[int, list[tuple[str, str]]]:
    """For each alert, (username, display name) of the people it can be assigned to: regulators of its division
    and users of the organisation it is about (what ``assign_alert`` accepts). One read for the whole page."""
    require_monitoring_reader(actor, what="alert assignment")
    async with uow.read_only():
        # Plain tuples, not rows: leaving the unit of work rolls back, which would expire ORM rows.
        users = (
            await uow.session.execute(
                select(
                    col(User.username),
                    col(User.display_name),
                    col(User.role),
                    col(User.org_uscc),
                    col(User.jurisdiction),
                )
                .where(col(User.active).is_(True))
                .order_by(col(User.username))
            )
        ).all()
    result: dict[int, list[tuple[str, str]]] = {}
    for alert in alerts:
        if not (actor.is_privileged or regulator_covers(actor, alert.division, uow.catalogue)):
            continue
        people = []
        for username, display_name, role, org, jurisdiction in users:
            regulator = role == Role.REGULATOR and regulator_covers(
                Actor(org=org, user=username, role=Role.REGULATOR, jurisdiction=jurisdiction),
                alert.division,
                uow.catalogue,
            )
            subject = alert.subject_kind in ("generator", "plant") and org == alert.subject_id
            if regulator or subject:
                people.append((username, display_name))
        result[alert.id] = people
    return result
