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


# The unit page's charts are drawn for a phone first: 320 units wide with 12-unit text, and
# shown at their natural size (one unit = one CSS pixel, width/height attributes), so the
# labels are 12 px on every screen; a chart wider than its card scrolls inside .chart-scroll
# instead of being shrunk until its text is unreadable (it was 4–6 px on a 375 px phone).
SMALL_WIDTH, SMALL_LABEL, SMALL_ROW, SMALL_FONT = 320, 112, 24, 12


def _short(label: str, characters: int) -> str:
    return label if len(label) <= characters else label[: characters - 1] + "…"


def _distinct(labels: Sequence[str]) -> list[str]:
    """The part of each label that tells the rows apart: questions of one matrix share a long
    stem (「请对区行政审批局……进行评价（服务态度）」), which would fill the whole label column."""
    if len(labels) < 2:
        return list(labels)
    stem = labels[0]
    for label in labels[1:]:
        while not label.startswith(stem):
            stem = stem[:-1]
    if len(stem) < 4 or any(len(label) == len(stem) for label in labels):
        return list(labels)
    rest = [label[len(stem) :] for label in labels]
    if stem[-1] in "（(":
        rest = [r[:-1] if r[-1:] in "）)" else r for r in rest]
    return rest


def bars_svg(values: Sequence[tuple[str, float | None]], title: str, high: float = 100.0) -> Markup:
    """Horizontal bars on a 0–high scale with the value written at the end (e.g. the year's
    score of each appraisal component); long names are shortened (the table beside has them)."""
    shown = [(label, v) for label, v in values if v is not None]
    if not shown:
        return Markup("")
    width, height = SMALL_WIDTH, 8 + SMALL_ROW * len(shown)
    plot = width - SMALL_LABEL - 48  # room for "100.00" after the longest bar
    parts = [
        f'<svg class="bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(shown):
        y = 4 + SMALL_ROW * i
        length = max(0.0, min(value, high)) / high * plot
        parts.append(
            f'<text x="{SMALL_LABEL - 6}" y="{y + 16}" text-anchor="end" font-size="{SMALL_FONT}" '
            f'fill="#1f2933">{escape(_short(label, 8))}</text>'
            f'<rect x="{SMALL_LABEL}" y="{y + 4}" width="{length:.1f}" height="{SMALL_ROW - 8}" '
            'fill="#b71c1c" fill-opacity="0.75"/>'
            f'<text x="{SMALL_LABEL + length + 4:.1f}" y="{y + 16}" font-size="{SMALL_FONT}" '
            f'fill="#1f2933">{value:.2f}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from numbers and escaped text)


LEVEL_COLOURS = ("#1b5e20", "#66bb6a", "#fdd835", "#fb8c00", "#c62828", "#9e9e9e", "#bdbdbd")
LEGEND_PER_ROW, LEGEND_STEP, LEGEND_ROW = 3, 104, 18


def distribution_svg(items: Sequence[tuple[str, Sequence[tuple[str, float]]]], title: str) -> Markup:
    """One stacked bar per item: the share of each answer level, best level first; the legend
    runs over as many rows as the levels need."""
    rows = [(label, shares) for label, shares in items if shares]
    if not rows:
        return Markup("")
    levels = list(dict.fromkeys(level for _, shares in rows for level, _ in shares))
    legend_rows = -(-len(levels) // LEGEND_PER_ROW)
    top = 6 + LEGEND_ROW * legend_rows
    width, height = SMALL_WIDTH, top + SMALL_ROW * len(rows) + 4
    plot = width - SMALL_LABEL - 8
    parts = [
        f'<svg class="distribution" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, level in enumerate(levels):
        colour = LEVEL_COLOURS[i % len(LEVEL_COLOURS)]
        x, y = 4 + (i % LEGEND_PER_ROW) * LEGEND_STEP, 4 + (i // LEGEND_PER_ROW) * LEGEND_ROW
        parts.append(
            f'<rect x="{x}" y="{y + 1}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{x + 15}" y="{y + 11}" font-size="{SMALL_FONT}" fill="#1f2933">'
            f"{escape(_short(level, 7))}</text>"
        )
    shown = _distinct([label for label, _ in rows])
    for row, (label, shares) in enumerate(rows):
        y = top + SMALL_ROW * row
        parts.append(
            f'<text x="{SMALL_LABEL - 6}" y="{y + 16}" text-anchor="end" font-size="{SMALL_FONT}" '
            f'fill="#1f2933">{escape(_short(shown[row], 8))}<title>{escape(label)}</title></text>'
        )
        start = 0.0
        for level, share in shares:
            colour = LEVEL_COLOURS[levels.index(level) % len(LEVEL_COLOURS)]
            length = max(0.0, share) * plot
            parts.append(
                f'<rect x="{SMALL_LABEL + start:.1f}" y="{y + 4}" width="{length:.1f}" '
                f'height="{SMALL_ROW - 8}" fill="{colour}"><title>{escape(level)} {share:.0%}</title></rect>'
            )
            start += length
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from numbers and escaped text)
