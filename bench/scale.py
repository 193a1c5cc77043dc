"""Dashboard and capacity API time against the size of the ledger: 100k, 1M and 10M events on PostgreSQL.

    python -m bench.scale [--events 100000,1000000,10000000] [--repeat 15] [--keep]

Each size is a fresh database filled by COPY with bench.daily_checks' generator (a hash-chained history with the
same daily volume at every size, so a bigger ledger is a longer history with the same open containers), the
demo users and a regulator's token. The real server (uvicorn, one worker) then answers the read endpoints a
dashboard polls, timed from a client process as the median of ``--repeat`` requests after two warm-ups. Target:
the largest size within 1.2× of the smallest for every endpoint (the cost follows the open containers and the
page, never the history).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.daily_checks import _fresh_database, fill
from bench.harness import drop_database, machine, mint_tokens, pg_url_from_env, uvicorn_server
from ledger.accounts import load_demo_users
from ledger.config import Settings
from ledger.unit_of_work import Database

#: Events per container in the generated history (registered, collected, received, disposed, and a share of
#: each manifest's events), measured on the generator: sizes are asked for in events.
EVENTS_PER_CONTAINER = 3.96
RATIO_TARGET = 1.2
REGULATOR = "cq.regulator"
ENDPOINTS = {
    "plant_load": "/api/v1/monitoring/plant-load",
    "clearing": "/api/v1/monitoring/clearing",
    "containers_page": "/api/v1/containers?limit=50",
    "open_containers_page": "/api/v1/containers?status=received&limit=50",
    "shipments_page": "/api/v1/shipments?limit=50",
}
LEDGER_APP = "bench.baseline_app:wasteledger_app"


async def _users_and_token(url: str) -> str:
    db = Database(Settings(database_url=url))
    try:
        await load_demo_users(db.uow())
    finally:
        await db.dispose()
    return (await mint_tokens(url, [REGULATOR]))[REGULATOR]


def _time(client: httpx.Client, path: str, repeat: int) -> dict[str, float]:
    for _ in range(2):
        client.get(path).raise_for_status()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"median_ms": round(statistics.median(timings), 2), "p90_ms": round(timings[int(0.9 * (repeat - 1))], 2)}


def run(events: list[int], repeat: int = 15, keep: bool = False) -> dict[str, Any]:
    base = pg_url_from_env()
    logs = Path(tempfile.mkdtemp(prefix="wl-scale-"))
    sizes: list[dict[str, Any]] = []
    for target in events:
        name = f"wl_bench_scale_{target}"
        containers = max(1000, round(target / EVENTS_PER_CONTAINER))
        print(f"== {target:,} events (~{containers:,} containers), database {name}", flush=True)
        url = asyncio.run(_fresh_database(base, name))
        try:
            written = asyncio.run(fill(url, containers))
            token = asyncio.run(_users_and_token(url))
            row: dict[str, Any] = {
                "target_events": target,
                "events": int(written["events"]),
                "containers": int(written["containers"]),
                "open": int(written["open"]),
                "fill_s": round(written["total_s"], 1),
            }
            with (
                uvicorn_server(LEDGER_APP, url, logs / f"server-{target}.log").start() as server,
                httpx.Client(
                    base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120
                ) as client,
            ):
                for key, path in ENDPOINTS.items():
                    row[key] = _time(client, path, repeat)
            print(
                f"   {row['events']:,} events, {row['open']:,} open, filled in {row['fill_s']} s: "
                + ", ".join(f"{k} {row[k]['median_ms']} ms" for k in ENDPOINTS),
                flush=True,
            )
            sizes.append(row)
        finally:
            if not keep:
                asyncio.run(drop_database(base, name))
    first, last = sizes[0], sizes[-1]
    ratios = {key: round(last[key]["median_ms"] / first[key]["median_ms"], 2) for key in ENDPOINTS}
    return {
        "machine": machine(),
        "sizes": sizes,
        "ratios": ratios,
        "ratio_of": f"{last['events']:,} / {first['events']:,} events",
        "ok": {key: ratio <= RATIO_TARGET for key, ratio in ratios.items()},
    }


def rows(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    """A table: endpoint, the median at each size, the ratio, the target, the verdict."""
    out: list[tuple[str, ...]] = [
        ("endpoint", *(f"{s['events']:,} events" for s in figures["sizes"]), "largest / smallest", "target", ""),
    ]
    for key, path in ENDPOINTS.items():
        out.append(
            (
                f"`GET {path}`",
                *(f"{s[key]['median_ms']} ms" for s in figures["sizes"]),
                f"{figures['ratios'][key]:.2f}×",
                f"≤ {RATIO_TARGET}×",
                "pass" if figures["ok"][key] else "**MISSED**",
            )
        )
    out.append(
        (
            "containers / open / fill time",
            *(f"{s['containers']:,} / {s['open']:,} / {s['fill_s']} s" for s in figures["sizes"]),
            "",
            "",
            "",
        )
    )
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", default="100000,1000000,10000000", help="comma-separated ledger sizes")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the filled databases")
    args = parser.parse_args(argv)
    figures = run([int(n) for n in args.events.split(",")], args.repeat, args.keep)
    for line in rows(figures):
        print("  ".join(f"{cell:<24}" for cell in line))
    return figures


if __name__ == "__main__":
    main()
