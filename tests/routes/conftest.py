"""API tests: the real app (Litestar's test client) over the per-test database of tests/conftest.py.

The app gets its own :class:`Database` on the same URL and clock: Litestar's test client runs the app on an event
loop of its own (a portal thread), and an engine's connections belong to the loop that opened them. The app's
lifespan disposes its engine on shutdown; the test's engine is the ``db`` fixture's, disposed by that fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from ledger.accounts import issue_token, load_demo_users
from ledger.unit_of_work import Database
from routes.app import create_app
from routes.problems import PROBLEM_BASE, PROBLEM_JSON


class Api:
    """The test client with a token per demo user, minted on first use."""

    def __init__(self, client: AsyncTestClient[Any], db: Database) -> None:
        self.client = client
        self.db = db
        self._tokens: dict[str, str] = {}

    async def token(self, username: str) -> str:
        if username not in self._tokens:
            issued = await issue_token(self.db.uow(), username, timedelta(days=30), "tests")
            self._tokens[username] = issued.token
        return self._tokens[username]

    async def request(
        self, method: str, path: str, *, user: str | None, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        secret = token if token is not None else (await self.token(user) if user is not None else None)
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, *, user: str | None, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, user=user, **kwargs)

    async def post(self, path: str, *, user: str | None, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, user=user, **kwargs)


@pytest.fixture
async def api(db: Database) -> AsyncIterator[Api]:
    await load_demo_users(db.uow())
    app_db = Database(db.settings, clock=db.clock, catalogue=db.catalogue)
    async with AsyncTestClient(app=create_app(app_db, run_scheduler=False)) as client:
        yield Api(client, db)


def assert_problem(response: httpx.Response, status: int, type_: str, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with a stable type, the status, a human detail and (where given) the field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM_BASE + type_, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert body.get("field") == field, body
    return body
