"""``wasteledger`` command line: the same service functions the HTTP routes and the jobs call."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence

from ledger.config import Settings
from ledger.errors import LedgerError
from ledger.integrity import create_checkpoint, rebuild_container_projection, verify_ledger
from ledger.migrate import migrate
from ledger.reference import load_demo_organisations, load_demo_white_list
from ledger.unit_of_work import Database

Command = Callable[[Database, argparse.Namespace], Awaitable[int]]


async def cmd_migrate(db: Database, _: argparse.Namespace) -> int:
    await migrate(db.engine)
    print(f"schema up to date ({db.dialect})")
    return 0


async def cmd_load_fixtures(db: Database, args: argparse.Namespace) -> int:
    from wasteledger.demo import load_demo

    if not args.demo:
        print("reference data (catalogue, divisions, methods) is read from fixtures/ directly; nothing to load")
        return 0
    result = await load_demo_organisations(db.uow())
    print(f"demo organisations: {result.organisations} added, of which {result.plants} plants")
    print(f"demo white-list entries: {await load_demo_white_list(db)} added")
    summary = await load_demo(db)
    print(summary)
    return 0


async def cmd_verify(db: Database, _: argparse.Namespace) -> int:
    report = await verify_ledger(db.uow())
    print(f"checked {report.events} events in {report.streams} streams and {report.checkpoints} checkpoints")
    if report.ok:
        print("ledger verifies")
        return 0
    first = report.first_problem
    print(f"LEDGER DOES NOT VERIFY: {len(report.problems)} problem(s); first bad: {first}", file=sys.stderr)
    for problem in sorted(report.problems, key=lambda p: p.seq)[:20]:
        print(f"  {problem}", file=sys.stderr)
    return 1


async def cmd_rebuild(db: Database, _: argparse.Namespace) -> int:
    count = await rebuild_container_projection(db.uow())
    print(f"rebuilt the container projection: {count} containers")
    return 0


async def cmd_checkpoint(db: Database, _: argparse.Namespace) -> int:
    checkpoint = await create_checkpoint(db.uow())
    if checkpoint is None:
        print("nothing new to seal")
    else:
        print(f"checkpoint {checkpoint.id}: events {checkpoint.first_seq}..{checkpoint.last_seq} {checkpoint.hash}")
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from routes.app import create_app

    settings = Settings.from_env()
    app = create_app(Database(settings), run_scheduler=not args.no_scheduler)
    print(f"wasteledger on http://{args.host}:{args.port}/  (API docs: http://{args.host}:{args.port}/schema)")
    print(f"database: {settings.database_url}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "migrate": ("create or upgrade the schema", cmd_migrate),
    "load-fixtures": ("load reference and (with --demo) demo data", cmd_load_fixtures),
    "verify": ("recompute every hash and checkpoint; exit 1 naming the first bad event", cmd_verify),
    "rebuild-projections": ("rebuild the container projection from the event log", cmd_rebuild),
    "checkpoint": ("seal the events recorded since the last checkpoint", cmd_checkpoint),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="wasteledger", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if name == "load-fixtures":
            command.add_argument("--demo", action="store_true", help="also load the demo organisations and data")
    run = sub.add_parser("serve", help="run the HTTP server and, unless --no-scheduler, its scheduler")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--no-scheduler", action="store_true", help="run the jobs in their own process instead")
    return top


async def run_command(command: Command, args: argparse.Namespace) -> int:
    db = Database(Settings.from_env())
    try:
        return await command(db, args)
    finally:
        await db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    try:
        return asyncio.run(run_command(COMMANDS[args.command][1], args))
    except LedgerError as exc:
        print(f"error: {exc.message}" + (f" (field: {exc.field})" if exc.field else ""), file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
