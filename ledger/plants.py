"""Disposal plants: licence, rated capacity, emergency lines. Each plant is a ``plant:<uscc>`` stream."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import SQLModel

from ledger.actors import Actor
from ledger.errors import NotFound
from ledger.store import NewEvent
from ledger.tables import Organisation, Plant
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


async def get_plant(uow: UnitOfWork, uscc: str) -> PlantPublic:
    async with uow:
        plant = await uow.session.get(Plant, uscc)
        org = await uow.session.get(Organisation, uscc)
        if plant is None or org is None:
            raise NotFound(f"plant {uscc} is not in the ledger", field="uscc")
        return PlantPublic.from_rows(plant, org)
