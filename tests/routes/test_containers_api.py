"""Containers over HTTP: every endpoint's happy path and its refusals, as problem details naming the field."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ledger.canonical import GENESIS_HASH
from ledger.db import create_engine
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.routes.conftest import Api, assert_problem
from tests.routes.world import WANZHOU_HOSPITAL, YUZHONG_HOSPITAL

HOSPITAL = "yuzhong.hospital"


def bag(**change: Any) -> dict[str, Any]:
    return {
        "generator": YUZHONG_HOSPITAL,
        "waste_code": "841-001-01",
        "weight_kg": "5.250",
        "packaging": "bag",
        "volume_l": "30",
        **change,
    }


async def events(db: Database) -> int:
    async with db.uow() as uow:
        return await uow.events.count()


async def test_register_read_and_history_with_hashes(api: Api) -> None:
    created = await api.post("/api/v1/containers", user=HOSPITAL, json=bag())
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["code"].startswith(YUZHONG_HOSPITAL + "84100101" + "20261204")
    assert view["weight_kg"] == "5.250" and view["status"] == "registered" and view["custodian"] == YUZHONG_HOSPITAL

    detail = (await api.get(f"/api/v1/containers/{view['code']}", user=HOSPITAL)).json()
    assert detail["container"] == view
    [registered] = detail["history"]
    assert registered["type"] == "container.registered" and registered["actor_user"] == HOSPITAL
    assert registered["prev_hash"] == GENESIS_HASH and len(registered["hash"]) == 64
    # Lower case is accepted and normalised: a code read off a label by hand still finds its container.
    same = await api.get(f"/api/v1/containers/{view['code'].lower()}", user=HOSPITAL)
    assert same.status_code == 200 and same.json()["container"]["code"] == view["code"]


async def test_bad_registrations_write_nothing(api: Api) -> None:
    before = await events(api.db)
    assert_problem(
        await api.post("/api/v1/containers", user=HOSPITAL, json=bag(weight_kg="-1")),
        400,
        "invalid-request",
        "weight_kg",
    )
    body = assert_problem(
        await api.post("/api/v1/containers", user=HOSPITAL, json=bag(weight_kg="1.0001")),
        400,
        "invalid-request",
        "weight_kg",
    )
    assert body["errors"][0]["field"] == "weight_kg"
    assert_problem(
        await api.post("/api/v1/containers", user=HOSPITAL, json={k: v for k, v in bag().items() if k != "packaging"}),
        400,
        "invalid-request",
        "packaging",
    )
    assert_problem(
        await api.post("/api/v1/containers", user=HOSPITAL, json=bag(waste_code="841-009-01")),
        422,
        "invalid-identifier",
        "waste_code",
    )
    assert_problem(
        await api.post("/api/v1/containers", user=HOSPITAL, json=bag(generator=WANZHOU_HOSPITAL)),
        403,
        "forbidden",
        "generator",
    )
    assert_problem(
        await api.post(
            "/api/v1/containers", user=HOSPITAL, content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
        "invalid-request",
        None,
    )
    assert await events(api.db) == before


async def test_a_body_over_the_limit_is_refused_before_parsing(api: Api) -> None:
    before = await events(api.db)
    huge = b'{"description": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = await api.post(
        "/api/v1/containers", user=HOSPITAL, content=huge, headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 413, "body-too-large", None)
    assert "2 MiB" in body["detail"]
    assert await events(api.db) == before


async def test_list_pages_with_an_opaque_cursor_and_filters(api: Api, clock: FakeClock) -> None:
    codes = []
    for i in range(5):
        clock.advance(minutes=1)
        created = await api.post("/api/v1/containers", user=HOSPITAL, json=bag(weight_kg=f"{i + 1}.000"))
        codes.append(created.json()["code"])
    sharps = await api.post(
        "/api/v1/containers", user=HOSPITAL, json=bag(waste_code="841-002-01", packaging="sharps_box", volume_l="4")
    )
    newest_first = [sharps.json()["code"], *reversed(codes)]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/api/v1/containers", user=HOSPITAL, params=params)).json()
        seen += [item["code"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == newest_first and pages == 3

    def listed(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [item["code"] for item in response.json()["items"]]

    get = api.get
    assert (
        listed(await get("/api/v1/containers", user=HOSPITAL, params={"waste_code": "841-002-01"})) == newest_first[:1]
    )
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params={"category": "hw01"})) == newest_first
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params={"status": "voided"})) == []
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params={"division": "500103"})) == newest_first
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params={"generator": WANZHOU_HOSPITAL})) == []
    # 02:00 UTC is 10:00 in Chongqing: all were registered on the local day 2026-12-04.
    today = {"registered_from": "2026-12-04", "registered_to": "2026-12-04"}
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params=today)) == newest_first
    tomorrow = {"registered_from": "2026-12-05"}
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params=tomorrow)) == []

    clock.advance(hours=14)  # 00:07 next local day
    late = (await api.post("/api/v1/containers", user=HOSPITAL, json=bag())).json()["code"]
    assert listed(await get("/api/v1/containers", user=HOSPITAL, params=tomorrow)) == [late]
    assert late not in listed(await get("/api/v1/containers", user=HOSPITAL, params=today))


async def test_list_refusals_name_the_parameter(api: Api) -> None:
    url = "/api/v1/containers"
    assert_problem(await api.get(url, user=HOSPITAL, params={"limit": 0}), 422, "invalid-input", "limit")
    assert_problem(await api.get(url, user=HOSPITAL, params={"limit": 201}), 422, "invalid-input", "limit")
    assert_problem(await api.get(url, user=HOSPITAL, params={"limit": "ten"}), 400, "invalid-request", "limit")
    assert_problem(await api.get(url, user=HOSPITAL, params={"status": "lost"}), 400, "invalid-request", "status")
    assert_problem(await api.get(url, user=HOSPITAL, params={"cursor": "bm9wZQ"}), 422, "invalid-input", "cursor")
    assert_problem(await api.get(url, user=HOSPITAL, params={"category": "HW42"}), 422, "invalid-input", "category")
    assert_problem(
        await api.get(url, user=HOSPITAL, params={"division": "999999"}), 422, "invalid-identifier", "division"
    )
    assert_problem(
        await api.get(url, user=HOSPITAL, params={"generator": "12500103459578017Y"}),
        422,
        "invalid-identifier",
        "generator",
    )
    assert_problem(
        await api.get(url, user=HOSPITAL, params={"registered_from": "2026-12-05", "registered_to": "2026-12-04"}),
        422,
        "invalid-input",
        "registered_to",
    )


async def test_unknown_and_malformed_codes(api: Api) -> None:
    code = (await api.post("/api/v1/containers", user=HOSPITAL, json=bag())).json()["code"]
    never_issued = code[:-3] + "999"
    body = assert_problem(await api.get(f"/api/v1/containers/{never_issued}", user=HOSPITAL), 404, "not-found", "code")
    assert body["detail"] == f"container {never_issued} is not in the ledger"
    assert_problem(await api.get("/api/v1/containers/not-a-code", user=HOSPITAL), 422, "invalid-identifier", "code")


async def test_void_once_then_refused(api: Api) -> None:
    code = (await api.post("/api/v1/containers", user=HOSPITAL, json=bag())).json()["code"]
    assert_problem(
        await api.post(f"/api/v1/containers/{code}/void", user=HOSPITAL, json={"reason": ""}),
        400,
        "invalid-request",
        "reason",
    )
    voided = await api.post(f"/api/v1/containers/{code}/void", user=HOSPITAL, json={"reason": "label misprinted"})
    assert voided.status_code == 200 and voided.json()["status"] == "voided"
    body = assert_problem(
        await api.post(f"/api/v1/containers/{code}/void", user=HOSPITAL, json={"reason": "again"}),
        409,
        "illegal-transition",
        "code",
    )
    assert body["state"] == "voided" and body["step"] == "void"
    history = (await api.get(f"/api/v1/containers/{code}", user=HOSPITAL)).json()["history"]
    assert [e["type"] for e in history] == ["container.registered", "container.voided"]
    assert history[1]["payload"] == {"reason": "label misprinted"}


async def test_corrections_are_new_events(api: Api, clock: FakeClock) -> None:
    code = (await api.post("/api/v1/containers", user=HOSPITAL, json=bag(weight_kg="5.000"))).json()["code"]
    url = f"/api/v1/containers/{code}/corrections"
    assert_problem(await api.post(url, user=HOSPITAL, json={"reason": "nothing"}), 422, "invalid-input", "weight_kg")
    assert_problem(
        await api.post(url, user=HOSPITAL, json={"reason": "typo", "weight_kg": "0"}),
        400,
        "invalid-request",
        "weight_kg",
    )
    fixed = await api.post(url, user=HOSPITAL, json={"reason": "scale not tared", "weight_kg": "4.600"})
    assert fixed.status_code == 201 and fixed.json()["weight_kg"] == "4.600" and fixed.json()["version"] == 2
    history = (await api.get(f"/api/v1/containers/{code}", user=HOSPITAL)).json()["history"]
    assert history[0]["payload"]["weight_kg"] == "5"
    assert history[1]["payload"] == {
        "fields": {"weight_kg": "4.6"},
        "previous": {"weight_kg": "5"},
        "reason": "scale not tared",
    }
    assert history[1]["prev_hash"] == history[0]["hash"]
    # A regulator overseeing the hospital's district may correct too; a district bureau elsewhere sees nothing.
    regulator = await api.post(url, user="cq.regulator", json={"reason": "audit", "volume_l": "20"})
    assert regulator.status_code == 201 and regulator.json()["volume_l"] == "20"
    assert_problem(
        await api.post(url, user="wanzhou.regulator", json={"reason": "audit", "volume_l": "10"}),
        404,
        "not-found",
        "code",
    )
    clock.advance(days=1)
    assert (await api.get(f"/api/v1/containers/{code}", user=HOSPITAL)).json()["container"]["volume_l"] == "20"


async def test_five_hundreds_are_logged_with_a_request_id(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """A real fault (here: the database unreachable) answers 500 with a request id that is also in the log."""
    caplog.set_level(logging.ERROR, logger="wasteledger.http")
    token = await api.token(HOSPITAL)
    app_db: Database = api.client.app.state.db
    working = app_db.engine
    # SQLite cannot create a file in a missing directory; nothing listens on port 1.
    app_db.engine = create_engine(
        "sqlite+aiosqlite:////nonexistent-dir/ledger.sqlite3"
        if app_db.dialect == "sqlite"
        else "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    )
    try:
        response = await api.get("/api/v1/me", user=None, token=token)
    finally:
        app_db.engine = working
    body = assert_problem(response, 500, "internal", None)
    assert len(body["request_id"]) == 32 and "Traceback" not in response.text
    assert any(body["request_id"] in record.getMessage() for record in caplog.records)
    assert (await api.get("/api/v1/me", user=None, token=token)).status_code == 200
