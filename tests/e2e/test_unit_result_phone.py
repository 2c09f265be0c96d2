"""Trial finding (unit07 on a 375 px phone): the appraisal chart's labels were about 6 px high
(a 640-unit-wide SVG shrunk to the card) and the item table wrapped the question text two or
three characters per line. Chart labels must be at least 12 px as drawn, the question column
wide enough to read, and the page must not scroll sideways (wide content scrolls inside its
own container)."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Site

MEASURE = """() => {
    const small = [];
    for (const svg of document.querySelectorAll('main svg[viewBox]')) {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        for (const text of svg.querySelectorAll('text')) {
            const drawn = parseFloat(getComputedStyle(text).fontSize) * scale;
            const name = `${svg.getAttribute('class')}「${text.textContent}」`;
            if (drawn < 12) small.push(`${name}${drawn.toFixed(1)}px`);
        }
    }
    const questions = [...document.querySelectorAll('table.item-table tbody td:first-child')];
    return {
        scroll: document.documentElement.scrollWidth,
        width: document.documentElement.clientWidth,
        charts: document.querySelectorAll('main svg[viewBox]').length,
        small: small.slice(0, 10),
        questions: questions.length,
        narrowest: Math.min(...questions.map(td => td.getBoundingClientRect().width)),
    };
}"""


async def test_the_unit_result_page_reads_on_a_phone(site: Site, settings: Any) -> None:
    from survey_app.db.tables import Unit
    from survey_app.demo.loader import DEMO_ACCOUNTS, load_demo

    assert await load_demo(settings, seed=11, enterprises=600, residents=600, progress=lambda _: None)
    unit = await Unit.select(Unit.id).where(Unit.code == "U07").first()
    assert unit is not None
    username, password, _ = next(a for a in DEMO_ACCOUNTS if a[0] == "unit07")
    page = await site.phone()
    await page.goto("/login")
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', password)
    await page.click("button.primary")
    await expect(page.locator("h1")).to_contain_text("您好")
    await page.goto(f"/scores/units/{unit['id']}")
    await expect(page.locator("section.appraisal-result svg.bars")).to_be_visible()
    await expect(page.locator("table.item-table").first).to_be_visible()
    sizes = await page.evaluate(MEASURE)
    assert sizes["charts"] >= 2, sizes  # the appraisal bars and an answer distribution at least
    assert sizes["small"] == [], sizes
    assert sizes["questions"] > 0 and sizes["narrowest"] >= 150, sizes  # ≈ 10 characters a line
    assert sizes["scroll"] <= sizes["width"], sizes
    await assert_accessible(page, "单位满意度页（手机）")  # the scrolling chart boxes are focusable regions
