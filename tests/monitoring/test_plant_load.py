"""Plant load: today's work against rated capacity, thresholds, backlog, days to clear, headroom, city capacity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlmodel import col

from ledger.actors import SYSTEM
from ledger.errors import Forbidden
from ledger.monitoring.plant_load import PlantLoad, PlantLoadReport, check_plant_load, plant_load
from ledger.plants import set_plant_active
from ledger.store import RecordedEvent
from ledger.tables import LedgerEvent
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.monitoring.helpers import (
    EMERGENCY_LINES,
    LIANGPING_PLANT,
    TONGXING,
    WANZHOU_HOSPITAL,
    WANZHOU_PLANT,
    WANZHOU_TRANSPORTER,
    WUSHAN_PLANT,
    actor,
    beibei_regulator,
    city_regulator,
    dispose,
    register,
    ship,
    wanzhou_regulator,
)


def plant(report: PlantLoadReport, uscc: str) -> PlantLoad:
    return next(p for p in report.plants if p.uscc == uscc)


async def test_city_capacity_is_99_and_111_with_the_emergency_lines(db: Database) -> None:
    report = await plant_load(db.uow(), city_regulator)
    assert report.city_capacity_t == Decimal("99.000")
    assert report.emergency_reserve_t == Decimal("12.000")
    assert len([p for p in report.plants if p.medical and p.active]) == 15

    for uscc in EMERGENCY_LINES:
        await set_plant_active(db.uow(), uscc, True, "2020 疫情应急处置 epidemic emergency", city_regulator)
    report = await plant_load(db.uow(), city_regulator)
    assert (report.city_capacity_t, report.emergency_reserve_t) == (Decimal("111.000"), Decimal("0.000"))

    # Each switch is an event of the plant's stream, with who and why.
    async with db.uow() as uow:
        [row] = (
            await uow.session.execute(
                select(LedgerEvent).where(
                    col(LedgerEvent.stream) == f"plant:{LIANGPING_PLANT}", col(LedgerEvent.type) == "plant.activated"
                )
            )
        ).scalars()
        event = RecordedEvent.from_row(row)
    assert (event.actor_user, event.payload["reason"]) == ("cq.regulator", "2020 疫情应急处置 epidemic emergency")


async def test_thresholds_warn_at_80_and_critical_at_100_percent(db: Database) -> None:
    # Wanzhou: 5 t/day. 3.9 t received today: 78 %, fine.
    codes = await register(db, WANZHOU_HOSPITAL, 3, kg="1000.000") + await register(db, WANZHOU_HOSPITAL, 1, kg="900")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, codes)
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert (wanzhou.received_t, wanzhou.load_t, wanzhou.utilisation, wanzhou.level) == (
        Decimal("3.900"),
        Decimal("3.900"),
        Decimal("0.7800"),
        "ok",
    )
    assert wanzhou.suggestions == []
    assert (await check_plant_load(db.uow())).findings == []

    # 4.0 t: exactly 80 %, a warning.
    more = await register(db, WANZHOU_HOSPITAL, 1, kg="100.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, more)
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert (wanzhou.utilisation, wanzhou.level) == (Decimal("0.8000"), "warning")
    [finding] = (await check_plant_load(db.uow())).findings
    assert (finding.kind, finding.severity, finding.subject_id, finding.division) == (
        "plant_overload",
        "warning",
        WANZHOU_PLANT,
        "500101",
    )

    # 5.0 t: 100 %, critical.
    more = await register(db, WANZHOU_HOSPITAL, 1, kg="1000.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, more)
    [finding] = (await check_plant_load(db.uow())).findings
    assert finding.severity == "critical" and finding.figures["utilisation"] == "1.0000"


async def test_backlog_days_to_clear_and_headroom(db: Database, clock: FakeClock) -> None:
    stored = await register(db, WANZHOU_HOSPITAL, 2, kg="1000.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, stored)
    on_the_road = await register(db, WANZHOU_HOSPITAL, 1, kg="1000.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, on_the_road, arrive=False)
    # Waiting at the hospital, which ships to Wanzhou: counted as Wanzhou's.
    await register(db, WANZHOU_HOSPITAL, 1, kg="500.000")

    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert (wanzhou.received_t, wanzhou.stored_t, wanzhou.in_transit_t, wanzhou.waiting_t) == (
        Decimal("2.000"),
        Decimal("2.000"),
        Decimal("1.000"),
        Decimal("0.500"),
    )
    assert (wanzhou.backlog_t, wanzhou.load_t, wanzhou.days_to_clear, wanzhou.headroom_t) == (
        Decimal("3.500"),
        Decimal("3.500"),
        Decimal("0.70"),
        Decimal("1.500"),
    )

    # It burns one tonne: disposed today counts as today's work, the backlog shrinks.
    clock.advance(hours=2)
    await dispose(db, WANZHOU_PLANT, stored[:1])
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert (wanzhou.disposed_t, wanzhou.backlog_t, wanzhou.load_t, wanzhou.days_to_clear) == (
        Decimal("1.000"),
        Decimal("2.500"),
        Decimal("3.500"),
        Decimal("0.50"),
    )

    # Next local day: yesterday's disposal no longer counts, the backlog does.
    clock.advance(days=1)
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert (wanzhou.received_t, wanzhou.disposed_t, wanzhou.load_t, wanzhou.utilisation) == (
        Decimal("0.000"),
        Decimal("0.000"),
        Decimal("2.500"),
        Decimal("0.5000"),
    )


async def test_headroom_suggestions_are_licensed_for_the_same_waste(db: Database) -> None:
    infectious = await register(db, WANZHOU_HOSPITAL, 6, kg="1000.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, infectious)
    # Tongxing takes 10 t today: less room than the others relative to size, still the most headroom.
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert wanzhou.level == "critical" and wanzhou.backlog_waste_codes == ["841-001-01"]
    running = [h for h in wanzhou.suggestions if h.action == "redirect"]
    standby = [h for h in wanzhou.suggestions if h.action == "activate"]
    assert running[0].uscc == TONGXING and running[0].headroom_t == Decimal("30.000")
    assert WUSHAN_PLANT in {h.uscc for h in running}  # steam treats infectious waste
    assert [h.uscc for h in standby][:1] == [EMERGENCY_LINES[1]]  # the 5 t/day Tongxing backup line first
    assert {h.uscc for h in standby} == set(EMERGENCY_LINES)
    assert all(not h.active and h.headroom_t == h.capacity_t for h in standby)

    # Pathological waste in the backlog: steam plants (Wushan, Nanchuan, Xiushan) are not licensed for it.
    pathological = await register(db, WANZHOU_HOSPITAL, 1, kg="10.000", waste_code="841-003-01")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, pathological)
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    assert wanzhou.backlog_waste_codes == ["841-001-01", "841-003-01"]
    assert WUSHAN_PLANT not in {h.uscc for h in wanzhou.suggestions}
    assert TONGXING in {h.uscc for h in wanzhou.suggestions}

    # Once Liangping runs, it is a place to send waste rather than a line to start.
    await set_plant_active(db.uow(), LIANGPING_PLANT, True, "分担万州负荷", city_regulator)
    wanzhou = plant(await plant_load(db.uow(), city_regulator), WANZHOU_PLANT)
    liangping = next(h for h in wanzhou.suggestions if h.uscc == LIANGPING_PLANT)
    assert (liangping.action, liangping.headroom_t) == ("redirect", Decimal("3.000"))


async def test_who_sees_which_plants(db: Database) -> None:
    district = await plant_load(db.uow(), wanzhou_regulator)
    assert {p.uscc for p in district.plants} == {WANZHOU_PLANT}
    assert district.city_capacity_t == Decimal("99.000")  # the city figure is for everyone who may read
    assert {p.uscc for p in (await plant_load(db.uow(), beibei_regulator)).plants} == {TONGXING, EMERGENCY_LINES[1]}
    assert {p.uscc for p in (await plant_load(db.uow(), actor(WANZHOU_PLANT))).plants} == {WANZHOU_PLANT}
    assert len((await plant_load(db.uow(), SYSTEM)).plants) == 24
    with pytest.raises(Forbidden):
        await plant_load(db.uow(), actor(WANZHOU_HOSPITAL))
