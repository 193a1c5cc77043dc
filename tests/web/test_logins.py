"""Browser logins in the ledger: Argon2 hashes, lockout after five wrong passwords, sessions that end at logout
or lockout, every attempt recorded. On SQLite and PostgreSQL, with the fake clock (15 minutes pass in no time)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from ledger.accounts import Unauthenticated, load_demo_users
from ledger.actors import Role
from ledger.errors import Forbidden, InvalidInput
from ledger.logins import (
    DEMO_PASSWORD,
    LOCKOUT,
    MAX_FAILURES,
    LockedOut,
    LoginFailed,
    log_in,
    log_out,
    login_attempts,
    session_actor,
    set_demo_passwords,
    set_password,
)
from ledger.tables import User, WebSession
from ledger.unit_of_work import Database
from tests.conftest import FakeClock
from tests.routes.world import hospital_a


@pytest.fixture
async def users(db: Database) -> Database:
    await load_demo_users(db.uow())
    assert await set_demo_passwords(db.uow()) == 14
    return db


async def test_demo_password_opens_a_session_of_the_right_actor(users: Database) -> None:
    issued = await log_in(users.uow(), "Wanzhou.Regulator ", DEMO_PASSWORD, client="10.0.0.7")
    assert (issued.actor.user, issued.actor.role, issued.actor.jurisdiction) == (
        "wanzhou.regulator",
        Role.REGULATOR,
        "500101",
    )
    assert await session_actor(users.uow(), issued.token) == issued.actor
    async with users.uow() as uow:
        digest = (await uow.session.execute(select(col(WebSession.token_sha256)))).scalar_one()
        hashed = (
            await uow.session.execute(select(col(User.password_hash)).where(col(User.username) == "wanzhou.regulator"))
        ).scalar_one()
    # Only the SHA-256 of the session secret is kept, and the password only as an Argon2id hash.
    assert issued.token not in digest and len(digest) == 64
    assert hashed is not None and hashed.startswith("$argon2id$") and DEMO_PASSWORD not in hashed
    assert (await login_attempts(users.uow(), "wanzhou.regulator"))[0]["outcome"] == "ok"


async def test_setting_demo_passwords_again_changes_nothing(users: Database) -> None:
    assert await set_demo_passwords(users.uow()) == 0


async def test_wrong_password_and_unknown_user_get_the_same_answer(users: Database) -> None:
    with pytest.raises(LoginFailed) as wrong:
        await log_in(users.uow(), "cq.regulator", "not-the-password")
    with pytest.raises(LoginFailed) as unknown:
        await log_in(users.uow(), "nobody.here", "not-the-password")
    assert wrong.value.message == unknown.value.message == "wrong username or password"
    assert [a["outcome"] for a in await login_attempts(users.uow(), "nobody.here")] == ["unknown_user"]


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(users: Database, clock: FakeClock) -> None:
    open_session = await log_in(users.uow(), "beibei.regulator", DEMO_PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            await log_in(users.uow(), "beibei.regulator", "guess-guess-guess")
    with pytest.raises(LockedOut) as locked:
        await log_in(users.uow(), "beibei.regulator", "guess-guess-guess")
    assert locked.value.until == clock.now + LOCKOUT
    # Locked: even the right password is refused, and the session opened before the guessing has ended.
    with pytest.raises(LockedOut):
        await log_in(users.uow(), "beibei.regulator", DEMO_PASSWORD)
    with pytest.raises(Unauthenticated):
        await session_actor(users.uow(), open_session.token)
    clock.advance(minutes=14)
    with pytest.raises(LockedOut):
        await log_in(users.uow(), "beibei.regulator", DEMO_PASSWORD)
    clock.advance(minutes=1, seconds=1)
    assert (await log_in(users.uow(), "beibei.regulator", DEMO_PASSWORD)).actor.user == "beibei.regulator"
    outcomes = [a["outcome"] for a in await login_attempts(users.uow(), "beibei.regulator")]
    assert outcomes == ["ok", "locked", "locked", "lockout", *["wrong_password"] * 4, "ok"]


async def test_a_good_login_resets_the_count(users: Database) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            await log_in(users.uow(), "cq.regulator", "wrong-wrong-wrong")
    await log_in(users.uow(), "cq.regulator", DEMO_PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginFailed):
            await log_in(users.uow(), "cq.regulator", "wrong-wrong-wrong")
    await log_in(users.uow(), "cq.regulator", DEMO_PASSWORD)


async def test_racing_guesses_are_all_counted(users: Database) -> None:
    """Eight guesses at once: each is counted under the row lock, so the account ends up locked."""
    results = await asyncio.gather(
        *(log_in(users.uow(), "wushan.regulator", f"guess-{i:04d}-x") for i in range(8)), return_exceptions=True
    )
    assert all(isinstance(r, LoginFailed | LockedOut) for r in results), results
    assert any(isinstance(r, LockedOut) for r in results)
    with pytest.raises(LockedOut):
        await log_in(users.uow(), "wushan.regulator", DEMO_PASSWORD)


async def test_logout_ends_the_session_at_once(users: Database, clock: FakeClock) -> None:
    issued = await log_in(users.uow(), "cq.regulator", DEMO_PASSWORD)
    assert await log_out(users.uow(), issued.token)
    with pytest.raises(Unauthenticated):
        await session_actor(users.uow(), issued.token)
    assert not await log_out(users.uow(), issued.token)
    later = await log_in(users.uow(), "cq.regulator", DEMO_PASSWORD)
    clock.advance(hours=12, seconds=1)
    with pytest.raises(Unauthenticated, match="ended"):
        await session_actor(users.uow(), later.token)


async def test_passwords_are_set_by_administrators_and_lift_a_lockout(users: Database) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises((LoginFailed, LockedOut)):
            await log_in(users.uow(), "admin", "wrong-wrong-wrong")
    with pytest.raises(InvalidInput):
        await set_password(users.uow(), "admin", "short")
    with pytest.raises(Forbidden):
        await set_password(users.uow(), "admin", "a-new-long-password", hospital_a)
    await set_password(users.uow(), "admin", "a-new-long-password")
    assert (await log_in(users.uow(), "admin", "a-new-long-password")).actor.role == Role.ADMIN
    with pytest.raises(LoginFailed):
        await log_in(users.uow(), "admin", DEMO_PASSWORD)
    async with users.uow() as uow:
        sessions = (await uow.session.execute(select(func.count()).select_from(WebSession))).scalar_one()
    assert sessions == 1
