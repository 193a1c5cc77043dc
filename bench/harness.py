"""What the HTTP benchmarks and the reliability tests share: throwaway PostgreSQL databases, tokens, a real server
process, and wrk.

Everything runs against 127.0.0.1 only. The server is a separate process (never the test's or the load
generator's), so what is measured is the server, and what is killed in the crash test is a real process.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from ledger.accounts import issue_token, load_demo_users
from ledger.config import Settings
from ledger.db import asyncpg_dsn
from ledger.migrate import migrate
from ledger.reference import load_demo_organisations
from ledger.unit_of_work import Database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
HOST = "127.0.0.1"


def pg_url_from_env() -> str:
    """The PostgreSQL server the benchmarks may create databases on (they never touch existing ones)."""
    return (
        os.environ.get("WASTELEDGER_BENCH_DATABASE_URL")
        or os.environ.get("WASTELEDGER_TEST_DATABASE_URL")
        or DEFAULT_PG_URL
    )


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def create_database(url: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``url`` (dropped first if left over); returns its URL."""
    if not re.fullmatch(r"[a-z0-9_]{1,63}", name):
        raise ValueError(f"database name {name!r}: lower-case letters, digits and _ only")
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(url, name)


async def drop_database(url: str, name: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def prepare_ledger(url: str) -> None:
    """Migrate, then load the demo organisations (with their plants) and the demo users."""
    db = Database(Settings(database_url=url))
    try:
        await migrate(db.engine)
        await load_demo_organisations(db.uow())
        await load_demo_users(db.uow())
    finally:
        await db.dispose()


async def mint_tokens(url: str, usernames: Sequence[str], label: str = "bench") -> dict[str, str]:
    """A fresh one-day token per user (through the ledger, so only their hashes are stored)."""
    db = Database(Settings(database_url=url))
    try:
        return {name: (await issue_token(db.uow(), name, timedelta(days=1), label)).token for name in usernames}
    finally:
        await db.dispose()


@contextmanager
def throwaway_ledger(prefix: str, url: str | None = None) -> Iterator[str]:
    """A migrated ledger database with the demo organisations and users, dropped on the way out."""
    base = url or pg_url_from_env()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    ledger_url = asyncio.run(create_database(base, name))
    try:
        asyncio.run(prepare_ledger(ledger_url))
        yield ledger_url
    finally:
        asyncio.run(drop_database(base, name))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_kb(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


@dataclass
class Server:
    """A server process on 127.0.0.1; its output goes to ``log`` (a file, so a full pipe can never stall it)."""

    command: list[str]
    env: dict[str, str]
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, health_path: str = "/api/v1/health", timeout: float = 30.0) -> Server:
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_text()[-2000:]}")
            try:
                if httpx.get(self.base_url + health_path, timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout} s: {self.log_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, open transactions die with their connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def server_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WASTELEDGER_")}
    env.update({"WASTELEDGER_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    env.update(extra or {})
    return env


def wasteledger_server(database_url: str, log: Path, *, port: int | None = None) -> Server:
    """The real thing, as an operator starts it: ``wasteledger serve --no-scheduler``."""
    port = port or free_port()
    command = [sys.executable, "-m", "wasteledger", "serve", "--no-scheduler", "--host", HOST, "--port", str(port)]
    return Server(command, server_env(database_url), port, log)


def uvicorn_server(factory: str, database_url: str, log: Path, *, port: int | None = None) -> Server:
    """An app factory under uvicorn, one worker, no access log: the same settings for the ledger and the
    baseline, so that their ratio measures the application, not the server's configuration."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server(command, server_env(database_url), port, log)


# --- wrk ----------------------------------------------------------------------------------------------------

WRK_SCRIPT = Path(__file__).with_name("wrk_scans.lua")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    exhausted: int
    """Requests sent after the prepared list ran out (invalid on purpose, so counted in ``non_2xx``)."""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "req_per_s": round(self.rate, 1),
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
            "p50_ms": round(self.p50_ms, 2),
            "p90_ms": round(self.p90_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "exhausted": self.exhausted,
        }


def wrk_available() -> bool:
    return subprocess.run(["which", "wrk"], capture_output=True, check=False).returncode == 0


def run_wrk(
    url: str,
    items: Path,
    *,
    token: str = "",
    connections: int = 32,
    threads: int = 2,
    seconds: float = 10.0,
    mode: str = "receive",
) -> WrkResult:
    """wrk with the scan script: each request a fresh scan id, each item of ``items`` used once."""
    nonce = uuid.uuid4().hex[:8]
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        url,
        "--",
        str(items),
        str(threads),
        token,
        mode,
        nonce,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        non_2xx=data["status"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        exhausted=data["exhausted"],
    )


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), model)
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    return {
        "cpu": model,
        "nproc": nproc,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
