"""The visibility policy: jurisdictions, and the SQL filter agreeing with the row predicate on real rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from ledger.actors import SYSTEM, Actor, Role
from ledger.catalogue import load_catalogue
from ledger.errors import NotFound
from ledger.queries import ContainerFilters, get_container_for, list_containers
from ledger.scope import can_see_container, container_filter, covered_divisions
from ledger.tables import Container, Shipment
from ledger.unit_of_work import Database
from tests.routes.world import USERS, VISIBLE, build_world


def actor_of(username: str) -> Actor:
    """The demo user as authentication would build it (fixtures/demo/users.json)."""
    roles = {
        "hospital": Role.GENERATOR,
        "transporter": Role.TRANSPORTER,
        "operator": Role.PLANT_OPERATOR,
        "regulator": Role.REGULATOR,
    }
    jurisdictions = {"cq": "500000", "wanzhou": "500101", "beibei": "500109", "sichuan": "510000"}
    if username == "admin":
        return Actor(org=USERS[username], user=username, role=Role.ADMIN)
    place, kind = username.split(".")
    role = roles[kind]
    return Actor(
        org=USERS[username],
        user=username,
        role=role,
        jurisdiction=jurisdictions[place] if role == Role.REGULATOR else None,
    )


def test_jurisdictions() -> None:
    catalogue = load_catalogue()
    city = covered_divisions(catalogue, "500000")
    assert {"500000", "500101", "500109", "500237", "CQLJ01", "CQGX01", "CQWS01"} <= city
    assert not any(code.startswith("51") for code in city)
    assert len(city) == 1 + 38 + 3  # the city, its 38 county-level divisions, 3 development zones
    assert covered_divisions(catalogue, "500109") == {"500109"}
    assert "510100" in covered_divisions(catalogue, "510000")


async def test_the_filter_and_the_predicate_agree_with_the_written_policy(db: Database) -> None:
    world = await build_world(db)
    name_of = {code: name for name, code in world.codes.items()}
    async with db.uow() as uow:
        rows = list((await uow.session.execute(select(Container))).scalars())
        carriers = {s.number: s.transporter_uscc for s in (await uow.session.execute(select(Shipment))).scalars()}
        assert len(rows) == 4
        for username, expected in VISIBLE.items():
            actor = actor_of(username)
            by_sql = set(
                (
                    await uow.session.execute(select(col(Container.code)).where(container_filter(actor, uow.catalogue)))
                ).scalars()
            )
            by_row = {
                row.code
                for row in rows
                if can_see_container(
                    actor, row, uow.catalogue, shipment_transporter=carriers.get(row.shipment_number or "")
                )
            }
            assert {name_of[c] for c in by_sql} == expected, username
            assert by_row == by_sql, username
    # A role without an organisation (or a regulator without a jurisdiction) sees nothing rather than everything.
    for actor in (Actor(org=None, user="x", role=Role.GENERATOR), Actor(org="x", user="x", role=Role.REGULATOR)):
        assert (await list_containers(db.uow(), actor)).items == []
    assert len((await list_containers(db.uow(), SYSTEM, ContainerFilters(division="500103"))).items) == 3


async def test_out_of_scope_reads_raise_the_same_not_found(db: Database) -> None:
    world = await build_world(db)
    outsider = actor_of("wanzhou.hospital")
    with pytest.raises(NotFound) as hidden:
        await get_container_for(db.uow(), world.a_registered, outsider)
    twin = world.a_registered[:-3] + "999"
    with pytest.raises(NotFound) as missing:
        await get_container_for(db.uow(), twin, outsider)
    assert hidden.value.message.replace(world.a_registered, "C") == missing.value.message.replace(twin, "C")
    assert (hidden.value.field, hidden.value.details) == (missing.value.field, missing.value.details)
