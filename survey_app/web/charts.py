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


def bars_svg(values: Sequence[tuple[str, float | None]], title: str, high: float = 100.0) -> Markup:
    """Horizontal bars on a 0–high scale with the value written at the end (e.g. the year's
    score of each appraisal component)."""
    shown = [(label, v) for label, v in values if v is not None]
    if not shown:
        return Markup("")
    width, height = 640, TOP + ROW * len(shown) + 8
    plot = width - LABEL - RIGHT
    parts = [
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(shown):
        y = TOP + ROW * i
        length = max(0.0, min(value, high)) / high * plot
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 14}" text-anchor="end" font-size="11" fill="#1f2933">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" fill="#b71c1c" '
            'fill-opacity="0.75"/>'
            f'<text x="{LABEL + length + 4:.1f}" y="{y + 14}" font-size="11" fill="#1f2933">'
            f"{value:.2f}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from numbers and escaped text)


LEVEL_COLOURS = ("#1b5e20", "#66bb6a", "#fdd835", "#fb8c00", "#c62828", "#9e9e9e", "#bdbdbd")


def distribution_svg(items: Sequence[tuple[str, Sequence[tuple[str, float]]]], title: str) -> Markup:
    """One stacked bar per item: the share of each answer level, best level first."""
    rows = [(label, shares) for label, shares in items if shares]
    if not rows:
        return Markup("")
    levels = list(dict.fromkeys(level for _, shares in rows for level, _ in shares))
    width, height = 640, TOP + ROW * len(rows) + 30
    plot = width - LABEL - 16
    parts = [
        f'<svg class="distribution" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, level in enumerate(levels):
        colour = LEVEL_COLOURS[i % len(LEVEL_COLOURS)]
        parts.append(
            f'<rect x="{LABEL + i * 70}" y="6" width="10" height="10" fill="{colour}"/>'
            f'<text x="{LABEL + i * 70 + 14}" y="15" font-size="10" fill="#1f2933">'
            f"{escape(level)}</text>"
        )
    for row, (label, shares) in enumerate(rows):
        y = TOP + ROW * row
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 14}" text-anchor="end" font-size="11" fill="#1f2933">'
            f"{escape(label[:14])}</text>"
        )
        start = 0.0
        for level, share in shares:
            colour = LEVEL_COLOURS[levels.index(level) % len(LEVEL_COLOURS)]
            length = max(0.0, share) * plot
            parts.append(
                f'<rect x="{LABEL + start:.1f}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" '
                f'fill="{colour}"><title>{escape(level)} {share:.0%}</title></rect>'
            )
            start += length
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from numbers and escaped text)
