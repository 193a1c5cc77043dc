"""The command line's side of browser logins: the demo logins `make run` prints, and setting a password."""

from __future__ import annotations

import asyncio
import io

import pytest

from ledger.accounts import load_demo_users
from ledger.config import Settings
from ledger.logins import DEMO_PASSWORD, log_in
from ledger.unit_of_work import Database
from wasteledger.cli import main


async def _users(url: str) -> None:
    db = Database(Settings(database_url=url))
    try:
        await load_demo_users(db.uow())
    finally:
        await db.dispose()


async def _can_log_in(url: str, username: str, password: str) -> str:
    db = Database(Settings(database_url=url))
    try:
        return str((await log_in(db.uow(), username, password)).actor.user)
    finally:
        await db.dispose()


def test_demo_logins_and_set_password(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WASTELEDGER_DATABASE_URL", database_url)
    asyncio.run(_users(database_url))
    assert main(["demo-logins", "--url", "http://127.0.0.1:8000/"]) == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:8000/login   (password of every demo user: {DEMO_PASSWORD})" in out
    assert "cq.regulator" in out and "regulator (500101)" in out and "lock an account for 15 minutes" in out

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    assert main(["set-password", "wanzhou.regulator"]) == 0
    assert "password of wanzhou.regulator set" in capsys.readouterr().out
    assert asyncio.run(_can_log_in(database_url, "wanzhou.regulator", "correct horse battery")) == "wanzhou.regulator"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["set-password", "wanzhou.regulator"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
