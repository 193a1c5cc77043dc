"""Users and tokens over HTTP: administrators create users and mint or revoke tokens; nobody else does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from ledger.accounts import token_digest
from ledger.tables import ApiToken
from tests.routes.conftest import Api, assert_problem
from tests.routes.world import TONGXING


def officer(**change: Any) -> dict[str, Any]:
    return {
        "username": "liangping.officer",
        "display_name": "周敏",
        "org_uscc": "11500155300319363B",
        "role": "regulator",
        "jurisdiction": "500155",
        **change,
    }


async def test_admin_creates_a_user_mints_a_token_and_the_user_gets_in(api: Api) -> None:
    created = await api.post("/api/v1/users", user="admin", json=officer())
    assert created.status_code == 201, created.text
    assert created.json()["org_name"] == "重庆市梁平区生态环境局" and created.json()["jurisdiction"] == "500155"
    assert_problem(await api.post("/api/v1/users", user="admin", json=officer()), 409, "conflict", "username")

    minted = await api.post("/api/v1/users/liangping.officer/tokens", user="admin", json={"days": 7, "label": "laptop"})
    assert minted.status_code == 201
    issued = minted.json()
    assert issued["token"].startswith("wl_") and len(issued["token"]) == 46
    me = await api.get("/api/v1/me", user=None, token=issued["token"])
    assert me.status_code == 200 and me.json()["username"] == "liangping.officer"

    # Only the hash is stored, and listing never shows the secret.
    async with api.db.uow() as uow:
        stored = (await uow.session.execute(select(ApiToken).where(col(ApiToken.id) == issued["id"]))).scalar_one()
        assert stored.token_sha256 == token_digest(issued["token"]) and issued["token"] not in stored.model_dump_json()
    [listed] = (await api.get("/api/v1/users/liangping.officer/tokens", user="admin")).json()
    assert listed["label"] == "laptop" and "token" not in listed
    assert listed["expires_at"] == issued["expires_at"]

    users = (await api.get("/api/v1/users", user="admin", params={"limit": 200})).json()
    assert "liangping.officer" in [u["username"] for u in users["items"]] and len(users["items"]) == 15
    assert (await api.get("/api/v1/users/liangping.officer", user="admin")).json()["role"] == "regulator"

    revoked = await api.post(f"/api/v1/tokens/{issued['id']}/revoke", user="admin")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert_problem(
        await api.get("/api/v1/me", user=None, token=issued["token"]), 401, "unauthenticated", "authorization"
    )


async def test_user_fields_are_checked_against_each_other(api: Api) -> None:
    url = "/api/v1/users"
    cases: list[tuple[dict[str, Any], str, str]] = [
        (officer(jurisdiction=None), "invalid-input", "jurisdiction"),
        (officer(jurisdiction="500000"), "invalid-input", "jurisdiction"),  # wider than the Liangping bureau
        (officer(jurisdiction="500199"), "invalid-identifier", "jurisdiction"),
        (officer(role="system"), "invalid-input", "role"),
        (officer(role="superuser"), "invalid-input", "role"),
        (officer(role="generator", jurisdiction=None), "invalid-input", "org_uscc"),  # a bureau is no generator
        (officer(role="plant_operator", org_uscc=TONGXING), "invalid-input", "jurisdiction"),
        (officer(role="transporter", org_uscc=None, jurisdiction=None), "invalid-input", "org_uscc"),
        (officer(org_uscc="11500155300319363C"), "invalid-identifier", "org_uscc"),
        (officer(username="A b"), "invalid-input", "username"),
    ]
    for body, type_, field in cases:
        assert_problem(await api.post(url, user="admin", json=body), 422, type_, field)
    assert (await api.get("/api/v1/users", user="admin", params={"limit": 200})).json()["items"].__len__() == 14


async def test_only_administrators_manage_users_and_tokens(api: Api) -> None:
    for user in ("cq.regulator", "yuzhong.hospital", "tongxing.operator"):
        assert_problem(await api.post("/api/v1/users", user=user, json=officer()), 403, "forbidden", None)
        assert_problem(await api.get("/api/v1/users", user=user), 403, "forbidden", None)
        assert_problem(await api.get("/api/v1/users/admin", user=user), 403, "forbidden", None)
        assert_problem(await api.post("/api/v1/users/admin/tokens", user=user, json={}), 403, "forbidden", None)
        assert_problem(await api.get("/api/v1/users/admin/tokens", user=user), 403, "forbidden", None)
    assert_problem(await api.get("/api/v1/users/nobody", user="admin"), 404, "not-found", "username")
    assert_problem(
        await api.post("/api/v1/users/admin/tokens", user="admin", json={"days": 400}), 400, "invalid-request", "days"
    )


async def test_someone_elses_token_is_not_found(api: Api) -> None:
    await api.token("admin")
    [admins] = (await api.get("/api/v1/me/tokens", user="admin")).json()
    body = assert_problem(
        await api.post(f"/api/v1/tokens/{admins['id']}/revoke", user="cq.regulator"), 404, "not-found", "token_id"
    )
    missing = assert_problem(
        await api.post("/api/v1/tokens/999999/revoke", user="cq.regulator"), 404, "not-found", "token_id"
    )
    assert body["detail"].replace(str(admins["id"]), "N") == missing["detail"].replace("999999", "N")
    assert (await api.get("/api/v1/me", user="admin")).status_code == 200
