"""Every benchmark in one run (``make bench``), figures written to docs/benchmarks.md.

    python -m bench [--quick] [--only labels,http_scans,...] [--soak] [--no-docs]

Runs, in this order, each benchmark module that is present: labels (rendering), daily_checks (the scheduler's
checks at 100k and 1M containers), http_scans (single and batch scans over HTTP against their baselines), scale
(dashboard and capacity API at 100k, 1M and 10M events). The soak (ten minutes) runs only with ``--soak``.
``--quick`` is a smoke run: small sizes and short loads, figures not comparable to a full run (the docs say so).
A benchmark that fails is reported and the others still run; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import traceback
from collections.abc import Callable
from typing import Any

from bench.harness import pg_url_from_env
from bench.report import DAILY_CHECKS, HTTP_SCANS, LABELS, SCALE, SOAK, Section, load_average, write_sections


def _labels(quick: bool) -> Any:
    from bench.labels import run

    return run(labels=200, rows=100, repeat=1) if quick else run()


def _daily_checks(quick: bool) -> Any:
    from bench.daily_checks import run

    sizes = [20_000, 100_000] if quick else [100_000, 1_000_000]
    return asyncio.run(run(sizes, pg_url_from_env(), 3 if quick else 7, False))


def _http_scans(quick: bool) -> Any:
    from bench.http_scans import run

    return run(quick=quick, profile=not quick)


def _scale(quick: bool) -> Any:
    from bench.scale import run

    return run([20_000, 100_000] if quick else [100_000, 1_000_000, 10_000_000], repeat=5 if quick else 15)


def _soak(quick: bool) -> Any:
    from bench.soak import run

    return run(minutes=1 if quick else 10)


BENCHES: dict[str, tuple[Section, Callable[[bool], Any]]] = {
    "labels": (LABELS, _labels),
    "daily_checks": (DAILY_CHECKS, _daily_checks),
    "http_scans": (HTTP_SCANS, _http_scans),
    "scale": (SCALE, _scale),
    "soak": (SOAK, _soak),
}


def present(name: str) -> bool:
    return importlib.util.find_spec(f"bench.{name}") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, short loads")
    parser.add_argument("--only", help="comma-separated benchmarks: " + ", ".join(BENCHES))
    parser.add_argument("--soak", action="store_true", help="also run the ten-minute soak")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    wanted = args.only.split(",") if args.only else [n for n in BENCHES if n != "soak" or args.soak]
    unknown = set(wanted) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    print(f"{command}; load average {load_average()}", flush=True)
    results: dict[Section, tuple[str, Any]] = {}
    failed: list[str] = []
    for name in wanted:
        section, runner = BENCHES[name]
        if not present(name):
            print(f"-- {name}: not present, skipped", flush=True)
            continue
        print(f"-- {name}", flush=True)
        try:
            figures = runner(args.quick)
            table = section.table(figures)
        except Exception:  # one broken benchmark must not lose the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        results[section] = (command, figures)
        for row in table:
            print("   " + " | ".join(row), flush=True)
        if not args.no_docs:
            write_sections({section: (command, figures)})  # after each: a later failure keeps what was measured
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
