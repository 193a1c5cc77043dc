"""The public verification pages a phone opens from a label (/v/<code>) or a printed manifest (/m/<number>?h=):
what they show, what they never show, friendly pages for bad codes, and the per-address rate limit."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlmodel import col

from fixtures.data import load
from ledger.config import Settings
from ledger.shipments import get_shipment
from ledger.tables import Container, Shipment
from ledger.unit_of_work import Database
from routes.web_settings import WebSettings
from tests.web.conftest import Browser
from tests.web.test_pages import one, rows
from wasteledger.demo import EMERGENCY_MEASURES, VEHICLES, YUZHONG_HOSPITAL

#: Everything personal in the demo: the users' display names, e-mails and phones, and the drivers.
PEOPLE = [u["display_name"].split("（")[0] for u in load("demo/users")] + [v.driver for v in VEHICLES.values()]


def visible_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def a_container(url: str, status: str) -> tuple[str, int]:
    """A demo container of the Yuzhong hospital in ``status``, and its declared weight in grams."""
    db = Database(Settings(database_url=url))
    try:
        async with db.uow() as uow:
            code, grams = (
                await uow.session.execute(
                    select(col(Container.code), col(Container.weight_g))
                    .where(col(Container.generator_uscc) == YUZHONG_HOSPITAL, col(Container.status) == status)
                    .limit(1)
                )
            ).one()
        return code, grams
    finally:
        await db.dispose()


async def test_a_disposed_container_shows_its_public_facts_only(demo_browser: Browser, demo_url: str) -> None:
    code, grams = await a_container(demo_url, "disposed")
    page = await demo_browser.get(f"/v/{code}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert one(page.text, "status").startswith("已处置")
    assert "✔" in one(page.text, "chain") and "HW01" in one(page.text, "category")
    assert one(page.text, "plant").startswith("重庆同兴医疗废物处理有限公司")
    assert "Y10" in one(page.text, "disposed")
    # Never the weight, the generator's USCC, its name, or anybody's name or contact.
    text = visible_text(page.text)
    kg = f"{grams / 1000:.3f}".rstrip("0").rstrip(".")
    assert "kg" not in text and kg not in text and str(grams) not in page.text
    assert YUZHONG_HOSPITAL not in page.text and "嘉陵示例综合医院" not in page.text
    assert one(page.text, "code") == "…" + code[18:]
    for person in PEOPLE:
        assert person not in page.text, person
    assert "@example.test" not in page.text and "+86" not in page.text
    assert "csrf" not in page.text and "set-cookie" not in page.headers  # nothing to log in to, no cookies
    assert page.headers["ratelimit-limit"] == "60"


async def test_a_container_still_at_the_hospital(demo_browser: Browser, demo_url: str) -> None:
    code, _ = await a_container(demo_url, "registered")
    page = await demo_browser.get(f"/v/{code}")
    assert page.status_code == 200 and one(page.text, "status").startswith("已登记")
    assert one(page.text, "plant") == "—"


async def test_bad_and_unknown_codes_get_friendly_pages(demo_browser: Browser, demo_url: str) -> None:
    code, _ = await a_container(demo_url, "disposed")
    cases = {
        "/v/not-a-code": 400,
        f"/v/{code[:-1]}": 400,
        f"/v/{code}/extra": 400,
        f"/v/{code[:-3]}999": 404,
        "/v/%3Cscript%3Ealert(1)%3C%2Fscript%3E": 400,
        "/m/123": 400,
        "/m/20265001999999?h=abc": 404,
        "/m/20265001999999": 400,
    }
    for path, status in cases.items():
        page = await demo_browser.get(path)
        assert page.status_code == status, (path, page.text[:300])
        assert page.headers["content-type"].startswith("text/html"), path
        assert one(page.text, "error-status") == str(status)
        assert "Traceback" not in page.text and "<script>alert" not in page.text


async def test_a_printed_manifest_matches_until_the_ledger_moves_on(demo_browser: Browser, demo_url: str) -> None:
    [number] = await rows(demo_url, select(col(Shipment.number)).where(col(Shipment.status) == "closed").limit(1))
    db = Database(Settings(database_url=demo_url))
    try:
        detail = await get_shipment(db.uow(), str(number))
    finally:
        await db.dispose()
    good = await demo_browser.get(f"/m/{number}", params={"h": detail.content_hash})
    assert good.status_code == 200 and one(good.text, "match").startswith("✔")
    assert one(good.text, "manifest-status") == "closed"
    stale = await demo_browser.get(f"/m/{number}", params={"h": "0" * 64})
    assert stale.status_code == 200 and one(stale.text, "match").startswith("✘")
    text = visible_text(good.text)
    assert EMERGENCY_MEASURES not in text and "kg" not in text
    for person in PEOPLE:
        assert person not in good.text


async def test_too_many_requests_from_one_address_get_429(demo_browser: Browser, demo_url: str) -> None:
    code, _ = await a_container(demo_url, "disposed")
    limit = WebSettings().public_per_minute
    for _ in range(limit):
        assert (await demo_browser.get(f"/v/{code}")).status_code == 200
    refused = await demo_browser.get(f"/v/{code}")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html") and one(refused.text, "error-status") == "429"
    assert refused.headers["ratelimit-remaining"] == "0" and int(refused.headers["ratelimit-reset"]) > 0
    assert (await demo_browser.get("/m/20265001000001?h=x")).status_code == 429  # one budget for both pages
    # The public budget is its own: the login page and the API are not throttled by it.
    assert (await demo_browser.get("/login")).status_code == 200
    health = await demo_browser.get("/api/v1/health")
    assert health.status_code == 200 and json.loads(health.text)["status"] == "ok"
