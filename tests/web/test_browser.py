"""The dashboard and the public pages in a real browser: headless Chromium (Debian's, driven by Playwright) against
the real server (``python -m wasteledger serve``) in a subprocess, on a copy of the demo database.

Each test checks what is shown (numbers, not just that a page loaded) and leaves screenshots in
``test-artefacts/browser/``. Without Chromium these tests skip locally and fail under ``CI=true``.
The tests of this module share one server and run in file order: switching the emergency lines on and closing
an alert change what later pages show, as they would for a regulator clicking through.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from ledger.logins import DEMO_PASSWORD, MAX_FAILURES
from wasteledger.demo import QIANJIANG_HOSPITAL, WANZHOU_PLANT

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artefacts" / "browser"
CHROMIUM = os.environ.get("WASTELEDGER_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
#: The flags this machine's Chromium needs (docs: the machine's notes): no sandbox as root, no GPU, and no
#: background connections, which the closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REFRESH_SECONDS = 3

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - the dev extras bring it
    sync_playwright = None  # type: ignore[assignment]


def _require_chromium() -> None:
    missing = []
    if sync_playwright is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if IN_CI:
            pytest.fail(message + " — required in CI")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``wasteledger serve`` on a free port and a copy of the demo; its address."""
    _require_chromium()
    path = tmp_path_factory.mktemp("browser") / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    port = _free_port()
    env = {
        **os.environ,
        "WASTELEDGER_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "WASTELEDGER_DASHBOARD_REFRESH_SECONDS": str(REFRESH_SECONDS),
    }
    log = (tmp_path_factory.getbasetemp() / "browser-server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "wasteledger", "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/api/v1/health", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log.name}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def disposed_medical(demo_template: Path) -> str:
    """A medical container of the demo that was burnt (read straight from the template file)."""
    with closing(sqlite3.connect(demo_template)) as connection:
        [(code,)] = connection.execute(
            "SELECT code FROM container WHERE medical AND status = 'disposed' ORDER BY code LIMIT 1"
        ).fetchall()
    return str(code)


@pytest.fixture(scope="module")
def chromium(server: str) -> Iterator[Browser]:
    assert sync_playwright is not None
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at a desktop size."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def shot(page: Page, name: str, *, full: bool = True) -> None:
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=full)


def log_in(page: Page, server: str, username: str, password: str = DEMO_PASSWORD, path: str = "/dashboard") -> None:
    page.goto(server + path)
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(password)
    page.get_by_test_id("login").click()


def test_login_wrong_password_lockout_and_right_password(page: Page, server: str, chromium: Browser) -> None:
    page.goto(server + "/dashboard/clearing")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard/clearing$"))
    shot(page, "login")
    page.get_by_test_id("username").fill("cq.regulator")
    page.get_by_test_id("password").fill("not-the-password")
    page.get_by_test_id("login").click()
    expect(page.get_by_test_id("login-error")).to_contain_text("wrong username or password")
    shot(page, "login-wrong-password")
    page.get_by_test_id("password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login").click()
    expect(page).to_have_url(re.compile(r"/dashboard/clearing$"))  # back where the regulator was heading
    expect(page.get_by_test_id("viewer")).to_have_text("cq.regulator")

    # Another officer's account, from another browser: five wrong passwords lock it, then even the right one
    # is refused.
    stranger = chromium.new_context(viewport={"width": 1000, "height": 700})
    guesser = stranger.new_page()
    for attempt in range(MAX_FAILURES):
        log_in(guesser, server, "beibei.regulator", f"guess-{attempt}-guess")
        expect(guesser.get_by_test_id("login-error")).to_be_visible()
    expect(guesser.get_by_test_id("login-error")).to_contain_text("locked until")
    log_in(guesser, server, "beibei.regulator")
    expect(guesser.get_by_test_id("login-error")).to_contain_text("locked until")
    shot(guesser, "login-locked")
    stranger.close()


def test_a_district_regulator_sees_only_its_district(page: Page, server: str) -> None:
    log_in(page, server, "wanzhou.regulator")
    expect(page.get_by_test_id("jurisdiction")).to_have_text("万州区 (500101)")
    rows = page.get_by_test_id("plant-table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-uscc", WANZHOU_PLANT)
    expect(rows.first.get_by_test_id("utilisation")).to_have_text("117%")
    shot(page, "district-capacity")
    page.goto(server + "/dashboard/clearing")
    expect(page.get_by_test_id("overdue-count")).to_have_text("0")
    page.goto(server + "/dashboard/alerts")
    expect(page.get_by_test_id("alert")).to_have_count(1)
    expect(page.get_by_test_id("alert").first).to_have_attribute("data-kind", "plant_overload")
    shot(page, "district-alerts")


def test_capacity_reads_99_then_111_with_the_emergency_lines_on(page: Page, server: str) -> None:
    log_in(page, server, "cq.regulator")
    expect(page).to_have_url(re.compile(r"/dashboard/capacity$"))
    expect(page.get_by_test_id("city-capacity")).to_have_text("99")
    expect(page.get_by_test_id("reserve")).to_have_text("12.0")
    wanzhou = page.locator(f'[data-testid=plant-table] tr[data-uscc="{WANZHOU_PLANT}"]')
    expect(wanzhou.get_by_test_id("utilisation")).to_have_text("117%")
    expect(page.locator(f'[data-testid=load-bars] g[data-uscc="{WANZHOU_PLANT}"]')).to_have_attribute(
        "data-level", "critical"
    )
    expect(page.get_by_test_id("trend-chart").locator("svg")).to_be_visible()
    shot(page, "capacity")
    lines = page.get_by_test_id("emergency-lines").locator("tbody tr")
    expect(lines).to_have_count(5)
    for index in range(5):
        uscc = lines.nth(index).get_attribute("data-uscc")
        row = page.locator(f'[data-testid=emergency-lines] tr[data-uscc="{uscc}"]')
        row.get_by_label("reason").fill(f"疫情应急处置 emergency {index + 1}")
        row.get_by_test_id("switch").click()
        # The form posts, the page comes back with the line on (waiting for that, not for a load event).
        expect(page.locator(f'[data-testid=emergency-lines] tr[data-uscc="{uscc}"]')).to_have_attribute(
            "data-active", "true"
        )
    expect(page.get_by_test_id("city-capacity")).to_have_text("111")
    expect(page.get_by_test_id("reserve")).to_have_text("0.0")
    expect(page.get_by_test_id("switched-by")).to_have_text(["cq.regulator"] * 5)
    shot(page, "capacity-111")


def test_daily_clearing_and_the_drill_down(page: Page, server: str) -> None:
    log_in(page, server, "cq.regulator", path="/dashboard/clearing")
    expect(page.get_by_test_id("overdue-count")).to_have_text("5")
    expect(page.get_by_test_id("critical-count")).to_have_text("2")
    expect(page.get_by_test_id("clearance-chart").locator("g.day")).to_have_count(14)
    shot(page, "clearing")
    page.locator(f'tr[data-generator="{QIANJIANG_HOSPITAL}"]').get_by_test_id("drill-down").click()
    expect(page.get_by_test_id("subject")).to_have_text("重庆市黔江区武陵示例医院")
    expect(page.get_by_test_id("open-containers").locator("tbody tr")).to_have_count(3)
    shot(page, "clearing-drill-down")


def test_transfers(page: Page, server: str) -> None:
    log_in(page, server, "cq.regulator", path="/dashboard/transfers")
    expect(page.get_by_test_id("in-transit-count")).to_have_text("3")
    expect(page.get_by_test_id("unconfirmed-overdue")).to_have_text("1")
    approval = page.locator('[data-testid=quotas] tr[data-quota$="-0007"]')
    expect(approval.get_by_test_id("used")).to_have_text("10.800")
    expect(approval).to_have_class(re.compile("level-warning"))
    shot(page, "transfers")


def test_acknowledge_and_close_an_alert(page: Page, server: str) -> None:
    log_in(page, server, "cq.regulator", path="/dashboard/alerts")
    count = int(page.get_by_test_id("alert-count").inner_text())
    alert = page.locator('[data-testid=alert][data-kind="plant_overload"]')
    alert_id = alert.get_attribute("data-id")
    shot(page, "alerts")
    alert.get_by_label("note", exact=True).fill("收到，已联系万州处置中心")
    alert.get_by_test_id("acknowledge").click()
    alert = page.locator(f'[data-testid=alert][data-id="{alert_id}"]')
    expect(alert.get_by_test_id("alert-status")).to_have_text("已签收 acknowledged")
    alert.get_by_test_id("close-note").fill("梁平应急中心分流，积压已清零")
    alert.get_by_test_id("close").click()
    expect(page.get_by_test_id("alert-count")).to_have_text(str(count - 1))
    expect(page.locator(f'[data-testid=alert][data-id="{alert_id}"]')).to_have_count(0)
    page.goto(server + "/dashboard/alerts?status=closed")
    closed = page.locator(f'[data-testid=alert][data-id="{alert_id}"]')
    expect(closed.get_by_test_id("alert-status")).to_have_text("已销号 closed")
    expect(closed).to_contain_text("梁平应急中心分流，积压已清零")


def test_the_search_box_and_the_public_pages(page: Page, server: str, chromium: Browser, disposed_medical: str) -> None:
    log_in(page, server, "cq.regulator", path="/dashboard/transfers")
    number = page.locator("[data-testid=unconfirmed] tbody tr").first.get_attribute("data-number")
    assert number is not None
    page.get_by_test_id("search-box").fill(number)
    page.get_by_test_id("search-box").press("Enter")
    expect(page.get_by_test_id("manifest-number")).to_have_text(number)
    expect(page.get_by_test_id("manifest-status")).to_have_text("delivered")
    shot(page, "manifest")
    code = page.get_by_test_id("manifest-containers").locator("tbody tr a").first.inner_text()
    check_link = page.locator('a[href^="/m/"]').get_attribute("href")
    assert check_link is not None

    # What a scanner types into the box: the label's whole URL.
    page.get_by_test_id("search-box").fill(f"https://qr.example.org/v/{code}")
    page.get_by_test_id("search-box").press("Enter")
    expect(page.get_by_test_id("container-code")).to_have_text(code)
    shot(page, "container")
    page.get_by_test_id("search-box").fill("no such thing")
    page.get_by_test_id("search-box").press("Enter")
    expect(page.get_by_test_id("search-error")).to_contain_text("not a container code")

    # The public pages, on a phone: no login.
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    mobile = phone.new_page()
    mobile.goto(server + f"/v/{code}")
    expect(mobile.get_by_test_id("status")).to_contain_text("已送达处置单位")
    expect(mobile.get_by_test_id("chain")).to_contain_text("✔")
    expect(mobile.get_by_test_id("code")).to_have_text("…" + code[18:])
    assert "kg" not in mobile.inner_text("body")
    shot(mobile, "public-container-received")
    mobile.goto(server + f"/v/{disposed_medical}")
    expect(mobile.get_by_test_id("status")).to_contain_text("已处置")
    expect(mobile.get_by_test_id("category")).to_contain_text("HW01")
    expect(mobile.get_by_test_id("disposed")).to_contain_text("Y10")
    assert "kg" not in mobile.inner_text("body") and disposed_medical[:18] not in mobile.content()
    shot(mobile, "public-container")
    mobile.goto(server + check_link)
    expect(mobile.get_by_test_id("match")).to_contain_text("✔")
    shot(mobile, "public-manifest")
    mobile.goto(server + check_link[: check_link.index("?h=") + 3] + "0" * 64)
    expect(mobile.get_by_test_id("match")).to_contain_text("✘")
    mobile.goto(server + "/v/not-a-label")
    expect(mobile.get_by_test_id("error-status")).to_have_text("400")
    shot(mobile, "public-error")
    phone.close()


def test_pages_refresh_themselves_and_print_cleanly(page: Page, server: str) -> None:
    log_in(page, server, "cq.regulator", path="/dashboard/capacity")
    first = page.get_by_test_id("as-of").get_attribute("datetime")
    page.evaluate("window.__sameDocument = true")
    # htmx swaps the figures in place: the time moves on, the document (and our marker in it) stays.
    expect(page.get_by_test_id("as-of")).not_to_have_attribute(
        "datetime", first or "", timeout=(REFRESH_SECONDS * 3) * 1000
    )
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    page.emulate_media(media="print")
    expect(page.locator("nav.tabs")).to_be_hidden()
    expect(page.get_by_test_id("emergency-lines").locator("form")).to_have_count(5)
    expect(page.get_by_test_id("emergency-lines").locator("form").first).to_be_hidden()
    expect(page.get_by_test_id("city-capacity")).to_be_visible()
    shot(page, "capacity-print")
    page.pdf(path=str(ARTEFACTS / "capacity-print.pdf"), format="A4", landscape=True)
