"""Charts as server-side SVG, inlined into the pages: nothing to download, nothing to run in the browser, the
numbers are in the page (tests read them; screen readers too), and printing needs no canvas snapshot.

Bars (plant load against capacity, daily clearance rates) are drawn here by hand: a few rectangles and lines.
The 30-day trend is a pygal line chart (pygal: LGPL-3.0-or-later, pure Python, renders SVG), with its
JavaScript hooks switched off so the SVG loads nothing from the network.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

from ledger.dashboard import TrendDay
from ledger.monitoring.clearing import DayClearance
from ledger.monitoring.plant_load import PlantLoad

COLOURS = {"ok": "#2e7d32", "warning": "#e69500", "critical": "#c62828", "inactive": "#9e9e9e"}
FONT = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei','PingFang SC',sans-serif"
#: Bars run to 150 % of capacity; beyond that they are cut and marked with an arrow.
BAR_SCALE = Decimal("1.5")


def _pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def load_bars(plants: list[PlantLoad], warn_at: Decimal, critical_at: Decimal) -> Markup:
    """One horizontal bar per plant: load as a share of rated capacity, with the warn and critical lines."""
    label_w, bar_w, value_w, row_h, top = 300, 420, 230, 26, 34
    width, height = label_w + bar_w + value_w, top + row_h * len(plants) + 10
    x0 = label_w

    def x(ratio: Decimal) -> float:
        return x0 + float(min(ratio, BAR_SCALE) / BAR_SCALE) * bar_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="各处置厂负荷 plant load against capacity" font-family="{FONT}" font-size="13">'
    ]
    # The warning label sits left of its line and the critical one right of its own, so the two never overlap.
    for ratio, name, colour, anchor, dx in (
        (warn_at, "预警 warning", COLOURS["warning"], "end", -4),
        (critical_at, "满负荷 critical", COLOURS["critical"], "start", 4),
    ):
        parts.append(
            f'<line x1="{x(ratio):.1f}" y1="{top - 8}" x2="{x(ratio):.1f}" y2="{height - 6}" stroke="{colour}"'
            f' stroke-dasharray="4 3"/><text x="{x(ratio) + dx:.1f}" y="{top - 12}" text-anchor="{anchor}"'
            f' fill="{colour}">{name} {_pct(ratio)}</text>'
        )
    for index, plant in enumerate(plants):
        y = top + index * row_h
        colour = COLOURS.get(plant.level, COLOURS["ok"])
        name = escape(plant.name)
        parts.append(
            f'<g class="bar" data-uscc="{plant.uscc}" data-level="{plant.level}">'
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{name}</text>'
            f'<rect x="{x0}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="#f1f1f1"/>'
        )
        if plant.active and plant.utilisation is not None:
            end = x(plant.utilisation)
            parts.append(f'<rect x="{x0}" y="{y + 4}" width="{end - x0:.1f}" height="{row_h - 8}" fill="{colour}"/>')
            if plant.utilisation > BAR_SCALE:
                parts.append(f'<text x="{end - 4:.1f}" y="{y + 17}" text-anchor="end" fill="#fff">▶</text>')
        elif not plant.active:
            parts.append(
                f'<rect x="{x0}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}" fill="none"'
                f' stroke="{COLOURS["inactive"]}" stroke-dasharray="3 3"/>'
            )
        figures = (
            f"{plant.load_t} / {plant.capacity_t} t · {_pct(plant.utilisation)}"
            if plant.active
            else f"未启用 off · {plant.capacity_t} t/日"
        )
        parts.append(f'<text x="{x0 + bar_w + 8}" y="{y + 17}">{figures}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated name is escaped above; the rest are numbers)


def clearance_bars(days: list[DayClearance], warn_below: Decimal, critical_below: Decimal) -> Markup:
    """One column per local day: the share of its medical containers disposed in time."""
    left, col_w, plot_h, top, bottom = 40, 46, 160, 16, 42
    width, height = left + col_w * len(days) + 10, top + plot_h + bottom

    def y(rate: Decimal) -> float:
        return top + plot_h * (1 - float(rate))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart columns" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="每日按时清运率 clearance rate per day" font-family="{FONT}" font-size="11">'
    ]
    for ratio, colour in ((warn_below, COLOURS["warning"]), (critical_below, COLOURS["critical"])):
        parts.append(
            f'<line x1="{left}" y1="{y(ratio):.1f}" x2="{width - 6}" y2="{y(ratio):.1f}" stroke="{colour}"'
            f' stroke-dasharray="4 3"/><text x="{left - 4}" y="{y(ratio) + 4:.1f}" text-anchor="end"'
            f' fill="{colour}">{_pct(ratio)}</text>'
        )
    for index, day in enumerate(days):
        x = left + index * col_w + 6
        label = day.day.strftime("%m-%d")
        parts.append(f'<g class="day" data-day="{day.day.isoformat()}">')
        if day.rate is not None:
            colour = (
                COLOURS["critical"]
                if day.rate < critical_below
                else COLOURS["warning"]
                if day.rate < warn_below
                else COLOURS["ok"]
            )
            opacity = "1" if day.final else "0.45"
            parts.append(
                f'<rect x="{x}" y="{y(day.rate):.1f}" width="{col_w - 12}" height="{plot_h * float(day.rate):.1f}"'
                f' fill="{colour}" fill-opacity="{opacity}"/>'
                f'<text x="{x + (col_w - 12) / 2:.1f}" y="{y(day.rate) - 3:.1f}" text-anchor="middle">'
                f"{_pct(day.rate)}</text>"
            )
        else:
            parts.append(f'<text x="{x + (col_w - 12) / 2:.1f}" y="{top + plot_h - 3}" text-anchor="middle">—</text>')
        parts.append(
            f'<text x="{x + (col_w - 12) / 2:.1f}" y="{top + plot_h + 15}" text-anchor="middle">{label}</text>'
            f'<text x="{x + (col_w - 12) / 2:.1f}" y="{top + plot_h + 30}" text-anchor="middle"'
            f' fill="#666">{day.registered}件</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (numbers and dates only)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def trend_chart(days: list[TrendDay], title: str = "") -> Markup:
    """Load, disposed and running capacity per day over the window (pygal line chart, SVG)."""
    style = Style(
        font_family=FONT,
        background="#ffffff",
        plot_background="#ffffff",
        colors=("#c62828", "#1565c0", "#2e7d32"),
        title_font_size=14,
        legend_font_size=12,
        label_font_size=11,
        major_label_font_size=11,
    )
    chart = pygal.Line(
        js=[],  # no tooltip script from a CDN: the chart must work offline
        disable_xml_declaration=True,
        width=960,
        height=320,
        style=style,
        show_dots=False,
        stroke_style={"width": 2.5},
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        x_labels_major_every=5,
        show_minor_x_labels=False,
        truncate_legend=-1,
        truncate_label=-1,
        y_title="t",
        include_x_axis=True,
    )
    chart.title = title or None
    chart.x_labels = [d.day.strftime("%m-%d") for d in days]
    chart.add("处置能力 capacity (t/日)", [float(d.capacity_t) for d in days])
    chart.add("负荷 load (t)", [float(d.load_t) for d in days])
    chart.add("当日处置 disposed (t)", [float(d.disposed_t) for d in days])
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    return Markup(svg)  # noqa: S704 (pygal escapes its labels; ours are fixed strings and dates)
