"""Charts drawn on the server as SVG: horizontal bars (one row per agency or region, one bar
per series) and lines (one point per week or month). Pure functions of the data.

The SVG scales to its container (viewBox), carries a <title> and a <desc> for screen readers,
and takes its colours from the stylesheet (classes s0, s1, s2), which also prints them. Every
label is escaped: agency names are typed by people. A table and a CSV of the same figures
stand beside each chart (dashboard/tables.py), for whoever cannot read the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640
LABEL_CHARS = 30  # longer labels are shortened on the chart (the table has them in full)


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """`kind`: "bars" (horizontal, one row per label) or "lines"; `percent`: values are
    shares (0..1) shown as percentages."""

    key: str  # its anchor and the name of its CSV
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    kind: str = "bars"
    percent: bool = False
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.labels or all(v == 0 for s in self.series for v in s.values)

    def rows(self) -> list[tuple[str, tuple[float, ...]]]:
        return [
            (label, tuple(s.values[i] for s in self.series)) for i, label in enumerate(self.labels)
        ]


Format = Callable[[float], str]


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def nice_max(value: float) -> float:
    """The axis' top: 1, 2, 2.5 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def svg(chart: Chart, fmt: Format, empty_text: str) -> Markup:
    if chart.empty:
        return Markup(f'<p class="chart-empty">{escape(empty_text)}</p>')
    draw = _lines if chart.kind == "lines" else _bars
    return Markup(draw(chart, fmt))


def _open(chart: Chart, height: float) -> str:
    ident = f"chart-{escape(chart.key)}"
    names = ", ".join(s.name for s in chart.series)
    return (
        f'<svg class="chart chart-{chart.kind}" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(chart.title)}</title>'
        f'<desc id="{ident}-d">{escape(names)}</desc>'
    )


def _legend(chart: Chart, y: float) -> list[str]:
    parts, x = [], 8.0
    for i, series in enumerate(chart.series):
        parts.append(f'<rect class="s{i}" x="{x:.0f}" y="{y - 10:.0f}" width="12" height="12"/>')
        parts.append(
            f'<text class="legend" x="{x + 18:.0f}" y="{y:.0f}">{escape(series.name)}</text>'
        )
        x += 30 + 7.5 * len(series.name)
    return parts


def _bars(chart: Chart, fmt: Format) -> str:
    label_w, right = 200.0, 56.0
    bar_h, gap = 12.0, 10.0
    k = len(chart.series)
    row_h = k * bar_h + gap
    top = 28.0
    height = top + row_h * len(chart.labels) + 8
    top_value = 1.0 if chart.percent else nice_max(max(max(s.values) for s in chart.series))
    scale = (WIDTH - label_w - right) / top_value
    parts = [_open(chart, height), *_legend(chart, 16)]
    names = [escape(s.name) for s in chart.series]  # escaped once, used on every row
    for row, (label, values) in enumerate(chart.rows()):
        y = top + row * row_h
        whole = escape(label)
        parts.append(
            f'<text class="label" x="{label_w - 8:.0f}" y="{y + k * bar_h / 2 + 4:.1f}" '
            f'text-anchor="end"><title>{whole}</title>{escape(_short(label))}</text>'
        )
        for i, value in enumerate(values):
            width = max(value * scale, 0.0)
            by = y + i * bar_h
            shown = escape(fmt(value))
            parts.append(
                f'<rect class="s{i}" x="{label_w:.0f}" y="{by:.1f}" width="{width:.1f}" '
                f'height="10"><title>{whole} — {names[i]} : {shown}</title></rect>'
                f'<text class="value" x="{label_w + width + 4:.1f}" y="{by + bar_h - 3:.1f}">'
                f"{shown}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _lines(chart: Chart, fmt: Format) -> str:
    left, right, top, bottom = 48.0, 16.0, 30.0, 34.0
    height = 240.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = 1.0 if chart.percent else nice_max(max(max(s.values) for s in chart.series))
    n = len(chart.labels)
    step = plot_w / max(n - 1, 1)

    def at(i: int, value: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - value / top_value * plot_h

    parts = [_open(chart, height), *_legend(chart, 16)]
    for tick in range(5):  # gridlines and their values
        value = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line class="grid" x1="{left:.0f}" x2="{WIDTH - right:.0f}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{left - 6:.0f}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    every = max(1, math.ceil(n / 8))  # at most about 8 dates under the axis
    for i, label in enumerate(chart.labels):
        if i % every == 0 or i == n - 1:
            x, _ = at(i, 0)
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{height - 12:.0f}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for s, series in enumerate(chart.series):
        points = [at(i, v) for i, v in enumerate(series.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line s{s}" points="{path}"/>')
        for i, (x, y) in enumerate(points):
            parts.append(
                f'<circle class="s{s}" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>'
                f"{escape(chart.labels[i])} — {escape(series.name)} : "
                f"{escape(fmt(series.values[i]))}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)
