"""Monitoring and alerts over HTTP: daily clearing, plant load, job runs; the alert loop (签收, 交办, 销号)
within the regulator's jurisdiction; alert channels. The app's lifespan runs the scheduler."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from jobs.scheduler import run_named_job
from jobs.settings import JobsSettings
from ledger.unit_of_work import Database
from routes.app import create_app
from tests.conftest import FakeClock
from tests.monitoring.helpers import WANZHOU_HOSPITAL, WANZHOU_PLANT, WANZHOU_TRANSPORTER, register, ship
from tests.routes.conftest import Api, assert_problem


async def overload_wanzhou(db: Database) -> int:
    codes = await register(db, WANZHOU_HOSPITAL, 6, kg="1000.000")
    await ship(db, WANZHOU_HOSPITAL, WANZHOU_TRANSPORTER, WANZHOU_PLANT, codes)
    result = await run_named_job(db, "plant_load", JobsSettings(), slot="2026-12-04T03:00:00Z")
    assert result.counts["opened"] == 1
    return result.run_id or 0


async def test_plant_load_and_clearing_reports(api: Api, clock: FakeClock) -> None:
    report = await api.get("/api/v1/monitoring/plant-load", user="cq.regulator")
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["city_capacity_t"], body["emergency_reserve_t"]) == ("99.000", "12.000")
    assert len(body["plants"]) == 21  # the Chongqing plants; the Sichuan ones are not the city's

    district = (await api.get("/api/v1/monitoring/plant-load", user="wanzhou.regulator")).json()
    assert [p["uscc"] for p in district["plants"]] == [WANZHOU_PLANT]
    assert_problem(await api.get("/api/v1/monitoring/plant-load", user="yuzhong.hospital"), 403, "forbidden", "actor")

    await register(api.db, WANZHOU_HOSPITAL, 2, kg="4.000")
    clock.advance(hours=25)
    clearing = await api.get("/api/v1/monitoring/clearing", user="wanzhou.regulator", params={"days": 3})
    assert clearing.status_code == 200, clearing.text
    body = clearing.json()
    assert (body["city"]["overdue_count"], body["city"]["overdue_kg"]) == (2, "8.000")
    assert [g["generator"] for g in body["generators"]] == [WANZHOU_HOSPITAL] and len(body["days"]) == 3
    assert (await api.get("/api/v1/monitoring/clearing", user="beibei.regulator")).json()["generators"] == []
    assert_problem(
        await api.get("/api/v1/monitoring/clearing", user="cq.regulator", params={"days": 500}),
        422,
        "invalid-input",
        "days",
    )


async def test_the_alert_loop_over_http(api: Api) -> None:
    run_id = await overload_wanzhou(api.db)
    listed = await api.get("/api/v1/alerts", user="wanzhou.regulator", params={"status": "unclosed"})
    assert listed.status_code == 200, listed.text
    [alert] = listed.json()["items"]
    assert (alert["severity"], alert["subject_id"], alert["status"]) == ("critical", WANZHOU_PLANT, "open")
    assert (await api.get("/api/v1/alerts", user="beibei.regulator")).json()["items"] == []
    path = f"/api/v1/alerts/{alert['id']}"
    assert_problem(await api.get(path, user="beibei.regulator"), 404, "not-found", "id")
    assert_problem(
        await api.post(path + "/close", user="wanzhou.hospital", json={"note": "done"}), 403, "forbidden", "actor"
    )

    acknowledged = await api.post(path + "/acknowledge", user="wanzhou.regulator", json={"note": "收到"})
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["status"] == "acknowledged"
    assert_problem(await api.post(path + "/acknowledge", user="cq.regulator", json={}), 409, "illegal-transition", "id")
    assigned = await api.post(path + "/assign", user="cq.regulator", json={"assignee": "wanzhou.operator"})
    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == "wanzhou.operator"
    assert_problem(
        await api.post(path + "/assign", user="cq.regulator", json={"assignee": "yuzhong.hospital"}),
        422,
        "invalid-input",
        "assignee",
    )
    assert (await api.post(path + "/close", user="wanzhou.regulator", json={"note": ""})).status_code == 400
    closed = await api.post(path + "/close", user="wanzhou.regulator", json={"note": "启用梁平应急处置中心分流"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    deliveries = (await api.get(path + "/deliveries", user="cq.regulator")).json()
    assert {(d["action"], d["channel"], d["recipient"]) for d in deliveries} >= {
        ("alert.opened", "email", "wanzhou.regulator"),
        ("alert.opened", "sms", "cq.regulator"),
        ("alert.assigned", "email", "wanzhou.operator"),
    }
    assert {d["status"] for d in deliveries} == {"pending"}
    assert_problem(await api.get(path + "/deliveries", user="beibei.regulator"), 404, "not-found", "id")
    detail = (await api.get(path, user="cq.regulator")).json()
    assert [e["type"] for e in detail["history"]] == [
        "alert.opened",
        "alert.acknowledged",
        "alert.assigned",
        "alert.closed",
    ]

    runs = await api.get("/api/v1/monitoring/job-runs", user="cq.regulator", params={"job": "plant_load"})
    assert runs.status_code == 200
    [run] = runs.json()
    assert (run["id"], run["outcome"], run["counts"]["opened"]) == (run_id, "ok", 1)
    assert_problem(await api.get("/api/v1/monitoring/job-runs", user="tongxing.operator"), 403, "forbidden", "actor")


async def test_alert_channels(api: Api) -> None:
    mine = await api.post(
        "/api/v1/alerts/subscriptions",
        user="wanzhou.regulator",
        json={"channel": "sms", "target": "+86 139 0000 1234", "min_severity": "critical"},
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["username"] == "wanzhou.regulator" and mine.json()["secret"] is None
    assert_problem(
        await api.post(
            "/api/v1/alerts/subscriptions",
            user="wanzhou.regulator",
            json={"channel": "fax", "target": "+86 139 0000 1234"},
        ),
        422,
        "invalid-input",
        "channel",
    )
    hook = await api.post(
        "/api/v1/alerts/subscriptions",
        user="admin",
        json={"channel": "webhook", "target": "https://platform.example.test/hook", "endpoint": True},
    )
    assert hook.status_code == 201 and len(hook.json()["secret"]) > 30
    listed = (await api.get("/api/v1/alerts/subscriptions", user="admin")).json()
    assert {s["channel"] for s in listed} == {"sms", "webhook"} and all(s["secret"] is None for s in listed)
    assert [s["channel"] for s in (await api.get("/api/v1/alerts/subscriptions", user="wanzhou.regulator")).json()] == [
        "sms"
    ]
    removed = await api.request("DELETE", f"/api/v1/alerts/subscriptions/{mine.json()['id']}", user="wanzhou.regulator")
    assert removed.status_code == 200 and removed.json()["active"] is False


async def test_the_lifespan_starts_and_stops_the_scheduler(db: Database) -> None:
    app_db = Database(db.settings, clock=db.clock, catalogue=db.catalogue)
    app = create_app(app_db, run_scheduler=True)
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/api/v1/health")).json()["status"] == "ok"
