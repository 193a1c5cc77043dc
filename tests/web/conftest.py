"""The browser side's tests: a migrated SQLite file holding the whole demo (loaded once per session, copied per
test), and a Litestar test client that keeps cookies like a browser.

The demo is recorded with the real clock (it is "the last 30 days" of whenever the suite runs), so these tests
run the app with the real clock too; the ledger-level login tests use the fake clock of tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from ledger.accounts import load_demo_users
from ledger.config import Settings
from ledger.logins import DEMO_PASSWORD, set_demo_passwords
from ledger.migrate import migrate
from ledger.reference import load_demo_organisations, load_demo_white_list
from ledger.unit_of_work import Database
from routes.app import create_app
from routes.web_settings import WebSettings
from wasteledger.demo import load_demo

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def build_demo(url: str) -> str:
    """What ``wasteledger migrate && wasteledger load-fixtures --demo`` does."""
    db = Database(Settings(database_url=url))
    try:
        await migrate(db.engine)
        await load_demo_organisations(db.uow())
        await load_demo_users(db.uow())
        await set_demo_passwords(db.uow())
        await load_demo_white_list(db)
        return await load_demo(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    summary = asyncio.run(build_demo(f"sqlite+aiosqlite:///{path}"))
    assert "containers" in summary, summary
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """A private copy of the demo database (the WAL is checkpointed into the file when the loader closes)."""
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    return f"sqlite+aiosqlite:///{path}"


class Browser:
    """A test client with a cookie jar, and the steps a person takes in the pages."""

    def __init__(self, client: AsyncTestClient[Any]) -> None:
        self.client = client

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, data=data, **kwargs)

    async def log_in(self, username: str, password: str = DEMO_PASSWORD, *, next_path: str = "") -> httpx.Response:
        form = await self.get("/login")
        nonce = CSRF_FIELD.search(form.text)
        assert nonce is not None, form.text
        data = {"username": username, "password": password, "csrf_token": nonce.group(1), "next": next_path}
        return await self.post("/login", data)

    async def csrf(self, path: str = "/dashboard/alerts") -> str:
        """The CSRF token a page's forms carry."""
        page = await self.get(path)
        found = CSRF_FIELD.search(page.text)
        assert found is not None, page.text[:500]
        return found.group(1)


async def _browser(url: str, web: WebSettings) -> AsyncIterator[Browser]:
    app_db = Database(Settings(database_url=url))
    async with AsyncTestClient(app=create_app(app_db, run_scheduler=False, web=web)) as client:
        yield Browser(client)


@pytest.fixture
def web_settings() -> WebSettings:
    return WebSettings()


@pytest.fixture
async def demo_browser(demo_url: str, web_settings: WebSettings) -> AsyncIterator[Browser]:
    """The app on a copy of the demo, as a browser with no cookies yet."""
    async for browser in _browser(demo_url, web_settings):
        yield browser
