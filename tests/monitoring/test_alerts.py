"""Alerts: one alert per standing problem (updated, not repeated), cleared, closed (销号), reopened as a new
alert; regulators' steps with their events and permissions; recipients by role and jurisdiction."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ledger.accounts import load_demo_users
from ledger.actors import SYSTEM
from ledger.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from ledger.monitoring.alerts import (
    AcknowledgeAlert,
    AlertFilters,
    AssignAlert,
    CloseAlert,
    acknowledge_alert,
    assign_alert,
    close_alert,
    get_alert,
    list_alerts,
)
from ledger.monitoring.checks import run_check
from ledger.monitoring.outbox import list_outbox
from ledger.monitoring.subscriptions import SubscriptionCreate, add_subscription
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.monitoring.helpers import (
    WANZHOU_HOSPITAL,
    WANZHOU_PLANT,
    WANZHOU_TRANSPORTER,
    actor,
    beibei_regulator,
    city_regulator,
    dispose,
    register,
    ship,
    wanzhou_regulator,
)

KEY = f"plant_overload:plant:{WANZHOU_PLANT}"


async def load_wanzhou(db: Database, tonnes: int, kg: str = "1000.000") -> list[str]:
    codes = await register(db, WANZHOU_HOSPITAL, tonnes, kg=kg)
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, codes)
    return codes


async def wanzhou_alerts(db: Database) -> list[int]:
    page = await list_alerts(db.uow(), SYSTEM, AlertFilters(kind="plant_overload"))
    return [a.id for a in page.items]


async def test_a_standing_problem_is_one_alert_updated_then_cleared(db: Database, clock: FakeClock) -> None:
    await load_demo_users(db.uow())
    loaded = await load_wanzhou(db, 4)  # 80 %: warning
    counts = await run_check(db, "plant_load")
    assert (counts["opened"], counts["notifications"]) == (1, 2)  # e-mail to the Wanzhou and city officials
    [alert_id] = await wanzhou_alerts(db)
    messages = await list_outbox(db.uow(), alert_id=alert_id)
    assert sorted((m.channel, m.recipient) for m in messages) == [
        ("email", "cq.regulator"),
        ("email", "wanzhou.regulator"),
    ]  # no text message for a warning; Beibei's regulator is not told about Wanzhou

    # Same figures next run: nothing written.
    counts = await run_check(db, "plant_load")
    assert (counts["unchanged"], counts["opened"], counts["updated"]) == (1, 0, 0)
    assert (await get_alert(db.uow(), alert_id, SYSTEM)).alert.version == 1

    # More waste: the same alert, updated, nobody woken up again.
    more = await load_wanzhou(db, 1, kg="500.000")
    counts = await run_check(db, "plant_load")
    assert (counts["updated"], counts["escalated"], counts["notifications"]) == (1, 0, 0)
    assert await wanzhou_alerts(db) == [alert_id]

    # Over capacity: critical, escalated, and now a text message too.
    more += await load_wanzhou(db, 1)
    counts = await run_check(db, "plant_load")
    assert (counts["escalated"], counts["notifications"]) == (1, 4)
    detail = await get_alert(db.uow(), alert_id, SYSTEM)
    assert detail.alert.severity == "critical" and detail.alert.figures["load_t"] == "5.500"
    assert [e.type for e in detail.history] == ["alert.opened", "alert.updated", "alert.updated"]
    sms = [m for m in await list_outbox(db.uow(), alert_id=alert_id) if m.channel == "sms"]
    assert sorted(m.target for m in sms) == ["+86 138 0000 0001", "+86 138 0000 0002"]

    # The plant burns everything: the problem is gone, the alert is cleared but waits to be closed.
    clock.advance(hours=3)
    await dispose(db, WANZHOU_PLANT, loaded + more)
    clock.advance(days=1)
    counts = await run_check(db, "plant_load")
    assert counts["cleared"] == 1
    cleared = (await get_alert(db.uow(), alert_id, SYSTEM)).alert
    assert (cleared.active, cleared.status, cleared.cleared_at) == (False, "open", clock.now)
    assert (await run_check(db, "plant_load"))["cleared"] == 0  # cleared once

    closed = await close_alert(db.uow(), alert_id, CloseAlert(note="已全部处置 all disposed"), wanzhou_regulator)
    assert (closed.status, closed.closed_by, closed.close_note) == (
        "closed",
        "wanzhou.regulator",
        "已全部处置 all disposed",
    )


async def test_a_closed_alert_reopens_as_a_new_one_if_the_problem_persists(db: Database) -> None:
    await load_wanzhou(db, 6)
    await run_check(db, "plant_load")
    [first] = await wanzhou_alerts(db)
    await close_alert(db.uow(), first, CloseAlert(note="closed too early"), city_regulator)
    counts = await run_check(db, "plant_load")
    assert counts["opened"] == 1
    second, closed = await wanzhou_alerts(db)
    assert closed == first and second > first
    assert (await get_alert(db.uow(), second, SYSTEM)).alert.status == "open"
    # The closed one stays closed and keeps its history.
    assert [e.type for e in (await get_alert(db.uow(), first, SYSTEM)).history] == ["alert.opened", "alert.closed"]


async def test_acknowledge_assign_close_with_events_and_permissions(db: Database) -> None:
    await load_demo_users(db.uow())
    await load_wanzhou(db, 6)
    await run_check(db, "plant_load")
    [alert_id] = await wanzhou_alerts(db)

    # Not for generators; outside the jurisdiction it does not exist.
    with pytest.raises(Forbidden):
        await acknowledge_alert(db.uow(), alert_id, AcknowledgeAlert(), actor(WANZHOU_HOSPITAL))
    with pytest.raises(NotFound):
        await acknowledge_alert(db.uow(), alert_id, AcknowledgeAlert(), beibei_regulator)
    with pytest.raises(NotFound):
        await get_alert(db.uow(), alert_id, beibei_regulator)
    assert (await list_alerts(db.uow(), beibei_regulator)).items == []
    assert [a.id for a in (await list_alerts(db.uow(), wanzhou_regulator)).items] == [alert_id]

    acknowledged = await acknowledge_alert(db.uow(), alert_id, AcknowledgeAlert(note="收到"), wanzhou_regulator)
    assert (acknowledged.status, acknowledged.acknowledged_by) == ("acknowledged", "wanzhou.regulator")
    with pytest.raises(IllegalTransition):
        await acknowledge_alert(db.uow(), alert_id, AcknowledgeAlert(), city_regulator)

    # Assigned to the plant's own operator (the subject's user); a hospital user is not responsible for it.
    with pytest.raises(InvalidInput):
        await assign_alert(db.uow(), alert_id, AssignAlert(assignee="yuzhong.hospital"), city_regulator)
    with pytest.raises(InvalidInput):
        await assign_alert(db.uow(), alert_id, AssignAlert(assignee="nobody.here"), city_regulator)
    assigned = await assign_alert(
        db.uow(), alert_id, AssignAlert(assignee="wanzhou.operator", note="请当日清运"), city_regulator
    )
    assert (assigned.status, assigned.assigned_to) == ("assigned", "wanzhou.operator")
    told = [m for m in await list_outbox(db.uow(), alert_id=alert_id) if m.action == "alert.assigned"]
    assert sorted((m.channel, m.recipient) for m in told) == [
        ("email", "wanzhou.operator"),
        ("sms", "wanzhou.operator"),
    ]

    with pytest.raises(ValidationError):
        CloseAlert(note="")
    closed = await close_alert(db.uow(), alert_id, CloseAlert(note="启用梁平应急处置中心分流"), wanzhou_regulator)
    assert closed.status == "closed"
    with pytest.raises(IllegalTransition):
        await close_alert(db.uow(), alert_id, CloseAlert(note="again"), wanzhou_regulator)

    history = (await get_alert(db.uow(), alert_id, city_regulator)).history
    assert [(e.type, e.actor_user) for e in history] == [
        ("alert.opened", "system"),
        ("alert.acknowledged", "wanzhou.regulator"),
        ("alert.assigned", "cq.regulator"),
        ("alert.closed", "wanzhou.regulator"),
    ]
    assert history[2].payload == {"assignee": "wanzhou.operator", "note": "请当日清运"}


async def test_endpoints_hear_every_step_of_their_jurisdiction(db: Database) -> None:
    city = await add_subscription(
        db.uow(),
        SubscriptionCreate(channel="webhook", target="https://platform.example.test/hook", endpoint=True),
        SYSTEM,
    )
    beibei = await add_subscription(
        db.uow(),
        SubscriptionCreate(
            channel="webhook", target="https://beibei.example.test/hook", endpoint=True, division="500109"
        ),
        SYSTEM,
    )
    assert city.secret and beibei.secret and city.secret != beibei.secret
    await load_wanzhou(db, 6)
    await run_check(db, "plant_load")
    [alert_id] = await wanzhou_alerts(db)
    await acknowledge_alert(db.uow(), alert_id, AcknowledgeAlert(), wanzhou_regulator)
    hooks = [m for m in await list_outbox(db.uow(), alert_id=alert_id) if m.channel == "webhook"]
    assert sorted((m.action, m.target) for m in hooks) == [
        ("alert.acknowledged", "https://platform.example.test/hook"),
        ("alert.opened", "https://platform.example.test/hook"),
    ]
    with pytest.raises(Forbidden):
        await add_subscription(
            db.uow(),
            SubscriptionCreate(channel="webhook", target="https://x.example.test", endpoint=True),
            city_regulator,
        )
