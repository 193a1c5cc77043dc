"""Users and tokens, below the HTTP layer: validation, hashing, expiry, revocation, demo users, CLI."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from ledger.accounts import (
    DEMO_TOKEN_USERS,
    TOKEN_PREFIX,
    Unauthenticated,
    UserCreate,
    authenticate,
    create_user,
    issue_token,
    load_demo_users,
    mint_token,
    revoke_token,
    token_digest,
)
from ledger.actors import Actor, Role
from ledger.config import Settings
from ledger.errors import Conflict, Forbidden, InvalidIdentifier, InvalidInput
from ledger.tables import ApiToken, User
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from wasteledger.cli import main

HOSPITAL = "12500103459578017X"
WANZHOU_BUREAU = "11500101458823965W"


def person(**change: Any) -> UserCreate:
    return UserCreate.model_validate(
        {"username": "nurse.li", "org_uscc": HOSPITAL, "role": "generator", "display_name": "李护士"} | change
    )


async def count(db: Database, table: type[User] | type[ApiToken]) -> int:
    async with db.uow() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_tokens_authenticate_until_they_expire(db: Database, clock: FakeClock) -> None:
    await create_user(db.uow(), person())
    token, expires = await mint_token(db.uow(), "nurse.li", timedelta(hours=8), "night shift")
    assert token.startswith(TOKEN_PREFIX) and expires == clock.now + timedelta(hours=8)
    async with db.uow() as uow:
        stored = (await uow.session.execute(select(col(ApiToken.token_sha256)))).scalars().all()
    assert stored == [token_digest(token)]  # the secret itself is nowhere in the database
    actor = await authenticate(db.uow(), token)
    assert actor == Actor(org=HOSPITAL, user="nurse.li", role=Role.GENERATOR, jurisdiction=None)
    clock.advance(hours=7, minutes=59)
    assert (await authenticate(db.uow(), token)).user == "nurse.li"
    clock.advance(minutes=1)
    with pytest.raises(Unauthenticated, match="expired"):
        await authenticate(db.uow(), token)


async def test_unknown_revoked_and_missing_tokens(db: Database) -> None:
    await create_user(db.uow(), person())
    issued = await issue_token(db.uow(), "nurse.li")
    for bad, message in [(None, "required"), ("", "required"), ("Bearer x", "start with"), ("wl_nope", "not known")]:
        with pytest.raises(Unauthenticated, match=message):
            await authenticate(db.uow(), bad)
    revoked = await revoke_token(db.uow(), issued.id)
    again = await revoke_token(db.uow(), issued.id)
    assert revoked.revoked_at is not None and again.revoked_at == revoked.revoked_at
    with pytest.raises(Unauthenticated, match="revoked"):
        await authenticate(db.uow(), issued.token)


async def test_token_lifetimes_are_bounded(db: Database) -> None:
    await create_user(db.uow(), person())
    for ttl in (timedelta(0), timedelta(days=367)):
        with pytest.raises(InvalidInput) as caught:
            await issue_token(db.uow(), "nurse.li", ttl)
        assert caught.value.field == "days"
    with pytest.raises(Forbidden):
        await issue_token(db.uow(), "nurse.li", actor=Actor(org=HOSPITAL, user="nurse.li", role=Role.GENERATOR))
    assert await count(db, ApiToken) == 0


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"username": "x"}, InvalidInput, "username"),
        ({"username": "Nurse Li"}, InvalidInput, "username"),
        ({"role": "system"}, InvalidInput, "role"),
        ({"org_uscc": None}, InvalidInput, "org_uscc"),
        ({"org_uscc": "12500103459578017Y"}, InvalidIdentifier, "org_uscc"),
        ({"org_uscc": "91500109MA5UXN1A40", "role": "transporter"}, InvalidInput, "org_uscc"),  # a clinic
        ({"jurisdiction": "500103"}, InvalidInput, "jurisdiction"),  # generators have none
        ({"role": "regulator", "org_uscc": WANZHOU_BUREAU}, InvalidInput, "jurisdiction"),  # regulators need one
        ({"role": "regulator", "org_uscc": WANZHOU_BUREAU, "jurisdiction": "500103"}, InvalidInput, "jurisdiction"),
        ({"role": "regulator", "org_uscc": WANZHOU_BUREAU, "jurisdiction": "5001"}, InvalidIdentifier, "jurisdiction"),
    ],
)
async def test_bad_users_are_refused_with_the_field(
    db: Database, change: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        await create_user(db.uow(), person(**change))
    assert caught.value.field == field  # type: ignore[attr-defined]
    assert await count(db, User) == 0


async def test_regulators_admins_and_duplicates(db: Database) -> None:
    officer = await create_user(
        db.uow(), person(username="wz.officer", role="regulator", org_uscc=WANZHOU_BUREAU, jurisdiction="500101")
    )
    assert officer.jurisdiction == "500101" and officer.org_name == "重庆市万州区生态环境局"
    root = await create_user(db.uow(), person(username="root", role="admin", org_uscc=None))
    assert root.org_uscc is None
    with pytest.raises(Conflict) as caught:
        await create_user(db.uow(), person(username="ROOT", role="admin", org_uscc=None))
    assert caught.value.field == "username"
    with pytest.raises(Forbidden):
        await create_user(db.uow(), person(username="sneaky"), Actor(org=HOSPITAL, user="x", role=Role.GENERATOR))
    assert await count(db, User) == 2


async def test_demo_users_load_once(db: Database) -> None:
    assert await load_demo_users(db.uow()) == 14
    assert await load_demo_users(db.uow()) == 0
    async with db.uow() as uow:
        rows = await uow.session.execute(select(col(User.username), col(User.role)))
        roles = {username: role for username, role in rows}
    assert {roles[name] for name in DEMO_TOKEN_USERS} == {
        "generator",
        "transporter",
        "plant_operator",
        "regulator",
        "admin",
    }


def test_cli_demo_tokens_replace_the_previous_ones(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASTELEDGER_DATABASE_URL", database_url)
    assert os.environ["WASTELEDGER_DATABASE_URL"] == database_url
    db = Database(Settings(database_url=database_url))

    async def setup() -> None:
        await load_demo_users(db.uow())
        await db.dispose()

    asyncio.run(setup())

    def tokens() -> dict[str, str]:
        assert main(["demo-tokens"]) == 0
        lines = [line.split() for line in capsys.readouterr().out.splitlines() if "wl_" in line]
        return {
            next(w for w in words if w in DEMO_TOKEN_USERS): next(w for w in words if w.startswith("wl_"))
            for words in lines
        }

    first = tokens()
    second = tokens()
    assert set(first) == set(second) == set(DEMO_TOKEN_USERS)

    async def check() -> None:
        try:
            for username in DEMO_TOKEN_USERS:
                assert (await authenticate(db.uow(), second[username])).user == username
                with pytest.raises(Unauthenticated, match="revoked"):
                    await authenticate(db.uow(), first[username])
        finally:
            await db.dispose()

    asyncio.run(check())
    assert main(["mint-token", "admin", "--days", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(TOKEN_PREFIX)
    assert main(["mint-token", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
