"""docs/benchmarks.md: each benchmark's figures as a generated section, with date, machine, command, targets.

Generated sections sit between ``<!-- bench:NAME begin -->`` and ``<!-- bench:NAME end -->`` markers and are
replaced in place on the next run; everything outside the markers (hand-written analysis, other helpers'
sections) is kept as it is. A section not yet in the file is appended.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import ROOT, machine

DOC = ROOT / "docs" / "benchmarks.md"
Rows = list[tuple[str, ...]]


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    intro: str
    table: Callable[[Any], Rows]
    """The figures as rows; the first row is the header."""


def _labels(figures: dict[str, Any]) -> Rows:
    from bench.labels import MANIFEST_TARGET, SHEET_TARGET

    ok = {True: "pass", False: "**MISSED**"}
    n, r = figures["labels"], figures["rows"]
    return [
        ("figure", "value", "target", "verdict"),
        (
            f"{n:,}-label A4 sheet (vector QR, automatic mask)",
            f"{figures['sheet_s']:.2f} s ({figures['sheet_labels_per_s']:.0f} labels/s)",
            "",
            "",
        ),
        ("  baseline: same sheet with reportlab's QrCodeWidget", f"{figures['sheet_widget_s']:.2f} s", "", ""),
        (
            "  speed-up over the baseline",
            f"{figures['sheet_speedup_vs_widget']:.1f}×",
            f"≥ {SHEET_TARGET:g}×",
            ok[figures["sheet_ok"]],
        ),
        (f"{r}-container manifest PDF", f"{figures['manifest_s']:.3f} s", "", ""),
        ("  baseline: bare platypus table of the same rows", f"{figures['bare_table_s']:.3f} s", "", ""),
        (
            "  manifest / baseline",
            f"{figures['manifest_vs_bare_table']:.2f}×",
            f"≤ {MANIFEST_TARGET:g}×",
            ok[figures["manifest_ok"]],
        ),
        (
            "QR matrices: qrcode (auto mask) / labels.qr (auto mask)",
            f"{figures['qr_qrcode_auto_per_s']:.0f}/s / {figures['qr_ours_auto_per_s']:.0f}/s",
            "",
            "",
        ),
    ]


DAILY_RATIO_TARGET = 1.2


def _daily_checks(results: list[dict[str, Any]]) -> Rows:
    """Every ``*_ms`` figure bench.daily_checks returns (its names are its own); the ones that scan the whole
    history are its baseline and carry no target."""
    first, last = results[0], results[-1]
    out: Rows = [("figure", *(f"{r['size']:,} containers" for r in results), "largest / smallest", "target", "")]
    out.append(("events", *(f"{r['events']:,.0f}" for r in results), "", "", ""))
    out.append(("open containers", *(f"{r['open']:,.0f}" for r in results), "", "", ""))
    for key in [k for k, v in first.items() if k.endswith("_ms") and isinstance(v, int | float)]:
        ratio = last[key] / first[key]
        baseline = "history" in key or "naive" in key
        out.append(
            (
                ("baseline: " if baseline else "") + key.removesuffix("_ms").replace("_", " "),
                *(f"{r[key]:.1f} ms" for r in results),
                f"{ratio:.2f}×",
                "" if baseline else f"≤ {DAILY_RATIO_TARGET}×",
                "" if baseline else ("pass" if ratio <= DAILY_RATIO_TARGET else "**MISSED**"),
            )
        )
    return out


def _http_scans(figures: dict[str, Any]) -> Rows:
    from bench.http_scans import rows

    return [("figure", "value", "target", "verdict"), *rows(figures)]


def _scale(figures: dict[str, Any]) -> Rows:
    from bench.scale import rows

    return rows(figures)


def _soak(figures: dict[str, Any]) -> Rows:
    from bench.soak import rows

    return [("figure", "value", "target", "verdict"), *rows(figures)]


LABELS = Section(
    "labels",
    "Labels and manifests (bench.labels)",
    "Rendering only, in-process; baselines are reportlab's own QR widget and a bare table of the same rows.",
    _labels,
)
DAILY_CHECKS = Section(
    "daily_checks",
    "Daily-clearing and plant-load checks (bench.daily_checks)",
    "The scheduler's checks and reports at growing history, same open containers (analysis in the section above"
    " written with the benchmark). Target here: the largest size within 1.2× of the smallest.",
    _daily_checks,
)
HTTP_SCANS = Section(
    "http_scans",
    "Scans over HTTP (bench.http_scans)",
    "The real server (uvicorn, 1 worker, `bench.baseline_app:wasteledger_app`: routes.app without the scheduler) on"
    " a throwaway PostgreSQL database; load from wrk (2 threads, 32 connections, bench/wrk_scans.lua), every"
    " request a real receive scan of a container delivered to the plant. Baseline, same run, same uvicorn"
    " settings: bench/baseline_app.py (Litestar validates the same body, asyncpg inserts one row).",
    _http_scans,
)
SCALE = Section(
    "scale",
    "Dashboard and capacity API at 100k, 1M and 10M events (bench.scale)",
    "Databases filled by COPY with bench.daily_checks' generator; medians of sequential requests from a client"
    " process to the real server, as the city regulator.",
    _scale,
)
SOAK = Section(
    "soak",
    "Soak (bench.soak)",
    "Half the measured maximum rate for ten minutes from a paced client process; the server's RSS sampled every 5 s.",
    _soak,
)
SECTIONS = (LABELS, DAILY_CHECKS, HTTP_SCANS, SCALE, SOAK)


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def markdown_table(rows: Rows) -> str:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body]
    return "\n".join(lines)


def render(section: Section, command: str, figures: Any, when: datetime, load: str) -> str:
    info = machine()
    body = [
        f"<!-- bench:{section.name} begin (generated by `{command}`; edits inside are overwritten) -->",
        f"### {section.title}",
        "",
        f"Measured {when:%Y-%m-%d %H:%M} UTC on {info['nproc']} × {info['cpu']}, Python {info['python']},"
        f" {info['system']}; load average at the start {load}. Command: `{command}`.",
        "",
        section.intro,
        "",
        markdown_table(section.table(figures)),
    ]
    extra = _extras(section, figures)
    if extra:
        body += ["", extra]
    body.append(f"<!-- bench:{section.name} end -->")
    return "\n".join(body)


def _extras(section: Section, figures: Any) -> str:
    """Notes a table cannot hold: the profile of the scan server, the soak's memory samples."""
    if section is HTTP_SCANS and isinstance(figures, dict) and "profile" in figures:
        lines = ["Where the server's time goes under load (py-spy, share of samples, inclusive):", ""]
        lines += [f"- {share:.1f} % `{frame}`" for frame, share in figures["profile"]["inclusive"]]
        return "\n".join(lines)
    if section is SOAK and isinstance(figures, dict):
        samples = figures["rss_samples_mib"]  # every 5 s: one a minute is enough to see a trend
        return f"RSS once a minute (MiB): {', '.join(str(x) for x in samples[::12])}, end {samples[-1]}"
    return ""


def write_sections(results: Mapping[Section, tuple[str, Any]], doc: Path = DOC) -> Path:
    """Replace (or append) each section's generated block in docs/benchmarks.md."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    when = datetime.now(UTC)
    load = load_average()
    for section, (command, figures) in results.items():
        block = render(section, command, figures, when, load)
        pattern = re.compile(
            rf"<!-- bench:{re.escape(section.name)} begin.*?<!-- bench:{re.escape(section.name)} end -->", re.DOTALL
        )
        found = pattern.search(text)
        # Sliced, not re.sub: the block holds backslashes and group-like text that a replacement would interpret.
        text = (
            text[: found.start()] + block + text[found.end() :] if found else text.rstrip("\n") + "\n\n" + block + "\n"
        )
    doc.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return doc
