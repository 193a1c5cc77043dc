"""The command line, run in-process against the per-test database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.actors import SYSTEM
from ledger.config import Settings
from ledger.containers import register_container
from ledger.unit_of_work import Database
from tests.builders import registration
from wasteledger.cli import main

HOSPITAL = "12500103459578017X"


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("WASTELEDGER_DATABASE_URL", database_url)
    return database_url


def run(url: str, coroutine_factory: object) -> None:
    async def go() -> None:
        db = Database(Settings(database_url=url))
        try:
            await coroutine_factory(db)  # type: ignore[operator]
        finally:
            await db.dispose()

    asyncio.run(go())


async def _register_three(db: Database) -> None:
    for _ in range(3):
        await register_container(db.uow(), registration(HOSPITAL), SYSTEM)


async def _tamper(db: Database) -> None:
    async with db.engine.begin() as connection:
        if db.dialect == "postgresql":
            await connection.execute(text("ALTER TABLE ledger_event DISABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER IF EXISTS ledger_event_no_update"))
        seq = (await connection.execute(text(
            "SELECT max(seq) FROM ledger_event WHERE type = 'container.registered'"))).scalar_one()
        await connection.execute(text("UPDATE ledger_event SET payload = replace(payload, '5.25', '9.25') "
                                      "WHERE seq = :seq"), {"seq": seq})


def test_verify_passes_then_names_the_tampered_event(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(cli_db, _register_three)
    assert main(["checkpoint"]) == 0
    assert main(["verify"]) == 0
    assert "ledger verifies" in capsys.readouterr().out
    run(cli_db, _tamper)
    assert main(["verify"]) == 1
    err = capsys.readouterr().err
    assert "LEDGER DOES NOT VERIFY" in err and "first bad: event" in err and "altered" in err


def test_rebuild_and_print_labels(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(cli_db, _register_three)
    assert main(["rebuild-projections"]) == 0
    assert "containers" in capsys.readouterr().out
    output = tmp_path / "sheet.pdf"
    assert main(["print-labels", HOSPITAL, "--output", str(output)]) == 0
    assert output.read_bytes().startswith(b"%PDF")
    assert "3 labels" in capsys.readouterr().out
    assert main(["print-labels", HOSPITAL]) == 0
    assert "no unlabelled containers" in capsys.readouterr().out
    assert main(["print-labels", HOSPITAL[:-1] + "Y"]) == 2
    assert "fails the GB 32100 check" in capsys.readouterr().err
