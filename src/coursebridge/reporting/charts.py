"""Charts drawn on the server as inline SVG: no script, no outside library, readable without
colour (every series is also named in a legend), each with a title and a description for screen
readers. The template puts the same figures in a table next to each chart."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
HEIGHT = 220
LEFT = 48
BOTTOM = 28
TOP = 12
RIGHT = 8
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    css: str  # a class of the bars' colour: s1, s2, s3...


def _nice_max(value: float) -> float:
    """A round upper bound for the axis (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float, unit: str) -> str:
    if unit == "h":
        return f"{value:.4g} h" if value < 10 else f"{value:.0f} h"
    return f"{value:.4g}"


def column_chart(*, title: str, labels: list[str], series: list[Series], unit: str = "",
                 stacked: bool = True, label_every: int = 1) -> SafeString:
    """Columns per label (days, usually), the series stacked on each other or side by side."""
    chart_id = f"chart-{next(_ids)}"
    n = max(1, len(labels))
    totals = [sum(s.values[i] for s in series) if stacked else max((s.values[i] for s in series), default=0)
              for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    if not unit:
        top = max(top, 4.0)  # counts: whole numbers on every tick
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / (1 if stacked else max(1, len(series))))
    parts: list[str] = []
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(_fmt(value, unit))}</text>')
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i + slot * 0.1
        base = 0.0
        for k, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            x = x0 if stacked else x0 + bar_w * k
            y = TOP + plot_h - plot_h * base / top - h if stacked else TOP + plot_h - h
            parts.append(
                f'<rect class="{s.css}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
                f'<title>{escape(label)}: {escape(s.name)} {escape(_fmt(value, unit))}</title></rect>'
            )
            if stacked:
                base += value
        if i % label_every == 0:
            parts.append(f'<text class="axis" x="{x0 + slot * 0.4:.1f}" y="{HEIGHT - 8}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    return _svg(chart_id, title, _describe(labels, series, unit), parts, series)


def bar_chart(*, title: str, labels: list[str], series: list[Series], unit: str = "") -> SafeString:
    """Horizontal bars, one row per label (statuses, groups, courses), series side by side."""
    chart_id = f"chart-{next(_ids)}"
    row_h = 22 * max(1, len(series)) + 8
    height = TOP + row_h * max(1, len(labels)) + 4
    label_w = 180
    plot_w = WIDTH - label_w - 60
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    parts: list[str] = []
    for i, label in enumerate(labels):
        y0 = TOP + row_h * i
        text = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text class="axis" x="{label_w - 6}" y="{y0 + row_h / 2 + 4:.1f}" text-anchor="end">'
                     f'{escape(text)}<title>{escape(label)}</title></text>')
        for k, s in enumerate(series):
            value = s.values[i]
            w = plot_w * value / top if top else 0
            y = y0 + 4 + 22 * k
            parts.append(f'<rect class="{s.css}" x="{label_w}" y="{y}" width="{w:.1f}" height="18">'
                         f'<title>{escape(label)}: {escape(s.name)} {escape(_fmt(value, unit))}</title></rect>')
            parts.append(f'<text class="value" x="{label_w + w + 4:.1f}" y="{y + 13}">'
                         f'{escape(_fmt(value, unit))}</text>')
    return _svg(chart_id, title, _describe(labels, series, unit), parts, series, height=height)


def _describe(labels: list[str], series: list[Series], unit: str) -> str:
    totals = ", ".join(f"{s.name}: {_fmt(sum(s.values), unit)} in all" for s in series)
    return f"{len(labels)} entries. {totals}. The table below the chart lists every figure."


def _svg(chart_id: str, title: str, description: str, parts: list[str], series: list[Series],
         height: int = HEIGHT) -> SafeString:
    legend = "".join(
        format_html('<span class="legend-item"><span class="swatch {}" aria-hidden="true"></span>{}</span>', s.css,
                    s.name)
        for s in series
    )
    body = "".join(parts)
    svg = (
        f'<figure class="chart"><svg role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
        f"{body}</svg><figcaption class=\"legend\">{legend}</figcaption></figure>"
    )
    return mark_safe(svg)  # noqa: S308 - every text inside was escaped above
