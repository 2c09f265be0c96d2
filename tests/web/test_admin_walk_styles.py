"""Styles found wanting when a new district's administrator first walked the site in a browser
(issue 14): warning text readable on its pale background, recovery codes never split."""

from __future__ import annotations

import re


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def _stylesheet(client) -> str:  # type: ignore[no-untyped-def]
    login_page = (await client.get("/login")).text
    href = re.search(r'href="(/static/css/app\.[^"]+\.css)"', login_page).group(1)  # type: ignore[union-attr]
    return str((await client.get(href)).text)


async def test_warning_text_meets_wcag_contrast(client) -> None:
    css = await _stylesheet(client)
    warn = re.search(r"--warn:#([0-9a-f]{6})", css).group(1)  # type: ignore[union-attr]
    # .alert.warn and the warning badges put --warn on #fff4e0 (axe found 4.26:1 on 两步验证).
    assert "background:#fff4e0; color:var(--warn)" in css
    assert _contrast(warn, "fff4e0") >= 4.5


async def test_recovery_codes_are_never_split_across_lines(client) -> None:
    css = await _stylesheet(client)
    # Two columns only where each holds a whole code (at 375 px they split as "QUKC-R8EK-/X5YE").
    assert re.search(r"ol\.codes \{ columns:2 \d+em;", css)
    assert "ol.codes li { white-space:nowrap; }" in css


async def test_action_cells_stay_table_cells(client) -> None:
    css = await _stylesheet(client)
    # `.actions` is a flex row; on the units list's <td class="actions"> that broke the row lines.
    assert "td.actions { display:table-cell; }" in css


async def test_the_done_badge_is_not_a_tall_bubble(client) -> None:
    css = await _stylesheet(client)
    # The respondent's closing-page rule `.done { padding:2.5rem 0 }` also hit
    # <span class="badge done"> on the job page (任务 #…: 已完成 in a 100 px high pill).
    assert "section.done {" in css and not re.search(r"(^|\n)\.done \{", css)
