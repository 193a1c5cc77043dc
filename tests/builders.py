"""Test-data builders: random unique codes, so tests never depend on each other's data."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

from ledger.actors import Actor, Role
from ledger.containers import Packaging, RegisterContainer
from ledger.identifiers import USCC_ALPHABET, uscc_check_character
from ledger.tables import Organisation
from ledger.unit_of_work import Database


def random_uscc(division: str = "500109", prefix: str = "91") -> str:
    """A fresh USCC that passes the GB 32100 check."""
    body = prefix + division + "".join(random.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


async def add_organisation(
    db: Database, kind: str = "generator", division: str = "500109", name: str = "测试医院"
) -> Organisation:
    org = Organisation(
        uscc=random_uscc(division),
        name_zh=name,
        name_en="Test Hospital",
        kind=kind,
        division=division,
        demo=True,
    )
    async with db.uow() as uow:
        uow.session.add(org)
        await uow.commit()
    return org


def actor_for(org: Organisation, role: Role = Role.GENERATOR) -> Actor:
    return Actor(org=org.uscc, user=f"{role}.user", role=role)


def registration(
    generator: str,
    *,
    waste_code: str = "841-001-01",
    weight: str = "5.250",
    litres: str = "30",
    packed_at: datetime | None = None,
) -> RegisterContainer:
    return RegisterContainer(
        generator=generator,
        waste_code=waste_code,
        weight_kg=Decimal(weight),
        packaging=Packaging.BAG,
        volume_l=Decimal(litres),
        packed_at=packed_at,
    )
