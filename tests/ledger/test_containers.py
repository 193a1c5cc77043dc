"""Registering, voiding, correcting and reading containers, on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from ledger.actors import SYSTEM, Actor, Role
from ledger.containers import (
    CorrectContainer,
    VoidContainer,
    correct_container,
    get_container,
    register_container,
    void_container,
)
from ledger.errors import (
    Forbidden,
    IllegalTransition,
    InvalidIdentifier,
    InvalidInput,
    NotFound,
    SequenceExhausted,
)
from ledger.identifiers import parse_container_code
from ledger.integrity import rebuild_container_projection, verify_ledger
from ledger.lifecycle import TRANSITIONS, ContainerStatus, check_step
from ledger.tables import Container, LedgerEvent, SequenceCounter
from ledger.unit_of_work import Database
from tests.builders import actor_for, add_organisation, registration
from tests.conftest import FakeClock


async def event_count(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.events.count()


async def test_register_issues_a_code_and_records_the_event(db: Database, clock: FakeClock) -> None:
    hospital = await add_organisation(db)
    view = await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))
    code = parse_container_code(view.code)
    assert code.unit == hospital.uscc and str(code.waste) == "841-001-01" and code.sequence == 1
    # 02:00 UTC is 10:00 in Chongqing: the packing date is the local date.
    assert code.packed_on.isoformat() == "2026-12-04"
    assert view.status == ContainerStatus.REGISTERED and view.custodian == hospital.uscc
    assert view.weight_kg == Decimal("5.250") and view.medical and view.category == "HW01"
    detail = await get_container(db.uow(), view.code)
    assert [e.type for e in detail.history] == ["container.registered"]
    assert detail.history[0].actor_org == hospital.uscc
    assert detail.history[0].payload["weight_kg"] == "5.25"


async def test_packing_date_follows_the_configured_time_zone(db: Database, clock: FakeClock) -> None:
    hospital = await add_organisation(db)
    clock.set(clock.now.replace(hour=17, minute=30))  # 01:30 next day in Chongqing
    view = await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))
    assert view.packed_on == "2026-12-05"


async def test_sequences_count_per_unit_code_and_day(db: Database, clock: FakeClock) -> None:
    hospital = await add_organisation(db)
    actor = actor_for(hospital)
    first = await register_container(db.uow(), registration(hospital.uscc), actor)
    second = await register_container(db.uow(), registration(hospital.uscc), actor)
    sharps = await register_container(db.uow(), registration(hospital.uscc, waste_code="841-002-01"), actor)
    clock.advance(days=1)
    tomorrow = await register_container(db.uow(), registration(hospital.uscc), actor)
    assert [parse_container_code(v.code).sequence for v in (first, second, sharps, tomorrow)] == [1, 2, 1, 1]


async def test_concurrent_registrations_never_collide(db: Database) -> None:
    hospital = await add_organisation(db)
    views = await asyncio.gather(
        *(register_container(db.uow(), registration(hospital.uscc), actor_for(hospital)) for _ in range(20))
    )
    codes = {v.code for v in views}
    assert len(codes) == 20
    assert sorted(parse_container_code(c).sequence for c in codes) == list(range(1, 21))


async def test_sequence_exhaustion_is_a_clear_error_that_writes_nothing(db: Database) -> None:
    hospital = await add_organisation(db)
    scope = (await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))).code[:34]
    async with db.uow() as uow:
        await uow.session.execute(update(SequenceCounter).where(col(SequenceCounter.scope) == scope).values(value=999))
        await uow.commit()
    before = await event_count(db)
    with pytest.raises(SequenceExhausted, match="999 containers of 841-001-01") as caught:
        await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))
    assert caught.value.field == "waste_code"
    assert await event_count(db) == before
    async with db.uow() as uow:
        assert (await uow.session.get(SequenceCounter, scope)).value == 999  # type: ignore[union-attr]
    # Another waste code the same day still has its own sequence.
    other = await register_container(
        db.uow(), registration(hospital.uscc, waste_code="841-002-01"), actor_for(hospital)
    )
    assert other.code.endswith("001")


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"waste_code": "841-009-01"}, InvalidIdentifier, "waste_code"),  # not in the catalogue
        ({"waste_code": "841-001-42"}, InvalidIdentifier, "waste_code"),  # category does not exist
        ({"generator": "91350100M000100Y42"}, InvalidIdentifier, "generator"),  # bad check character
        ({"generator": "91350100M000100Y43"}, InvalidInput, "generator"),  # valid but not registered
    ],
)
async def test_bad_registrations_are_refused_with_the_field(
    db: Database, change: dict[str, str], error: type[Exception], field: str
) -> None:
    hospital = await add_organisation(db)
    command = registration(hospital.uscc).model_copy(update=change)
    before = await event_count(db)
    with pytest.raises(error) as caught:
        await register_container(db.uow(), command, SYSTEM)
    assert caught.value.field == field  # type: ignore[attr-defined]
    assert await event_count(db) == before


async def test_packing_time_in_the_future_or_far_past_is_refused(db: Database, clock: FakeClock) -> None:
    hospital = await add_organisation(db)
    for moment, fragment in [
        (clock.now + timedelta(hours=1), "future"),
        (clock.now - timedelta(days=30), "ago"),
    ]:
        with pytest.raises(InvalidInput, match=fragment) as caught:
            await register_container(db.uow(), registration(hospital.uscc, packed_at=moment), actor_for(hospital))
        assert caught.value.field == "packed_at"


async def test_only_the_generator_registers_its_containers(db: Database) -> None:
    hospital = await add_organisation(db)
    other = await add_organisation(db, name="另一家医院")
    with pytest.raises(Forbidden):
        await register_container(db.uow(), registration(hospital.uscc), actor_for(other))
    transporter = await add_organisation(db, kind="transporter")
    with pytest.raises(InvalidInput, match="not a registered generating unit"):
        await register_container(db.uow(), registration(transporter.uscc), actor_for(transporter))


async def test_void_then_nothing_more(db: Database) -> None:
    hospital = await add_organisation(db)
    actor = actor_for(hospital)
    view = await register_container(db.uow(), registration(hospital.uscc), actor)
    voided = await void_container(db.uow(), VoidContainer(code=view.code, reason="label misprinted"), actor)
    assert voided.status == ContainerStatus.VOIDED and voided.voided_at is not None
    with pytest.raises(IllegalTransition, match="is voided: cannot void"):
        await void_container(db.uow(), VoidContainer(code=view.code, reason="again"), actor)
    with pytest.raises(IllegalTransition, match="is voided: cannot correct"):
        await correct_container(db.uow(), CorrectContainer(code=view.code, reason="typo", weight_kg=Decimal(1)), actor)


async def test_correction_is_a_new_event_keeping_the_old_value(db: Database) -> None:
    hospital = await add_organisation(db)
    actor = actor_for(hospital)
    view = await register_container(db.uow(), registration(hospital.uscc, weight="5.000"), actor)
    fixed = await correct_container(
        db.uow(),
        CorrectContainer(code=view.code, reason="scale not tared", weight_kg=Decimal("4.600")),
        actor,
    )
    assert fixed.weight_kg == Decimal("4.600") and fixed.version == 2
    history = (await get_container(db.uow(), view.code)).history
    assert history[0].payload["weight_kg"] == "5"
    assert history[1].payload == {
        "fields": {"weight_kg": "4.6"},
        "previous": {"weight_kg": "5"},
        "reason": "scale not tared",
    }


async def test_unknown_and_malformed_codes(db: Database) -> None:
    hospital = await add_organisation(db)
    view = await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))
    never_issued = view.code[:-3] + "999"
    with pytest.raises(NotFound):
        await get_container(db.uow(), never_issued)
    with pytest.raises(InvalidIdentifier):
        await get_container(db.uow(), "not-a-code")


def test_every_illegal_step_names_state_and_step() -> None:
    for event_type, (step, allowed, _) in TRANSITIONS.items():
        for state in [None, *ContainerStatus]:
            if state in allowed:
                continue
            with pytest.raises(IllegalTransition) as caught:
                check_step("C", state, event_type)
            assert caught.value.step == step
            assert caught.value.state == ("not registered" if state is None else state)
    assert check_step("C", ContainerStatus.DISPOSED, "container.corrected") == ContainerStatus.DISPOSED
    with pytest.raises(IllegalTransition, match="disposed: cannot collect"):
        check_step("C", ContainerStatus.DISPOSED, "container.collected")


async def test_rebuild_projections_gives_identical_rows(db: Database) -> None:
    hospital = await add_organisation(db)
    actor = actor_for(hospital)
    views = [
        await register_container(db.uow(), registration(hospital.uscc, weight=f"{i}.125"), actor) for i in range(1, 6)
    ]
    await void_container(db.uow(), VoidContainer(code=views[0].code, reason="misprint"), actor)
    await correct_container(
        db.uow(),
        CorrectContainer(code=views[1].code, reason="re-weighed", weight_kg=Decimal("2.5")),
        actor_for(hospital, Role.ADMIN),
    )

    async def snapshot() -> list[dict[str, object]]:
        async with db.uow() as uow:
            rows = (await uow.session.execute(select(Container).order_by(col(Container.code)))).scalars()
            return [row.model_dump() for row in rows]

    before = await snapshot()
    async with db.uow() as uow:
        events_before = (await uow.session.execute(select(col(LedgerEvent.seq)))).scalars().all()
    assert await rebuild_container_projection(db.uow()) == len(before) >= 5
    assert await snapshot() == before
    async with db.uow() as uow:
        assert (await uow.session.execute(select(col(LedgerEvent.seq)))).scalars().all() == events_before
    assert (await verify_ledger(db.uow())).ok


async def test_a_regulator_corrects_only_within_its_jurisdiction(db: Database) -> None:
    hospital = await add_organisation(db, division="500109")
    view = await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))
    wanzhou = Actor(org="11500101458823965W", user="officer", role=Role.REGULATOR, jurisdiction="500101")
    beibei = Actor(org="115001097745992487", user="officer", role=Role.REGULATOR, jurisdiction="500109")
    command = CorrectContainer(code=view.code, reason="re-weighed at inspection", weight_kg=Decimal("4.9"))
    with pytest.raises(Forbidden, match="outside your jurisdiction"):
        await correct_container(db.uow(), command, wanzhou)
    assert (await correct_container(db.uow(), command, beibei)).weight_kg == Decimal("4.900")


async def test_read_only_units_do_not_wait_for_a_writer(db: Database) -> None:
    hospital = await add_organisation(db)
    view = await register_container(db.uow(), registration(hospital.uscc), actor_for(hospital))
    # The writer holds SQLite's write lock (BEGIN IMMEDIATE) until the block ends; a reader that took it too
    # would wait for busy_timeout (30 s) and miss the deadline.
    async with db.uow() as writer:
        await writer.session.execute(select(Container).limit(1))
        detail = await asyncio.wait_for(get_container(db.uow(), view.code), timeout=5)
        assert detail.container.code == view.code
