"""The dashboard over HTTP (Litestar's test client, which keeps cookies like a browser), on the demo data:
login, logout, CSRF, lockout, what each page shows, and that a district's officer sees the district only."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import col

from ledger.accounts import issue_token
from ledger.actors import SYSTEM
from ledger.config import Settings
from ledger.logins import DEMO_PASSWORD, MAX_FAILURES
from ledger.monitoring.alerts import get_alert
from ledger.tables import Alert, Container, Shipment
from ledger.unit_of_work import Database
from routes.sessions import SESSION_COOKIE
from routes.web_settings import WebSettings
from tests.web.conftest import Browser, _browser
from wasteledger.demo import (
    EMERGENCY_LINES,
    FULING_HOSPITAL,
    LIANGPING_EMERGENCY,
    QIANJIANG_HOSPITAL,
    WANZHOU_PLANT,
    YUBEI_HOSPITAL,
)

PAGES = ("capacity", "clearing", "transfers", "alerts")


def texts_of(html: str, name: str) -> list[str]:
    """The text of every element carrying ``data-testid="name"`` (flat elements only)."""
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(rf'data-testid="{name}"[^>]*>(.*?)</', html, re.S)]


def one(html: str, name: str) -> str:
    found = texts_of(html, name)
    assert len(found) == 1, (name, found)
    return found[0]


async def rows(url: str, query: object) -> list[object]:
    """Column values read straight from a database (columns, not ORM rows: those expire with their session)."""
    db = Database(Settings(database_url=url))
    try:
        async with db.uow() as uow:
            return list((await uow.session.execute(query)).scalars())  # type: ignore[call-overload]
    finally:
        await db.dispose()


# --- sessions -----------------------------------------------------------------------------------------------


async def test_pages_send_strangers_to_the_login_and_back(demo_browser: Browser) -> None:
    for name in PAGES:
        response = await demo_browser.get(f"/dashboard/{name}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next=/dashboard/{name}"
    # An htmx refresh after the session ended navigates to the login instead of swapping it into the page.
    refresh = await demo_browser.get("/dashboard/alerts", headers={"HX-Request": "true"}, follow_redirects=False)
    assert refresh.status_code == 200 and refresh.headers["hx-redirect"] == "/login?next=/dashboard/alerts"
    landed = await demo_browser.log_in("cq.regulator", next_path="/dashboard/transfers")
    assert landed.status_code == 200 and landed.url.path == "/dashboard/transfers"


async def test_the_session_cookie_is_httponly_lax_and_logout_ends_it_server_side(demo_browser: Browser) -> None:
    form = await demo_browser.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce is not None
    assert "httponly" in form.headers["set-cookie"].lower()
    response = await demo_browser.client.post(
        "/login",
        data={"username": "cq.regulator", "password": DEMO_PASSWORD, "csrf_token": nonce.group(1), "next": "//evil"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"  # no open redirect
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes and "secure" not in attributes
    assert "samesite=lax" in cookie.lower()
    stolen = demo_browser.client.cookies[SESSION_COOKIE]
    assert (await demo_browser.get("/dashboard/capacity")).status_code == 200

    # Logging out needs the form's token; then the cookie is dead even if someone kept a copy.
    refused = await demo_browser.post("/logout", {"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    token = await demo_browser.csrf("/dashboard/capacity")
    out = await demo_browser.post("/logout", {"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login?bye=1"
    demo_browser.client.cookies.set(SESSION_COOKIE, stolen)
    replay = await demo_browser.get("/dashboard/capacity", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/login")


async def test_secure_cookies_when_configured(demo_url: str) -> None:
    async for browser in _browser(demo_url, WebSettings(cookie_secure=True)):
        form = await browser.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()


async def test_the_login_form_must_come_from_the_login_page(demo_browser: Browser) -> None:
    forged = await demo_browser.post(
        "/login", {"username": "cq.regulator", "password": DEMO_PASSWORD, "csrf_token": "x" * 43}
    )
    assert forged.status_code == 403 and SESSION_COOKIE not in demo_browser.client.cookies
    assert "login-error" in forged.text


async def test_wrong_passwords_then_lockout_over_http(demo_browser: Browser) -> None:
    wrong = await demo_browser.log_in("beibei.regulator", "not-my-password")
    assert wrong.status_code == 401 and "用户名或密码错误" in one(wrong.text, "login-error")
    for _ in range(MAX_FAILURES - 2):
        assert (await demo_browser.log_in("beibei.regulator", "not-my-password")).status_code == 401
    locked = await demo_browser.log_in("beibei.regulator", "not-my-password")
    assert locked.status_code == 423 and "locked until" in one(locked.text, "login-error")
    right = await demo_browser.log_in("beibei.regulator", DEMO_PASSWORD)
    assert right.status_code == 423 and SESSION_COOKIE not in demo_browser.client.cookies
    # Another account is not affected.
    assert (await demo_browser.log_in("cq.regulator")).url.path == "/dashboard/capacity"


async def test_only_regulators_and_administrators_use_the_dashboard(demo_browser: Browser) -> None:
    page = await demo_browser.log_in("yuzhong.hospital")
    assert page.status_code == 403 and "for regulators and administrators" in one(page.text, "error-detail")


async def test_forms_refuse_a_missing_or_foreign_csrf_token(demo_browser: Browser, demo_url: str) -> None:
    [alert_id] = await rows(demo_url, select(col(Alert.id)).where(col(Alert.kind) == "plant_overload"))
    # The token of someone else's session does not work either: tokens are bound to their session.
    async for other in _browser(demo_url, WebSettings()):
        await other.log_in("admin")
        foreign = await other.csrf()
    await demo_browser.log_in("cq.regulator")
    for token in ("", "0" * 64, foreign):
        response = await demo_browser.post(f"/dashboard/alerts/{alert_id}/acknowledge", {"csrf_token": token})
        assert response.status_code == 403, token
    assert await rows(demo_url, select(col(Alert.status)).where(col(Alert.id) == alert_id)) == ["open"]


async def test_the_json_api_neither_needs_csrf_nor_accepts_the_session_cookie(
    demo_browser: Browser, demo_url: str
) -> None:
    await demo_browser.log_in("cq.regulator")
    cookie_only = await demo_browser.get("/api/v1/me")
    assert cookie_only.status_code == 401
    db = Database(Settings(database_url=demo_url))
    try:
        token = (await issue_token(db.uow(), "cq.regulator", timedelta(days=1), "test")).token
    finally:
        await db.dispose()
    switched = await demo_browser.client.post(
        f"/api/v1/plants/{LIANGPING_EMERGENCY}/activate",
        json={"reason": "API call without any CSRF token"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert switched.status_code == 200 and switched.json()["active"] is True


async def test_html_routes_stay_out_of_the_openapi_schema(demo_browser: Browser) -> None:
    paths = (await demo_browser.get("/schema/openapi.json")).json()["paths"]
    assert paths and all(path.startswith("/api/") for path in paths), sorted(paths)


# --- what the pages show ------------------------------------------------------------------------------------


async def test_capacity_reads_99_then_111_as_the_emergency_lines_switch_on(demo_browser: Browser) -> None:
    await demo_browser.log_in("cq.regulator")
    page = (await demo_browser.get("/dashboard/capacity")).text
    assert one(page, "city-capacity") == "99" and one(page, "reserve") == "12.0"
    wanzhou = re.search(rf'data-uscc="{WANZHOU_PLANT}".*?data-testid="utilisation"[^>]*>(.*?)</td>', page, re.S)
    assert wanzhou is not None and "117%" in wanzhou.group(1)
    assert one(page, "plants-over") == "1"
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and "http://kozea" not in page  # charts inline
    token = await demo_browser.csrf("/dashboard/capacity")
    # A reason that would read differently on screen is refused, and the line stays off (the loop switches it on).
    spoofed = await demo_browser.post(
        f"/dashboard/plants/{LIANGPING_EMERGENCY}/activate", {"csrf_token": token, "reason": "疫情应急 \u202etset"}
    )
    assert spoofed.status_code == 422 and "U+202E RIGHT-TO-LEFT OVERRIDE" in spoofed.text
    for line in EMERGENCY_LINES:
        done = await demo_browser.post(
            f"/dashboard/plants/{line}/activate", {"csrf_token": token, "reason": "疫情应急 test"}
        )
        assert done.status_code == 200 and done.url.path == "/dashboard/capacity"
    page = done.text
    assert one(page, "city-capacity") == "111" and one(page, "reserve") == "0.0"
    assert texts_of(page, "switched-by") == ["cq.regulator"] * len(EMERGENCY_LINES)
    again = await demo_browser.post(
        f"/dashboard/plants/{LIANGPING_EMERGENCY}/activate", {"csrf_token": token, "reason": "twice"}
    )
    assert again.status_code == 409 and "error-detail" in again.text


async def test_clearing_page_and_its_drill_down(demo_browser: Browser) -> None:
    await demo_browser.log_in("cq.regulator")
    page = (await demo_browser.get("/dashboard/clearing")).text
    assert (one(page, "overdue-count"), one(page, "critical-count"), one(page, "uncollected-count")) == ("5", "2", "5")
    assert f'data-generator="{QIANJIANG_HOSPITAL}"' in page and f'data-generator="{FULING_HOSPITAL}"' in page
    drill = await demo_browser.get(f"/dashboard/clearing/containers?generator={QIANJIANG_HOSPITAL}&overdue=true")
    assert drill.status_code == 200 and one(drill.text, "subject") == "重庆市黔江区武陵示例医院"
    ages = [int(age.removesuffix(" h")) for age in texts_of(drill.text, "age")]
    assert len(ages) == 3 and all(29 <= age <= 31 for age in ages)


async def test_transfers_page(demo_browser: Browser) -> None:
    await demo_browser.log_in("cq.regulator")
    page = (await demo_browser.get("/dashboard/transfers")).text
    assert one(page, "in-transit-count") == "3"
    assert (one(page, "unconfirmed-count"), one(page, "unconfirmed-overdue")) == ("1", "1")
    approval = re.search(r'data-quota="CQ-SC-\d{4}-0007".*?data-testid="used">([^<]+)<', page, re.S)
    assert approval is not None and approval.group(1) == "10.800"
    assert "WL-2020-" not in page  # past years' white lists are history, not shown


async def test_the_alert_loop_from_the_page(demo_browser: Browser, demo_url: str) -> None:
    await demo_browser.log_in("cq.regulator")
    page = (await demo_browser.get("/dashboard/alerts")).text
    count = int(one(page, "alert-count"))
    [alert_id] = await rows(demo_url, select(col(Alert.id)).where(col(Alert.kind) == "plant_overload"))
    assert isinstance(alert_id, int) and f'data-id="{alert_id}"' in page
    token = await demo_browser.csrf()
    base = f"/dashboard/alerts/{alert_id}"
    await demo_browser.post(base + "/acknowledge", {"csrf_token": token, "note": "收到"})
    await demo_browser.post(base + "/assign", {"csrf_token": token, "assignee": "wanzhou.operator", "note": "今日清零"})
    refused = await demo_browser.post(base + "/close", {"csrf_token": token, "note": ""})
    assert refused.status_code == 422 and "note" in one(refused.text, "error-detail")
    closed = await demo_browser.post(base + "/close", {"csrf_token": token, "note": "梁平分流，积压已清零"})
    assert closed.status_code == 200 and int(one(closed.text, "alert-count")) == count - 1
    assert f'data-id="{alert_id}"' not in closed.text
    assert f'data-id="{alert_id}"' in (await demo_browser.get("/dashboard/alerts?status=closed")).text
    db = Database(Settings(database_url=demo_url))
    try:
        history = (await get_alert(db.uow(), alert_id, SYSTEM)).history
    finally:
        await db.dispose()
    steps = [(e.type, e.actor_user) for e in history]
    assert steps[-3:] == [
        ("alert.acknowledged", "cq.regulator"),
        ("alert.assigned", "cq.regulator"),
        ("alert.closed", "cq.regulator"),
    ]


async def test_search_box(demo_browser: Browser, demo_url: str) -> None:
    await demo_browser.log_in("cq.regulator")
    [number] = await rows(demo_url, select(col(Shipment.number)).where(col(Shipment.status) == "delivered"))
    found = await demo_browser.get("/dashboard/search", params={"q": f" {number} "})
    assert found.url.path == f"/dashboard/manifests/{number}" and one(found.text, "manifest-number") == number
    [code] = await rows(
        demo_url, select(col(Container.code)).where(col(Container.generator_uscc) == YUBEI_HOSPITAL).limit(1)
    )
    scanned = await demo_browser.get("/dashboard/search", params={"q": f"https://anywhere.example/v/{code}"})
    assert scanned.url.path == f"/dashboard/containers/{code}" and one(scanned.text, "container-code") == code
    garbage = await demo_browser.get("/dashboard/search", params={"q": "<script>alert(1)</script>"})
    assert garbage.status_code == 400 and "<script>alert(1)" not in garbage.text
    unknown = await demo_browser.get("/dashboard/search", params={"q": str(code)[:-3] + "999"})
    assert unknown.status_code == 404 and "is not in the ledger" in one(unknown.text, "search-error")


async def test_every_page_loads_in_under_a_second(demo_browser: Browser) -> None:
    await demo_browser.log_in("cq.regulator")
    for name in PAGES:
        started = time.perf_counter()
        response = await demo_browser.get(f"/dashboard/{name}")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and elapsed < 1.0, (name, elapsed)
        assert 'hx-trigger="every 60s [wlIdle()]"' in response.text


# --- scope --------------------------------------------------------------------------------------------------


async def test_a_district_regulator_sees_only_its_district(demo_browser: Browser, demo_url: str) -> None:
    page = await demo_browser.log_in("wanzhou.regulator")
    assert page.url.path == "/dashboard/capacity" and one(page.text, "jurisdiction") == "万州区 (500101)"
    assert set(re.findall(r'<tr class="level-\w+" data-uscc="(\w+)"', page.text)) == {WANZHOU_PLANT}
    assert 'data-testid="emergency-lines"' not in page.text  # none in Wanzhou; Liangping's is not theirs

    clearing = (await demo_browser.get("/dashboard/clearing")).text
    assert one(clearing, "overdue-count") == "0" and "data-generator=" not in clearing
    alerts = (await demo_browser.get("/dashboard/alerts")).text
    assert re.findall(r'data-kind="(\w+)"', alerts) == ["plant_overload"]
    transfers = (await demo_browser.get("/dashboard/transfers")).text
    assert one(transfers, "in-transit-count") == "1" and one(transfers, "unconfirmed-count") == "0"

    # Things of other districts answer like things that do not exist.
    [fuling] = await rows(
        demo_url, select(col(Container.code)).where(col(Container.generator_uscc) == FULING_HOSPITAL).limit(1)
    )
    assert (await demo_browser.get(f"/dashboard/containers/{fuling}")).status_code == 404
    assert (await demo_browser.get("/dashboard/search", params={"q": fuling})).status_code == 404
    [delivered] = await rows(demo_url, select(col(Shipment.number)).where(col(Shipment.status) == "delivered"))
    assert (await demo_browser.get(f"/dashboard/manifests/{delivered}")).status_code == 404
    drill = await demo_browser.get(f"/dashboard/clearing/containers?generator={QIANJIANG_HOSPITAL}")
    assert drill.status_code == 200 and 'data-testid="none"' in drill.text
    [overdue] = await rows(demo_url, select(col(Alert.id)).where(col(Alert.kind) == "clearing_overdue").limit(1))
    token = await demo_browser.csrf("/dashboard/capacity")
    assert (
        await demo_browser.post(f"/dashboard/alerts/{overdue}/close", {"csrf_token": token, "note": "xx"})
    ).status_code == 404
    switch = await demo_browser.post(
        f"/dashboard/plants/{LIANGPING_EMERGENCY}/activate", {"csrf_token": token, "reason": "not mine"}
    )
    assert switch.status_code == 403
    # The city figures stay city-wide (redirecting load crosses districts), the plants are the district's.
    assert one(page.text, "city-capacity") == "99"


async def test_the_trend_covers_thirty_days(demo_browser: Browser) -> None:
    await demo_browser.log_in("cq.regulator")
    page = (await demo_browser.get("/dashboard/capacity")).text
    table = re.search(r'data-testid="trend-table">(.*?)</table>', page, re.S)
    assert table is not None
    days = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td class=\"num\">([\d.,]+)</td>", table.group(1))
    assert len(days) == 30
    capacities = {Decimal(c.replace(",", "")) for _, c in days}
    # The Liangping emergency centre ran for nine days three weeks ago: 99 → 102 → 99 t/day.
    assert capacities == {Decimal("99.0"), Decimal("102.0")}
    assert 'data-testid="focus-chart"' in page  # Wanzhou's own trend, the plant at critical


async def test_the_site_root_and_the_login_page_lead_to_the_dashboard(demo_browser: Browser) -> None:
    assert (await demo_browser.get("/")).url.path == "/login"
    await demo_browser.log_in("admin")
    response = await demo_browser.get("/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert (await demo_browser.get("/")).url.path == "/dashboard/capacity"
