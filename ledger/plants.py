"""Disposal plants: licence, rated capacity, emergency lines. Each plant is a ``plant:<uscc>`` stream."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col

from ledger.actors import Actor
from ledger.containers import EventPublic
from ledger.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from ledger.identifiers import validate_uscc
from ledger.queries import DEFAULT_PAGE, NEXT_CURSOR, decode_cursor, encode_cursor, page_limit
from ledger.scope import can_switch_plant
from ledger.store import NewEvent
from ledger.tables import Organisation, Plant
from ledger.text import Prose
from ledger.unit_of_work import UnitOfWork
from ledger.units import g_to_t


def plant_stream(uscc: str) -> str:
    return f"plant:{uscc}"


class PlantPublic(SQLModel):
    uscc: str
    name_zh: str
    name_en: str
    division: str
    rated_capacity_t_per_day: Decimal
    emergency: bool
    active: bool
    medical: bool
    licensed_waste_codes: list[str]
    licensed_methods: list[str]

    @classmethod
    def from_rows(cls, plant: Plant, org: Organisation) -> PlantPublic:
        return cls(
            uscc=plant.uscc,
            name_zh=org.name_zh,
            name_en=org.name_en,
            division=org.division,
            rated_capacity_t_per_day=g_to_t(plant.rated_capacity_kg_per_day * 1000),
            emergency=plant.emergency,
            active=plant.active,
            medical=plant.medical,
            licensed_waste_codes=list(plant.licensed_waste_codes),
            licensed_methods=list(plant.licensed_methods),
        )


async def record_plant_registered(uow: UnitOfWork, plant: Plant, actor: Actor) -> None:
    """Record a plant's licence and capacity as the first event of its stream (inside the caller's unit)."""
    payload = {
        "rated_capacity_kg_per_day": plant.rated_capacity_kg_per_day,
        "emergency": plant.emergency,
        "active": plant.active,
        "medical": plant.medical,
        "licensed_waste_codes": sorted(plant.licensed_waste_codes),
        "licensed_methods": sorted(plant.licensed_methods),
    }
    await uow.events.append(
        plant_stream(plant.uscc),
        0,
        [NewEvent("plant.registered", payload, uow.now())],
        actor=actor,
        recorded_at=uow.now(),
    )
    plant.version = 1
    uow.session.add(plant)


class PlantDetail(SQLModel):
    """A plant's licence and capacity, and its stream: registration, every switch on or off, who and why."""

    plant: PlantPublic
    history: list[EventPublic]


class PlantPage(SQLModel):
    items: list[PlantPublic]
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR)


class PlantSwitch(SQLModel):
    """Why an emergency line is switched on or off (kept in the plant's stream for the record)."""

    reason: Prose = Field(min_length=3, max_length=300)


async def _load_plant(uow: UnitOfWork, uscc: str) -> tuple[Plant, Organisation]:
    code = validate_uscc(uscc, field="uscc")
    plant = await uow.session.get(Plant, code)
    org = await uow.session.get(Organisation, code)
    if plant is None or org is None:
        raise NotFound(f"plant {code} is not in the ledger", field="uscc")
    return plant, org


async def get_plant(uow: UnitOfWork, uscc: str) -> PlantPublic:
    async with uow.read_only():
        plant, org = await _load_plant(uow, uscc)
        return PlantPublic.from_rows(plant, org)


async def get_plant_detail(uow: UnitOfWork, uscc: str) -> PlantDetail:
    """A plant with the history of its stream (public licence data: every authenticated party may read it)."""
    async with uow.read_only():
        plant, org = await _load_plant(uow, uscc)
        history = await uow.events.read(plant_stream(plant.uscc))
        return PlantDetail(
            plant=PlantPublic.from_rows(plant, org), history=[EventPublic.from_event(e) for e in history]
        )


async def list_plants(
    uow: UnitOfWork,
    *,
    medical: bool | None = None,
    active: bool | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> PlantPage:
    """Plants in USCC order, optionally only medical-waste plants or only those running."""
    size = page_limit(limit)
    query = select(Plant, Organisation).join(Organisation, col(Organisation.uscc) == col(Plant.uscc))
    if medical is not None:
        query = query.where(col(Plant.medical).is_(medical))
    if active is not None:
        query = query.where(col(Plant.active).is_(active))
    if cursor is not None:
        [after] = decode_cursor(cursor, 1)
        query = query.where(col(Plant.uscc) > after)
    async with uow.read_only():
        rows = (await uow.session.execute(query.order_by(col(Plant.uscc)).limit(size + 1))).all()
        items = [PlantPublic.from_rows(plant, org) for plant, org in rows[:size]]
    return PlantPage(items=items, next_cursor=encode_cursor(items[-1].uscc) if len(rows) > size else None)


async def set_plant_active(uow: UnitOfWork, uscc: str, active: bool, reason: str, actor: Actor) -> PlantPublic:
    """Switch an emergency or backup line on or off (DOMAIN.md §9: 99 → 111 t/day in the 2020 epidemic).

    Only the regulator overseeing the plant's division (the city's for every plant) or an administrator may;
    regular lines change capacity through their licence, not here. The switch is an event of the plant's
    stream, appended at the version read, so two regulators switching at once cannot both succeed.
    """
    async with uow:
        plant, org = await _load_plant(uow, uscc)
        step = "switch on" if active else "switch off"
        if not can_switch_plant(actor, org.division, uow.catalogue):
            raise Forbidden(
                f"only the regulator overseeing {org.division} or an administrator may {step} {org.name_zh};"
                f" you act as {actor.role}" + (f" for {actor.jurisdiction}" if actor.jurisdiction else ""),
                field="uscc",
            )
        if not plant.emergency:
            raise InvalidInput(
                f"{org.name_zh} ({plant.uscc}) is a regular licensed line: only emergency or backup lines are"
                " switched on and off; a regular line's capacity changes with its licence",
                field="uscc",
            )
        if plant.active == active:
            raise IllegalTransition(f"plant {plant.uscc}", "active" if active else "inactive", step, field="uscc")
        text = reason.strip()
        if len(text) < 3:
            raise InvalidInput("give the reason for the switch (at least 3 characters)", field="reason")
        now = uow.now()
        await uow.events.append(
            plant_stream(plant.uscc),
            plant.version,
            [NewEvent("plant.activated" if active else "plant.deactivated", {"active": active, "reason": text}, now)],
            actor=actor,
            recorded_at=now,
        )
        plant.active = active
        plant.version += 1
        uow.session.add(plant)
        view = PlantPublic.from_rows(plant, org)
        await uow.commit()
        return view
