"""The benchmark still runs (on a tiny input; its speed targets are checked by the bench, not here)."""

from __future__ import annotations

from bench.labels import run


def test_bench_runs_and_reports_its_figures() -> None:
    figures = run(labels=4, rows=10, repeat=1, qr_payloads=5)
    for key in (
        "sheet_s",
        "sheet_widget_s",
        "sheet_speedup_vs_widget",
        "manifest_s",
        "bare_table_s",
        "manifest_vs_bare_table",
        "qr_qrcode_auto_per_s",
        "qr_ours_auto_per_s",
    ):
        assert figures[key] > 0, key
