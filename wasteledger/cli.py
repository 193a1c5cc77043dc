"""``wasteledger`` command line: the same service functions the HTTP routes and the jobs call."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import ValidationError

from ledger.accounts import (
    DEMO_TOKEN_LABEL,
    DEMO_TOKEN_USERS,
    USER_ROLES,
    UserCreate,
    create_user,
    get_user,
    issue_token,
    load_demo_users,
    revoke_token,
    revoke_tokens_labelled,
)
from ledger.actors import SYSTEM
from ledger.config import Settings
from ledger.errors import LedgerError
from ledger.integrity import create_checkpoint, rebuild_container_projection, verify_ledger
from ledger.logins import DEMO_PASSWORD, LOCKOUT, MAX_FAILURES, set_demo_passwords, set_password
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
    print(f"demo users: {await load_demo_users(db.uow())} added")
    print(f"demo passwords: {await set_demo_passwords(db.uow())} set (see `wasteledger demo-logins`)")
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


async def cmd_create_user(db: Database, args: argparse.Namespace) -> int:
    command = UserCreate(
        username=args.username,
        role=args.role,
        org_uscc=args.org,
        jurisdiction=args.jurisdiction,
        display_name=args.name,
        email=args.email,
    )
    user = await create_user(db.uow(), command)
    print(f"user {user.username}: {user.role} for {user.org_uscc or 'no organisation'}", end="")
    print(f", jurisdiction {user.jurisdiction}" if user.jurisdiction else "")
    return 0


async def cmd_mint_token(db: Database, args: argparse.Namespace) -> int:
    issued = await issue_token(db.uow(), args.username, timedelta(days=args.days), args.label)
    print(f"token {issued.id} for {issued.username}, valid until {issued.expires_at.isoformat()}:")
    print(issued.token)
    print("It is shown only now; the ledger keeps its SHA-256 alone.", file=sys.stderr)
    return 0


async def cmd_revoke_token(db: Database, args: argparse.Namespace) -> int:
    token = await revoke_token(db.uow(), args.token_id)
    print(f"token {token.id} of {token.username} revoked at {token.revoked_at}")
    return 0


async def cmd_demo_tokens(db: Database, args: argparse.Namespace) -> int:
    """A fresh token for one demo user of each role; earlier demo tokens of those users stop working."""
    rows: list[tuple[str, str, str, str]] = []
    for username in DEMO_TOKEN_USERS:
        user = await get_user(db.uow(), username, SYSTEM)
        # Mint first, then retire the older ones: a failure halfway never leaves a user without a token.
        issued = await issue_token(db.uow(), username, timedelta(days=args.days), DEMO_TOKEN_LABEL)
        await revoke_tokens_labelled(db.uow(), username, DEMO_TOKEN_LABEL, keep=issued.id)
        role = user.role + (f" ({user.jurisdiction})" if user.jurisdiction else "")
        rows.append((role, username, user.org_name or "", issued.token))
    print(f"demo API tokens (valid {args.days} days; send as 'Authorization: Bearer <token>'):")
    rows.insert(0, ("role", "username", "organisation", "token"))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for role, username, org, token in rows:
        print(f"  {role:<{widths[0]}}  {username:<{widths[1]}}  {token}  {org}")
    return 0


#: The demo users worth logging in as at the dashboard: the city's regulator, two districts', an administrator.
DEMO_LOGINS = ("cq.regulator", "wanzhou.regulator", "beibei.regulator", "admin")


async def cmd_demo_logins(db: Database, args: argparse.Namespace) -> int:
    """Where the dashboard is and who can log in to it with the demo password."""
    print(f"dashboard: {args.url.rstrip('/')}/login   (password of every demo user: {DEMO_PASSWORD})")
    for username in DEMO_LOGINS:
        user = await get_user(db.uow(), username, SYSTEM)
        scope = f"{user.role} ({user.jurisdiction})" if user.jurisdiction else user.role
        print(f"  {username:<18} {scope:<20} {user.org_name or ''}")
    print(
        f"  {MAX_FAILURES} wrong passwords in a row lock an account for {int(LOCKOUT.total_seconds() // 60)} minutes;"
    )
    print("  `wasteledger set-password USERNAME` sets a real password (the demo one is for the demo only).")
    return 0


async def cmd_set_password(db: Database, args: argparse.Namespace) -> int:
    """Set a user's browser password, read from the terminal (twice) or from standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"new password for {args.username}: ")
        if getpass.getpass("again: ") != first:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    else:
        first = sys.stdin.readline().rstrip("\n")
    await set_password(db.uow(), args.username, first)
    print(f"password of {args.username} set; any lockout is lifted")
    return 0


async def cmd_run_job(db: Database, args: argparse.Namespace) -> int:
    """Run one job now (recorded in job_run like a scheduled run, under a slot of its own)."""
    from jobs.scheduler import run_named_job
    from jobs.settings import JobsSettings

    result = await run_named_job(db, args.job, JobsSettings.from_env(), slot=args.slot)
    print(f"{result.job} [{result.slot}]: {result.outcome} {result.counts or ''}{result.error}".rstrip())
    return 0 if result.outcome in ("ok", "skipped") else 1


async def cmd_jobs(db: Database, _: argparse.Namespace) -> int:
    """The scheduler as its own process (run the web servers with --no-scheduler)."""
    from jobs.scheduler import run_forever

    await run_forever(db)
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from routes.app import create_app

    settings = Settings.from_env()
    app = create_app(Database(settings), run_scheduler=not args.no_scheduler)
    print(
        f"wasteledger on http://{args.host}:{args.port}/  (dashboard: http://{args.host}:{args.port}/login,"
        f" API docs: http://{args.host}:{args.port}/schema)"
    )
    print(f"database: {settings.database_url}")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


async def cmd_print_labels(db: Database, args: argparse.Namespace) -> int:
    """A label sheet for a generator's containers that have no label yet, written to a PDF file."""
    from ledger.actors import SYSTEM
    from ledger.identifiers import validate_uscc
    from ledger.labelling import unlabelled_containers
    from wasteledger.printing import label_sheet_pdf

    codes = await unlabelled_containers(db.uow(), validate_uscc(args.generator, field="generator"))
    if not codes:
        print(f"{args.generator} has no unlabelled containers")
        return 0
    pdf = await label_sheet_pdf(db, codes, SYSTEM, sheet=args.sheet)
    output = Path(args.output or f"labels-{args.generator}-{db.clock():%Y%m%d%H%M%S}.pdf")
    await asyncio.to_thread(output.write_bytes, pdf)
    print(f"{len(codes)} labels ({args.sheet}) written to {output}")
    return 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "migrate": ("create or upgrade the schema", cmd_migrate),
    "load-fixtures": ("load reference and (with --demo) demo data", cmd_load_fixtures),
    "verify": ("recompute every hash and checkpoint; exit 1 naming the first bad event", cmd_verify),
    "rebuild-projections": ("rebuild the container projection from the event log", cmd_rebuild),
    "checkpoint": ("seal the events recorded since the last checkpoint", cmd_checkpoint),
    "create-user": ("create a user with a role (and, for regulators, a jurisdiction)", cmd_create_user),
    "mint-token": ("mint an API token for a user and print it (shown once)", cmd_mint_token),
    "revoke-token": ("revoke an API token by its id", cmd_revoke_token),
    "demo-tokens": ("mint fresh tokens for one demo user of each role and print them", cmd_demo_tokens),
    "demo-logins": ("print the dashboard's address and the demo users who can log in to it", cmd_demo_logins),
    "set-password": ("set a user's browser password (from the terminal or standard input)", cmd_set_password),
    "run-job": (
        "run one job now: checkpoint, daily_clearing, plant_load, deadlines, deliver_outbox, close_shipments",
        cmd_run_job,
    ),
    "jobs": ("run the scheduler on its own (until SIGTERM); each scheduled run happens once", cmd_jobs),
    "print-labels": ("print a label sheet for a generator's unlabelled containers", cmd_print_labels),
}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="wasteledger", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        if name == "load-fixtures":
            command.add_argument("--demo", action="store_true", help="also load the demo organisations and data")
        elif name == "create-user":
            command.add_argument("username")
            command.add_argument("--role", required=True, choices=[role.value for role in USER_ROLES])
            command.add_argument("--org", help="USCC of the organisation the user acts for")
            command.add_argument("--jurisdiction", help="regulators: 500000 (whole city) or a district code")
            command.add_argument("--name", default="", help="display name")
            command.add_argument("--email", default="")
        elif name == "mint-token":
            command.add_argument("username")
            command.add_argument("--days", type=int, default=30, help="validity in days (default 30, at most 366)")
            command.add_argument("--label", default="cli", help="what the token is for")
        elif name == "revoke-token":
            command.add_argument("token_id", type=int)
        elif name == "demo-tokens":
            command.add_argument("--days", type=int, default=30, help="validity in days (default 30)")
        elif name == "demo-logins":
            command.add_argument("--url", default="http://127.0.0.1:8000", help="where the server listens")
        elif name == "set-password":
            command.add_argument("username")
        elif name == "print-labels":
            command.add_argument("generator", help="USCC of the generating unit")
            command.add_argument("--sheet", choices=["a4", "thermal"], default="a4")
            command.add_argument("--output", help="PDF file to write (default: labels-<USCC>-<time>.pdf)")
        elif name == "run-job":
            command.add_argument("job", help="the job's name")
            command.add_argument("--slot", help="run as this slot (default: a manual slot of its own)")
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
    except ValidationError as exc:
        for error in exc.errors():
            print(f"error: {'.'.join(map(str, error['loc']))}: {error['msg']}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
