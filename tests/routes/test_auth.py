"""Bearer tokens at the HTTP edge: who gets in, who gets a 401 and why; what stays public."""

from __future__ import annotations

import re

from litestar.routes import HTTPRoute
from sqlalchemy import update
from sqlmodel import col

from ledger.tables import User
from routes.app import create_app
from tests.conftest import FakeClock
from tests.routes.conftest import Api, assert_problem


async def test_health_and_schema_are_public(api: Api) -> None:
    health = await api.get("/api/v1/health", user=None)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    docs = await api.get("/schema", user=None)
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    schema = (await api.get("/schema/openapi.json", user=None)).json()
    assert schema["openapi"].startswith("3.1")
    assert schema["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["BearerToken"]["description"],
    }
    assert "/api/v1/containers/{code}" in schema["paths"]


async def test_every_other_route_needs_a_token(api: Api) -> None:
    """Secure by default: each route of the app, called without a token, is refused with 401."""
    app = create_app(api.db, run_scheduler=False)  # only inspected, never started
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/") or route.path == "/api/v1/health":
            continue
        path = re.sub(r"\{(\w+):int\}", "1", route.path)
        path = re.sub(r"\{(\w+):str\}", "x", path)
        for method in sorted(route.methods):
            if method in ("HEAD", "OPTIONS"):
                continue
            response = await api.request(method, path, user=None, json={})
            body = assert_problem(response, 401, "unauthenticated", "authorization")
            assert response.headers["www-authenticate"] == 'Bearer realm="wasteledger"', (method, path)
            assert "bearer token is required" in body["detail"]
            checked += 1
    assert checked >= 17


async def test_bad_tokens_are_refused_with_their_reason(api: Api, clock: FakeClock) -> None:
    assert_problem(
        await api.get("/api/v1/me", user=None, headers={"Authorization": "Basic abc"}),
        401,
        "unauthenticated",
        "authorization",
    )
    body = assert_problem(
        await api.get("/api/v1/me", user=None, token="not-ours"), 401, "unauthenticated", "authorization"
    )
    assert "start with 'wl_'" in body["detail"]
    body = assert_problem(
        await api.get("/api/v1/me", user=None, token="wl_" + "A" * 43), 401, "unauthenticated", "authorization"
    )
    assert body["detail"] == "the token is not known"

    token = await api.token("yuzhong.hospital")
    assert (await api.get("/api/v1/me", user=None, token=token)).status_code == 200
    clock.advance(days=30)  # minted for 30 days: the very end is already past
    body = assert_problem(await api.get("/api/v1/me", user=None, token=token), 401, "unauthenticated", "authorization")
    assert "expired" in body["detail"]


async def test_a_revoked_token_stops_working_at_once(api: Api) -> None:
    token = await api.token("wanzhou.hospital")
    [mine] = (await api.get("/api/v1/me/tokens", user="wanzhou.hospital")).json()
    assert "token" not in mine and "token_sha256" not in mine
    revoked = await api.post(f"/api/v1/tokens/{mine['id']}/revoke", user="wanzhou.hospital")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    body = assert_problem(await api.get("/api/v1/me", user=None, token=token), 401, "unauthenticated", "authorization")
    assert "revoked" in body["detail"]


async def test_a_deactivated_user_is_locked_out(api: Api) -> None:
    token = await api.token("central.transporter")
    async with api.db.uow() as uow:
        await uow.session.execute(update(User).where(col(User.username) == "central.transporter").values(active=False))
        await uow.commit()
    body = assert_problem(await api.get("/api/v1/me", user=None, token=token), 401, "unauthenticated", "authorization")
    assert "deactivated" in body["detail"]


async def test_me_tells_who_you_are(api: Api) -> None:
    me = (await api.get("/api/v1/me", user="wanzhou.regulator")).json()
    assert me["username"] == "wanzhou.regulator" and me["role"] == "regulator" and me["jurisdiction"] == "500101"
    assert me["org_uscc"] == "11500101458823965W" and me["org_name"] == "重庆市万州区生态环境局"
    assert "password_hash" not in me
