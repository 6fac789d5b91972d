"""Server-side SVG charts: one renderer for the dashboard and the phase report's PDF.

Small hand-written SVG (bars and lines): no JavaScript, no external asset, readable by
WeasyPrint. Every chart is drawn from the same rows its table shows; a bar may link to the
list it counts. Text is escaped; numbers are formatted the Vietnamese way by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
BAR_HEIGHT = 18
ROW_HEIGHT = 46
PALETTE = ("#a50e0e", "#1f5fa8", "#2e7d32", "#b26a00", "#6a1b9a")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str = ""


def _n(value: float) -> str:
    if float(value).is_integer():
        return number_format(int(value), force_grouping=True)
    return number_format(value, decimal_pos=1, force_grouping=True)


def _link(svg: str, href: str, label: str) -> str:
    if not href:
        return svg
    return f'<a href="{escape(href)}" aria-label="{escape(label)}">{svg}</a>'


def bar_chart(bars: list[Bar], *, title: str, color: str = PALETTE[0]) -> SafeString:
    """Horizontal bars, each with its label above it and its number at its end."""
    if not bars:
        return mark_safe("")
    top = max((b.value for b in bars), default=0) or 1
    height = ROW_HEIGHT * len(bars) + 8
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'style="max-width:{WIDTH}px;height:auto" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    usable = WIDTH - 110
    for i, bar in enumerate(bars):
        y = i * ROW_HEIGHT + 4
        length = max(2.0, usable * float(bar.value) / float(top)) if bar.value else 0
        text = f"{bar.label}: {_n(bar.value)}"
        item = (
            # A see-through row under the label and the bar: the whole row is the link.
            f'<g class="bar"><rect x="0" y="{y}" width="{WIDTH}" height="{ROW_HEIGHT - 2}" '
            f'fill="#fff" fill-opacity="0"/>'
            f'<text x="0" y="{y + 14}" font-size="15" fill="#222">'
            f"{escape(bar.label)}</text>"
            f'<rect x="0" y="{y + 20}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{color}" rx="2"/>'
            f'<text x="{length + 6:.1f}" y="{y + 34}" font-size="15" fill="#222">'
            f"{escape(_n(bar.value))}</text></g>"
        )
        parts.append(_link(item, bar.href, text))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    labels: list[str], series: list[tuple[str, list[float]]], *, title: str
) -> SafeString:
    """One line per series over the labels (years), with a legend and the points' values."""
    if not labels or not series:
        return mark_safe("")
    height, left, right, top_pad, bottom = 300, 56, 16, 16, 70
    plot_w = WIDTH - left - right
    plot_h = height - top_pad - bottom
    top = max((v for _name, values in series for v in values), default=0) or 1
    step = plot_w / max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (i * step if len(labels) > 1 else plot_w / 2)
        return x, top_pad + plot_h - plot_h * float(v) / float(top)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'style="max-width:{WIDTH}px;height:auto" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{WIDTH - right}" '
        f'y2="{top_pad + plot_h}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top_pad + 10}" font-size="13" text-anchor="end">'
        f"{escape(_n(top))}</text>",
        f'<text x="{left - 6}" y="{top_pad + plot_h}" font-size="13" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        x, _y = xy(i, 0)
        parts.append(
            f'<text x="{x:.1f}" y="{top_pad + plot_h + 18}" font-size="13" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="2.5" points="{points}"/>'
        )
        for i, v in enumerate(values):
            x, y = xy(i, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>')
        lx = left + (k % 3) * (plot_w / 3)
        ly = height - 30 + (k // 3) * 18
        parts.append(
            f'<rect x="{lx:.1f}" y="{ly - 10}" width="14" height="4" fill="{color}"/>'
            f'<text x="{lx + 20:.1f}" y="{ly - 4}" font-size="14">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def progress_bar(percent: float | None, *, title: str) -> SafeString:
    """A target's progress: a bar filled to ``percent`` (capped at 100) of its width."""
    filled = max(0.0, min(100.0, float(percent or 0)))
    color = PALETTE[2] if filled >= 100 else PALETTE[3]
    return mark_safe(
        f'<svg class="progress" role="img" viewBox="0 0 200 14" width="100%" '
        f'style="max-width:200px;height:auto" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect x="0" y="0" width="200" height="14" fill="#eee"/>'
        f'<rect x="0" y="0" width="{2 * filled:.1f}" height="14" fill="{color}"/></svg>'
    )
