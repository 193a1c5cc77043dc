"""Daily clearing (日产日清): overdue at 24 h and 48 h, not collected, clearance rate per local day."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ledger.actors import SYSTEM
from ledger.errors import Forbidden
from ledger.monitoring.clearing import check_daily_clearing, daily_clearing
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.monitoring.helpers import (
    AUTO_REPAIR,
    CENTRAL_TRANSPORTER,
    TONGXING,
    WANZHOU_HOSPITAL,
    YUZHONG_HOSPITAL,
    actor,
    city_regulator,
    dispose,
    register,
    ship,
    wanzhou_regulator,
    with_policy,
)


async def test_overdue_at_24_hours_and_critical_at_48(db: Database, clock: FakeClock) -> None:
    registered_at = clock.now
    bags = await register(db, YUZHONG_HOSPITAL, 3, kg="5.000")
    await register(db, WANZHOU_HOSPITAL, 1, kg="7.500")
    await register(db, AUTO_REPAIR, 1, kg="80.000", waste_code="900-052-31")  # not medical: never in clearing

    clock.advance(hours=23, minutes=59)
    report = await daily_clearing(db.uow(), city_regulator)
    assert report.city.overdue_count == 0 and report.generators == []

    # Past 24 h: every medical container is overdue and still at its generator.
    clock.advance(hours=1, minutes=1)
    report = await daily_clearing(db.uow(), city_regulator)
    assert (report.city.overdue_count, report.city.overdue_kg, report.city.critical_count) == (4, Decimal("22.500"), 0)
    assert (report.city.uncollected_count, report.city.uncollected_kg) == (4, Decimal("22.500"))
    assert report.city.oldest_registered_at == registered_at
    by_generator = {g.generator: g for g in report.generators}
    assert set(by_generator) == {YUZHONG_HOSPITAL, WANZHOU_HOSPITAL}
    assert (by_generator[YUZHONG_HOSPITAL].overdue_count, by_generator[YUZHONG_HOSPITAL].overdue_kg) == (
        3,
        Decimal("15.000"),
    )
    assert {d.division: d.overdue_count for d in report.districts} == {"500103": 3, "500101": 1}

    # Collected (on the road) is no longer "not collected", but still overdue until disposed.
    await ship(db, YUZHONG_HOSPITAL, CENTRAL_TRANSPORTER, TONGXING, bags[:2], arrive=False)
    report = await daily_clearing(db.uow(), city_regulator)
    assert (report.city.overdue_count, report.city.uncollected_count) == (4, 2)

    # Past 48 h, the legal maximum: critical.
    clock.advance(hours=24)
    report = await daily_clearing(db.uow(), city_regulator)
    assert (report.city.critical_count, report.city.critical_kg) == (4, Decimal("22.500"))
    findings = {
        f.subject_id: f for f in (await check_daily_clearing(db.uow())).findings if f.subject_kind == "generator"
    }
    assert findings[YUZHONG_HOSPITAL].severity == "critical"
    assert findings[YUZHONG_HOSPITAL].figures["overdue_count"] == 3
    assert findings[YUZHONG_HOSPITAL].dedupe_key == f"clearing_overdue:generator:{YUZHONG_HOSPITAL}"

    # A district regulator sees its district only.
    report = await daily_clearing(db.uow(), wanzhou_regulator)
    assert [g.generator for g in report.generators] == [WANZHOU_HOSPITAL]
    assert report.city.overdue_count == 1


async def test_legal_maximum_mode_allows_48_hours(db: Database, clock: FakeClock) -> None:
    legal = with_policy(db, clearing_hours=48, collect_within_hours=48)
    await register(legal, YUZHONG_HOSPITAL, 2)
    clock.advance(hours=25)
    assert (await daily_clearing(legal.uow(), city_regulator)).city.overdue_count == 0
    assert (await daily_clearing(db.uow(), city_regulator)).city.overdue_count == 2  # same-day mode
    clock.advance(hours=24)
    report = await daily_clearing(legal.uow(), city_regulator)
    assert (report.city.overdue_count, report.city.critical_count, report.clearing_hours) == (2, 2, 48)


async def test_not_collected_within_n_hours(db: Database, clock: FakeClock) -> None:
    quick = with_policy(db, collect_within_hours=4)
    waiting = await register(db, YUZHONG_HOSPITAL, 2, kg="3.000")
    clock.advance(hours=4, minutes=1)
    report = await daily_clearing(quick.uow(), city_regulator)
    assert (report.city.uncollected_count, report.city.overdue_count) == (2, 0)
    [finding] = [f for f in (await check_daily_clearing(quick.uow())).findings]
    assert finding.severity == "warning" and finding.figures["uncollected_count"] == 2
    await ship(db, YUZHONG_HOSPITAL, CENTRAL_TRANSPORTER, TONGXING, waiting, arrive=False)
    assert (await daily_clearing(quick.uow(), city_regulator)).city.uncollected_count == 0
    assert (await check_daily_clearing(quick.uow())).findings == []


async def test_clearance_rate_per_local_day_across_midnight(db: Database, clock: FakeClock) -> None:
    # 23:30 and 00:30 in Chongqing are 15:30 and 16:30 UTC of the same UTC day, but two local days.
    clock.set(datetime(2026, 12, 4, 15, 30, tzinfo=UTC))
    before_midnight = await register(db, YUZHONG_HOSPITAL, 1)
    clock.set(datetime(2026, 12, 4, 16, 30, tzinfo=UTC))
    after_midnight = await register(db, YUZHONG_HOSPITAL, 2)

    # Both go to Tongxing at once; the first is burnt within its 24 h, the other two after theirs.
    clock.set(datetime(2026, 12, 5, 4, 0, tzinfo=UTC))  # 12:00 on the 5th
    number = await ship(db, YUZHONG_HOSPITAL, CENTRAL_TRANSPORTER, TONGXING, before_midnight + after_midnight)
    await dispose(db, TONGXING, before_midnight)
    clock.set(datetime(2026, 12, 5, 18, 0, tzinfo=UTC))  # 02:00 on the 6th: 25.5 h after packing
    await dispose(db, TONGXING, after_midnight[:1])
    assert number

    clock.set(datetime(2026, 12, 7, 4, 0, tzinfo=UTC))  # noon on the 7th
    report = await daily_clearing(db.uow(), city_regulator, days=4)
    days = {d.day: d for d in report.days}
    assert sorted(days) == [date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)]
    dec4, dec5 = days[date(2026, 12, 4)], days[date(2026, 12, 5)]
    assert (dec4.registered, dec4.cleared_on_time, dec4.late, dec4.rate, dec4.final) == (1, 1, 0, Decimal("1"), True)
    assert (dec5.registered, dec5.cleared_on_time, dec5.late, dec5.pending, dec5.rate, dec5.final) == (
        2,
        0,
        2,
        0,
        Decimal("0"),
        True,
    )
    assert days[date(2026, 12, 6)].final is False and days[date(2026, 12, 6)].rate is None
    [district] = report.district_days
    assert district.division == "500103" and [d.registered for d in district.days] == [1, 2, 0, 0]

    # In UTC both would fall on one day: the configured zone decides.
    utc = Database(replace(db.settings, timezone=ZoneInfo("UTC")), engine=db.engine, clock=clock)
    in_utc = {d.day: d.registered for d in (await daily_clearing(utc.uow(), city_regulator, days=4)).days}
    assert in_utc[date(2026, 12, 4)] == 3 and in_utc[date(2026, 12, 5)] == 0

    # The district's latest complete day cleared 0 % on time: a critical district alert.
    findings = {f.kind: f for f in (await check_daily_clearing(db.uow())).findings}
    rate = findings["clearance_rate"]
    assert (rate.subject_kind, rate.subject_id, rate.severity) == ("district", "500103", "critical")
    assert rate.figures["day"] == "2026-12-05" and rate.figures["rate"] == "0.0000"


async def test_pending_day_is_not_final(db: Database, clock: FakeClock) -> None:
    await register(db, YUZHONG_HOSPITAL, 1)
    report = await daily_clearing(db.uow(), city_regulator, days=1)
    [today] = report.days
    assert (today.registered, today.pending, today.rate, today.final) == (1, 1, Decimal("0"), False)
    assert (await daily_clearing(db.uow(), SYSTEM)).city.overdue_count == 0


async def test_only_regulators_read_the_report(db: Database) -> None:
    with pytest.raises(Forbidden):
        await daily_clearing(db.uow(), actor(YUZHONG_HOSPITAL))
