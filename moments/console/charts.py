"""Server-rendered SVG charts (no script, no CDN; colours as attributes so the page's CSP needs no inline style).

Every chart has a <title> and a role="img" label, and the page shows the numbers behind it in a table next to it.
"""
from __future__ import annotations

from html import escape
from typing import List, Optional, Sequence, Tuple

# Okabe-Ito colours (told apart with colour-blindness), dark enough on white for text and bars
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
INK = "#1a1a1a"
GRID = "#d0d0d0"


def _svg(width: int, height: int, title: str, body: List[str], chart_id: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{chart_id}-t" '
            f'viewBox="0 0 {width} {height}" width="100%" class="chart">'
            f'<title id="{chart_id}-t">{escape(title)}</title>' + "".join(body) + "</svg>")


def grouped_bars(chart_id: str, title: str, groups: Sequence[Tuple[str, Sequence[Tuple[str, Optional[float], str]]]],
                 series: Sequence[str], unit_max: float = 1.0) -> str:
    """Horizontal bars: one group per row label (a journey), one bar per series (a language); each bar
    (series name, value 0..unit_max or None, text shown at its end)."""
    label_w, bar_h, gap, width = 210, 14, 10, 720
    plot_w = width - label_w - 70
    height = 40 + sum(len(bars) * bar_h + gap for _, bars in groups) + 18
    body = []
    # legend
    x = label_w
    for i, name in enumerate(series):
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                    f'<text x="{x + 16}" y="16" font-size="12" fill="{INK}">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        gx = label_w + frac * plot_w
        body.append(f'<line x1="{gx:.1f}" y1="28" x2="{gx:.1f}" y2="{height - 14}" stroke="{GRID}"/>'
                    f'<text x="{gx:.1f}" y="{height - 2}" font-size="10" text-anchor="middle" fill="{INK}">'
                    f'{frac * unit_max * 100:.0f}%</text>')
    y = 34
    for label, bars in groups:
        gy = y + len(bars) * bar_h / 2 + 4
        body.append(f'<text x="{label_w - 8}" y="{gy:.1f}" font-size="12" text-anchor="end" fill="{INK}">'
                    f'{escape(label)}</text>')
        for name, value, shown in bars:
            i = list(series).index(name) if name in series else 0
            w = 0 if value is None else max(1.0, plot_w * min(value, unit_max) / unit_max)
            body.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                        f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(f"{label}, {name}: {shown}")}</title></rect>')
            body.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4}" font-size="11" fill="{INK}">'
                        f'{escape(shown)}</text>')
            y += bar_h
        y += gap
    return _svg(width, height, title, body, chart_id)


def daily_lines(chart_id: str, title: str, days: Sequence[str], lines: Sequence[Tuple[str, Sequence[float]]]) -> str:
    """A line per series over the days (counts), with dots and the day labels underneath."""
    width, height, left, bottom, top = 720, 240, 50, 40, 30
    plot_w, plot_h = width - left - 20, height - top - bottom
    peak = max([max(v) for _, v in lines if v] + [1])
    body = []
    for i, (name, _) in enumerate(lines):
        body.append(f'<rect x="{left + i * 140}" y="6" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                    f'<text x="{left + i * 140 + 16}" y="16" font-size="12" fill="{INK}">{escape(name)}</text>')
    for frac in (0, 0.5, 1.0):
        gy = top + plot_h * (1 - frac)
        body.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{width - 20}" y2="{gy:.1f}" stroke="{GRID}"/>'
                    f'<text x="{left - 6}" y="{gy + 4:.1f}" font-size="11" text-anchor="end" fill="{INK}">'
                    f'{peak * frac:.0f}</text>')
    n = max(len(days), 1)
    step = plot_w / max(n - 1, 1)
    every = max(1, n // 10)
    for k, day in enumerate(days):
        if k % every == 0 or k == n - 1:
            body.append(f'<text x="{left + k * step:.1f}" y="{height - 18}" font-size="10" text-anchor="middle" '
                        f'fill="{INK}">{escape(day[5:])}</text>')
    for i, (name, values) in enumerate(lines):
        colour = PALETTE[i % len(PALETTE)]
        pts = [(left + k * step, top + plot_h * (1 - v / peak)) for k, v in enumerate(values)]
        if len(pts) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                        + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
        for (x, y), day, v in zip(pts, days, values):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                        f'<title>{escape(f"{day} {name}: {v:g}")}</title></circle>')
    return _svg(width, height, title, body, chart_id)
