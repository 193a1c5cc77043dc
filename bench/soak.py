"""Soak: ten minutes of scans at half the measured maximum rate; no errors, memory flat.

    python -m bench.soak [--minutes 10] [--rate R]

The maximum is measured first (wrk, 32 connections, a few seconds on real receive scans) unless ``--rate`` is
given; the soak then runs at half of it from this process, paced (each request has its moment, at most 64 in
flight), against the real server (uvicorn, one worker) on a throwaway PostgreSQL database. Each container is
received, then disposed of (Y10): two real ledger steps per prepared container. The server's resident memory is
sampled every 5 s. Pass: no error answer, and the memory of the second half grows by less than 5 %.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    create_database,
    drop_database,
    machine,
    mint_tokens,
    pg_url_from_env,
    prepare_ledger,
    rss_kb,
    run_wrk,
    uvicorn_server,
)
from bench.scan_data import PLANT_USER, Receivable, prepare_receivables, write_items

LEDGER_APP = "bench.baseline_app:wasteledger_app"
IN_FLIGHT = 64
SAMPLE_EVERY_S = 5.0
MEMORY_GROWTH_LIMIT = 0.05


def _bodies(item: Receivable) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    return [
        {
            "scan_id": str(uuid.uuid4()),
            "text": item.code,
            "action": "receive",
            "shipment": item.shipment,
            "weight_kg": item.weight_kg,
            "scanned_at": now,
        },
        {"scan_id": str(uuid.uuid4()), "text": item.code, "action": "dispose", "method": "Y10", "scanned_at": now},
    ]


async def _soak(
    base_url: str, token: str, pid: int, items: list[Receivable], rate: float, seconds: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    memory: list[tuple[float, int]] = []
    sent = 0
    semaphore = asyncio.Semaphore(IN_FLIGHT)
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)

    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30, limits=limits
    ) as http:

        async def send_pair(item: Receivable) -> None:
            # Receive, then dispose: the second only makes sense once the first is answered.
            for body in _bodies(item):
                t0 = time.perf_counter()
                try:
                    answer = await http.post("/api/v1/scans", json=body)
                    if answer.status_code != 200:
                        key = f"{answer.status_code} {answer.json().get('type', '').rsplit('/', 1)[-1]}"
                        errors[key] = errors.get(key, 0) + 1
                        return
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    return
                finally:
                    latencies.append((time.perf_counter() - t0) * 1000)

        async def sampler() -> None:
            while time.perf_counter() - started < seconds:
                memory.append((time.perf_counter() - started, rss_kb(pid)))
                await asyncio.sleep(SAMPLE_EVERY_S)
            memory.append((time.perf_counter() - started, rss_kb(pid)))

        async def paced(item: Receivable, due: float) -> None:
            await asyncio.sleep(max(0.0, due - (time.perf_counter() - started)))
            async with semaphore:
                await send_pair(item)

        sampling = asyncio.create_task(sampler())
        pairs_per_s = rate / 2
        tasks = []
        for index, item in enumerate(items):
            due = index / pairs_per_s
            if due >= seconds:
                break
            tasks.append(asyncio.create_task(paced(item, due)))
            sent += 2
            if len(tasks) % 500 == 0:
                await asyncio.sleep(0)  # let early requests start while the schedule is built
        await asyncio.gather(*tasks)
        await sampling
    elapsed = time.perf_counter() - started
    half = [kb for t, kb in memory if t >= seconds / 2]
    latencies.sort()
    return {
        "requests": len(latencies),
        "planned": sent,
        "seconds": round(elapsed, 1),
        "achieved_req_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None,
        "rss_start_mib": round(memory[0][1] / 1024, 1),
        "rss_half_mib": round(half[0] / 1024, 1),
        "rss_end_mib": round(memory[-1][1] / 1024, 1),
        "rss_max_mib": round(max(kb for _, kb in memory) / 1024, 1),
        "second_half_growth": round(half[-1] / half[0] - 1, 4),
        "rss_samples_mib": [round(kb / 1024, 1) for _, kb in memory],
    }


def run(minutes: float = 10.0, rate: float | None = None) -> dict[str, Any]:
    base = pg_url_from_env()
    name = f"wl_bench_soak_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(create_database(base, name))
    logs = Path(tempfile.mkdtemp(prefix="wl-soak-"))
    seconds = minutes * 60
    figures: dict[str, Any] = {"machine": machine(), "minutes": minutes}
    try:
        asyncio.run(prepare_ledger(url))
        token = asyncio.run(mint_tokens(url, [PLANT_USER]))[PLANT_USER]
        if rate is None:
            probe_items = asyncio.run(prepare_receivables(url, 1500, seed=7))
            with uvicorn_server(LEDGER_APP, url, logs / "probe.log").start() as server:
                probe = run_wrk(
                    server.base_url + "/api/v1/scans",
                    write_items(probe_items, logs / "probe.txt"),
                    token=token,
                    seconds=5,
                )
            figures["measured_max_req_per_s"] = round(probe.rate, 1)
            rate = probe.rate / 2
        figures["rate_req_per_s"] = round(rate, 1)
        started = time.perf_counter()
        items = asyncio.run(prepare_receivables(url, int(rate / 2 * seconds * 1.05) + 50, seed=11))
        figures["prepared_containers"] = len(items)
        figures["prepare_s"] = round(time.perf_counter() - started, 1)
        with uvicorn_server(LEDGER_APP, url, logs / "soak.log").start() as server:
            figures.update(asyncio.run(_soak(server.base_url, token, server.pid, items, rate, seconds)))
            figures["server_log_tracebacks"] = server.log_text().count("Traceback")
    finally:
        asyncio.run(drop_database(base, name))
    figures["ok"] = (
        not figures.get("errors")
        and figures.get("server_log_tracebacks", 1) == 0
        and figures.get("second_half_growth", 1.0) < MEMORY_GROWTH_LIMIT
    )
    return figures


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    ok = {True: "pass", False: "**MISSED**"}
    return [
        ("measured maximum (wrk, 32 connections, 5 s)", f"{figures.get('measured_max_req_per_s', '—')} req/s", "", ""),
        (
            f"soak: {figures['minutes']:g} min of receive + dispose scans",
            f"{figures['achieved_req_per_s']} req/s of {figures['rate_req_per_s']} planned, "
            f"{figures['requests']:,} requests, p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms",
            "half the maximum",
            "",
        ),
        (
            "  error answers",
            str(sum(figures["errors"].values())) + (f" {figures['errors']}" if figures["errors"] else ""),
            "0",
            ok[not figures["errors"]],
        ),
        (
            "  server RSS: start / half-time / end / max",
            f"{figures['rss_start_mib']} / {figures['rss_half_mib']} / {figures['rss_end_mib']} /"
            f" {figures['rss_max_mib']} MiB",
            "",
            "",
        ),
        (
            "  RSS growth over the second half",
            f"{figures['second_half_growth']:.1%}",
            f"< {MEMORY_GROWTH_LIMIT:.0%}",
            ok[figures["second_half_growth"] < MEMORY_GROWTH_LIMIT],
        ),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, help="requests per second (default: half the measured maximum)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    figures = run(args.minutes, args.rate)
    for name, value, target, verdict in rows(figures):
        print(f"{name:<48} {value:<70} {target:<16} {verdict}")
    if not args.no_docs:
        from bench.report import SOAK, write_sections

        command = "python -m bench.soak" + (" " + " ".join(argv) if argv else "")
        write_sections({SOAK: (command, figures)})
    return figures


if __name__ == "__main__":
    main()
