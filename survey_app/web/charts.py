"""Charts drawn on the server as inline SVG: nothing from the network, printable, and every
chart sits beside a table with its numbers. All text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

ROW, LABEL, RIGHT, TOP = 22, 170, 56, 26


@dataclass(frozen=True)
class RankedValue:
    label: str
    value: float | None
    low: float | None
    high: float | None


def ranking_svg(values: Sequence[RankedValue], title: str) -> Markup:
    """Units best first: a dot for the index and a whisker for its 95 % interval; a unit
    without a published index is listed with 不发布."""
    shown = [v for v in values if v.value is not None]
    if not shown:
        return Markup("")
    ends = [x for v in shown for x in (v.value, v.low, v.high) if x is not None]
    low = max(0.0, (min(ends) // 5) * 5 - 5)
    high = min(100.0, -(-max(ends) // 5) * 5 + 5)
    width, height = 640, TOP + ROW * len(values) + 24
    plot = width - LABEL - RIGHT

    def x(v: float) -> float:
        return LABEL + (v - low) / (high - low) * plot

    parts = [
        f'<svg class="ranking" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    step = 5 if high - low <= 40 else 10
    tick = low
    while tick <= high + 1e-9:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{TOP - 6}" y2="{height - 20}" '
            'stroke="#e3e7ec"/>'
            f'<text x="{x(tick):.1f}" y="{TOP - 10}" text-anchor="middle" font-size="10" fill="#6b7785">'
            f"{tick:g}</text>"
        )
        tick += step
    ordered = sorted(values, key=lambda v: (v.value is None, -(v.value or 0.0)))
    for i, v in enumerate(ordered):
        y = TOP + ROW * i + ROW / 2
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#1f2933">'
            f"{escape(v.label)}</text>"
        )
        if v.value is None:
            parts.append(f'<text x="{LABEL + 4}" y="{y + 4:.1f}" font-size="11" fill="#6b7785">不发布</text>')
            continue
        if v.low is not None and v.high is not None:
            parts.append(
                f'<line x1="{x(v.low):.1f}" x2="{x(v.high):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#8e1515" stroke-width="2" stroke-opacity="0.5"/>'
            )
        parts.append(
            f'<circle cx="{x(v.value):.1f}" cy="{y:.1f}" r="4" fill="#b71c1c"/>'
            f'<text x="{width - RIGHT + 6}" y="{y + 4:.1f}" font-size="11" fill="#1f2933">'
            f"{v.value:.2f}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from numbers and escaped text)
