"""Scans over HTTP against PostgreSQL, each figure against a baseline measured in the same run (issue 4 §5).

    python -m bench.http_scans [--quick] [--seconds 15] [--profile]

1. Single scans: ``POST /api/v1/scans`` (receive, each request a real container delivered to the plant and
   scanned once) on the real server (uvicorn, one worker), against a bare Litestar endpoint that validates the
   same body and inserts one row with asyncpg (bench/baseline_app.py, same uvicorn settings). Load: wrk, 2
   threads, 32 connections, from its own process. Targets: ≥ 0.35 of the baseline's req/s (aim 0.5), p99 ≤ 25 ms.
2. Batches: ``POST /api/v1/scans/batch`` of 1,000 receive scans, two clients at once; rows/s against raw asyncpg
   ``executemany`` of 1,000-row batches into the baseline's table. Target ≥ 0.25.
3. Where the time goes: the database round trips one scan costs (counted in-process: SQLAlchemy's events for
   the unit of work, asyncpg's query logger for the PostgreSQL statement path), and with ``--profile`` a py-spy
   sample of the server under load.

Both servers are warmed for two seconds before their timed run (the ledger's calibration run is its warm-up:
the same server instance then takes the timed load).

Every run uses a throwaway database on the PostgreSQL server of ``WASTELEDGER_BENCH_DATABASE_URL`` (or
``WASTELEDGER_TEST_DATABASE_URL``), dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench.baseline_app import INSERT, TABLE_DDL
from bench.harness import (
    create_database,
    drop_database,
    machine,
    mint_tokens,
    pg_url_from_env,
    prepare_ledger,
    run_wrk,
    uvicorn_server,
    wrk_available,
)
from bench.scan_data import PLANT_USER, Receivable, prepare_receivables, write_items
from ledger.accounts import PresentedToken
from ledger.config import Settings
from ledger.db import asyncpg_dsn
from ledger.scans import ScanIn, record_scan
from ledger.unit_of_work import Database

SINGLE_TARGET = 0.35
SINGLE_AIM = 0.5
P99_TARGET_MS = 25.0
BATCH_TARGET = 0.25
CONNECTIONS = 32
BATCH = 1000
BASELINE_APP = "bench.baseline_app:create_app"
LEDGER_APP = "bench.baseline_app:wasteledger_app"


def _scan_body(item: Receivable) -> dict[str, Any]:
    return {
        "scan_id": str(uuid.uuid4()),
        "text": item.code,
        "action": "receive",
        "shipment": item.shipment,
        "weight_kg": item.weight_kg,
        "scanned_at": datetime.now(UTC).isoformat(),
    }


async def _batches(base_url: str, token: str, items: Sequence[Receivable], clients: int) -> dict[str, Any]:
    """Send ``items`` as 1,000-scan batches from ``clients`` concurrent clients; rows recorded per second."""
    chunks = [list(items[i : i + BATCH]) for i in range(0, len(items), BATCH)]
    queue: asyncio.Queue[list[Receivable]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)
    recorded = failed = 0
    latencies: list[float] = []

    async def client() -> None:
        nonlocal recorded, failed
        async with httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
        ) as http:
            while not queue.empty():
                chunk = queue.get_nowait()
                body = {"scans": [_scan_body(item) for item in chunk]}
                started = time.perf_counter()
                answer = await http.post("/api/v1/scans/batch", json=body)
                latencies.append(time.perf_counter() - started)
                answer.raise_for_status()
                recorded += answer.json()["recorded"]
                failed += answer.json()["failed"]

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - started
    return {
        "batches": len(chunks),
        "clients": clients,
        "recorded": recorded,
        "failed": failed,
        "seconds": round(seconds, 2),
        "rows_per_s": round(recorded / seconds, 1),
        "batch_s_max": round(max(latencies), 2),
    }


async def _executemany(url: str, batches: int) -> dict[str, Any]:
    """Raw asyncpg: ``batches`` × 1,000 scan-shaped rows, one executemany (one transaction) each."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(TABLE_DDL)
        now = datetime.now(UTC)
        started = time.perf_counter()
        for _ in range(batches):
            rows = [
                (uuid.uuid4(), "12500103459578017X8410010120261204001", "receive", "20265001000001", 5000, now)
                for _ in range(BATCH)
            ]
            async with connection.transaction():
                await connection.executemany(INSERT, rows)
        seconds = time.perf_counter() - started
        return {"rows": batches * BATCH, "seconds": round(seconds, 3), "rows_per_s": round(batches * BATCH / seconds)}
    finally:
        await connection.close()


async def round_trips(url: str, items: Sequence[Receivable]) -> dict[str, Any]:
    """What one scan sent with a bearer token costs the database, one at a time, counted in-process: through the
    unit of work statements, BEGINs, COMMITs, ROLLBACKs and pool check-outs (each a round trip, the check-out
    one because of ``pool_pre_ping``); through the statement path, asyncpg's statements."""
    db = Database(Settings(database_url=url))
    counts: collections.Counter[str] = collections.Counter()
    engine = db.engine.sync_engine

    def count(name: str) -> Any:
        def listener(*_: Any, **__: Any) -> None:
            counts[name] += 1

        return listener

    event.listen(engine, "before_cursor_execute", count("statements"))
    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, count(name))
    event.listen(engine.pool, "checkout", count("checkouts"))
    statement_connection = db.statement_connection
    count_statement = count("asyncpg statements")

    @contextlib.asynccontextmanager
    async def counted_connection() -> AsyncIterator[Any]:
        async with statement_connection() as connection:
            connection.add_query_logger(count_statement)
            try:
                yield connection
            finally:
                connection.remove_query_logger(count_statement)

    db.statement_connection = counted_connection  # type: ignore[method-assign]
    token = PresentedToken.of((await mint_tokens(url, [PLANT_USER], "round trips"))[PLANT_USER])
    try:
        # Warm the prepared-statement caches first, then count.
        for item in items[:5]:
            await record_scan(db, ScanIn.model_validate(_scan_body(item)), token)
        counts.clear()
        measured = items[5:]
        started = time.perf_counter()
        for item in measured:
            await record_scan(db, ScanIn.model_validate(_scan_body(item)), token)
        seconds = time.perf_counter() - started
    finally:
        await db.dispose()
    per_scan = {name: round(n / len(measured), 2) for name, n in sorted(counts.items())}
    return {
        "per_scan": per_scan,
        "round_trips_per_scan": round(sum(counts.values()) / len(measured), 1),
        "sequential_ms_per_scan": round(seconds / len(measured) * 1000, 2),
    }


def _py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return found if Path(found).exists() else None


def top_frames(raw: Path, n: int = 12) -> dict[str, list[tuple[str, float]]]:
    """The functions with the most samples in a py-spy raw (collapsed) profile: inclusive and self, in %."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        weight = int(samples)
        total += weight
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += weight
        own[frames[-1]] += weight
    interesting = [
        (f, round(100 * c / total, 1))
        for f, c in inclusive.most_common()
        if "ledger/" in f or "routes/" in f or "sqlalchemy" in f or "asyncpg" in f
    ]
    return {
        "inclusive": interesting[:n],
        "self": [(f, round(100 * c / total, 1)) for f, c in own.most_common(n)],
    }


async def _prepare(url: str, n: int) -> list[Receivable]:
    return await prepare_receivables(url, n, concurrency=8)


def run(*, quick: bool = False, seconds: float | None = None, profile: bool = False) -> dict[str, Any]:
    """Run every measurement on a throwaway database; return the figures."""
    if not wrk_available():
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    duration = seconds or (3.0 if quick else 15.0)
    base = pg_url_from_env()
    name = f"wl_bench_scans_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(create_database(base, name))
    logs = Path(tempfile.mkdtemp(prefix="wl-bench-"))
    figures: dict[str, Any] = {"machine": machine(), "seconds": duration, "connections": CONNECTIONS}
    try:
        asyncio.run(prepare_ledger(url))
        token = asyncio.run(mint_tokens(url, [PLANT_USER]))[PLANT_USER]

        with uvicorn_server(BASELINE_APP, url, logs / "baseline.log").start() as baseline:
            run_wrk(baseline.base_url + "/api/v1/scans", Path("/dev/null"), seconds=2, mode="baseline")  # warm-up
            figures["baseline"] = run_wrk(
                baseline.base_url + "/api/v1/scans", Path("/dev/null"), seconds=duration, mode="baseline"
            ).as_dict()

        with uvicorn_server(LEDGER_APP, url, logs / "ledger.log").start() as ledger:
            # Calibrate (and warm up) on a first slice, then prepare what the timed run needs: each container
            # is scanned once.
            started = time.perf_counter()
            calibration = asyncio.run(_prepare(url, 600 if quick else 6000))
            probe = run_wrk(
                ledger.base_url + "/api/v1/scans",
                write_items(calibration, logs / "calibration.txt"),
                token=token,
                seconds=2,
            )
            if probe.exhausted:
                raise RuntimeError("the calibration ran out of containers: prepare more")
            needed = int(probe.rate * duration * 1.6) + 200
            items = asyncio.run(_prepare(url, needed))
            figures["prepared_containers"] = len(calibration) + len(items)
            figures["prepare_s"] = round(time.perf_counter() - started, 1)
            items_file = write_items(items, logs / "items.txt")
            spy = None
            if profile and _py_spy() is not None:
                spy = subprocess.Popen(
                    [
                        str(_py_spy()),
                        "record",
                        "-p",
                        str(ledger.pid),
                        "-d",
                        str(int(duration)),
                        "-r",
                        "100",
                        "-f",
                        "raw",
                        "-o",
                        str(logs / "profile.txt"),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            result = run_wrk(ledger.base_url + "/api/v1/scans", items_file, token=token, seconds=duration)
            if spy is not None:
                spy.wait(timeout=duration + 30)
                figures["profile"] = top_frames(logs / "profile.txt")
            figures["ledger"] = result.as_dict()

            batch_items = asyncio.run(_prepare(url, (2 if quick else 4) * BATCH))
            figures["batch"] = asyncio.run(_batches(ledger.base_url, token, batch_items, clients=2))
        figures["executemany"] = asyncio.run(_executemany(url, 10 if quick else 50))
        figures["round_trips"] = asyncio.run(round_trips(url, asyncio.run(_prepare(url, 60))))
    finally:
        asyncio.run(drop_database(base, name))
        shutil.rmtree(logs, ignore_errors=True)

    ledger_rate, baseline_rate = figures["ledger"]["req_per_s"], figures["baseline"]["req_per_s"]
    figures["single_ratio"] = round(ledger_rate / baseline_rate, 3)
    figures["single_ok"] = figures["single_ratio"] >= SINGLE_TARGET
    figures["p99_ok"] = figures["ledger"]["p99_ms"] <= P99_TARGET_MS
    figures["valid_run"] = figures["ledger"]["non_2xx"] == 0 and figures["ledger"]["socket_errors"] == 0
    figures["batch_ratio"] = round(figures["batch"]["rows_per_s"] / figures["executemany"]["rows_per_s"], 4)
    figures["batch_ok"] = figures["batch_ratio"] >= BATCH_TARGET
    return figures


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, verdict) lines for docs/benchmarks.md."""
    base, ledger, batch = figures["baseline"], figures["ledger"], figures["batch"]
    ok = {True: "pass", False: "**MISSED**"}
    return [
        (
            "baseline: bare Litestar + asyncpg insert",
            f"{base['req_per_s']:,.0f} req/s, p99 {base['p99_ms']} ms",
            "",
            "",
        ),
        (
            "`POST /api/v1/scans` (receive), 32 connections",
            f"{ledger['req_per_s']:,.0f} req/s, p50 {ledger['p50_ms']} ms, p99 {ledger['p99_ms']} ms"
            + ("" if figures["valid_run"] else f" ({ledger['non_2xx']} non-2xx!)"),
            "",
            "",
        ),
        (
            "  single scans / baseline",
            f"{figures['single_ratio']:.3f}",
            f"≥ {SINGLE_TARGET} (aim {SINGLE_AIM})",
            ok[figures["single_ok"]],
        ),
        (
            "  p99 latency at 32 connections",
            f"{ledger['p99_ms']} ms",
            f"≤ {P99_TARGET_MS:.0f} ms",
            ok[figures["p99_ok"]],
        ),
        ("raw asyncpg executemany, 1,000-row batches", f"{figures['executemany']['rows_per_s']:,} rows/s", "", ""),
        (
            f"`POST /api/v1/scans/batch`, {BATCH:,} scans, {batch['clients']} clients",
            f"{batch['rows_per_s']:,.0f} scans/s ({batch['recorded']:,} in {batch['seconds']} s)",
            "",
            "",
        ),
        ("  batch scans / executemany", f"{figures['batch_ratio']:.4f}", f"≥ {BATCH_TARGET}", ok[figures["batch_ok"]]),
        (
            "database round trips per authenticated scan",
            f"{figures['round_trips']['round_trips_per_scan']} ({json.dumps(figures['round_trips']['per_scan'])})",
            "",
            "",
        ),
        ("one scan at a time, in-process", f"{figures['round_trips']['sequential_ms_per_scan']} ms", "", ""),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.http_scans", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 s of load, small batches")
    parser.add_argument("--seconds", type=float, help="length of each wrk run (default 15, quick 3)")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy under load")
    args = parser.parse_args(argv)
    figures = run(quick=args.quick, seconds=args.seconds, profile=args.profile)
    for name, value, target, verdict in rows(figures):
        print(f"{name:<52} {value:<60} {target:<18} {verdict}")
    if "profile" in figures:
        print("where the server's time goes (py-spy, % of samples):")
        for frame, share in figures["profile"]["inclusive"]:
            print(f"  {share:5.1f}%  {frame}")
    return figures


if __name__ == "__main__":
    main()
