"""Issue 12 in headless Chromium: the performance office uploads indicator data, reads the
validation report, computes a draft, reads its diff and publishes; a unit sees only the
published result. Data are seeded with the test-side engine; everything else is clicked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from survey_app.db.tables import AppraisalRun, Campaign
from survey_app.services import appraisal, score_runs, scores
from tests.db.test_scores_seed import Stratum, seed_campaign
from tests.e2e.accounts import sign_in
from tests.e2e.conftest import Site
from tests.web.test_appraisal_workflow import SCHEME, UNITS, full_rows, indicator_csv

pytestmark = pytest.mark.e2e


async def desktop(site: Site) -> Page:
    context = await site.browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=site.url
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    site._watch(page)
    return page


async def upload(page: Page, name: str, content: bytes) -> None:
    await page.goto("/appraisal/inputs")
    await page.set_input_files(
        'input[name="file"]', files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    await page.click("form.upload-form button.primary")


async def test_office_uploads_computes_reviews_and_publishes(
    site: Site, make_user: Any, make_unit: Any
) -> None:
    ids = {code: await make_unit(code, name) for code, name in UNITS}
    await seed_campaign(strata=(Stratum("大型", 40, 16), Stratum("小型", 300, 40)), respondents=(14, 36))
    await Campaign.update({Campaign.status: "closed"}).where(Campaign.code == "c2026q3")
    await score_runs.compute_scores(
        scores.ScoreOptions("2026-Q3", "enterprise"), actor_id=None, actor_name="t"
    )
    office_id = await make_user("office1", "office")
    await make_user("unit03", "unit_viewer", unit_code="U03")
    await appraisal.save_scheme(SCHEME, "首版", actor_id=office_id, actor_name="office1", ip="")

    office = await desktop(site)
    await sign_in(office, "office1")
    await expect(office.locator("section.appraisal-panel")).to_have_count(0)  # nothing to do yet

    # 1. a file with mistakes: the validation report lists them per cell, nothing is stored
    await upload(office, "有错误.csv", "单位,期间,重点工作\nU03,Q3,九十\nU99,Q3,80\n".encode())
    report = office.locator("section.validation-report")
    await expect(report).to_contain_text("「九十」不是数字")
    await expect(report).to_contain_text("单位「U99」不在单位名录中")
    await expect(office.locator("table.uploads")).to_contain_text("还没有上传过指标数据")

    # 2. the full table: a preview of the changes, then saved on confirmation
    await upload(office, "指标数据.csv", indicator_csv(full_rows()))
    await expect(office.locator("section.upload-preview")).to_contain_text("应用后将写入 50 个新值或改动")
    await office.click("text=确认保存这些改动")
    await expect(office.locator("table.uploads")).to_contain_text("已应用")

    # 3. 计算 → a draft nobody outside the office sees
    await office.goto("/appraisal")
    await office.select_option('select[name="scheme"]', index=1)  # after the empty choice
    await expect(office.locator('input[name="periods"][value="Q3"]')).to_be_checked()
    await office.click("text=计算（生成草稿）")
    await expect(office.locator("section.run-state")).to_contain_text("草稿")
    await expect(office.locator("section.run-state")).to_contain_text("本年度还没有发布过结果")
    await office.click("form.publish-form button.primary")
    await expect(office.locator("section.run-state")).to_contain_text("已发布")
    published_total = office.locator("table.results tr", has_text="区公安分局").locator("td.num").nth(1)
    shown_published = (await published_total.inner_text()).strip()

    # 4. a one-cell correction: only that cell changes; the new draft's diff says why
    await upload(office, "补录.csv", "单位,期间,重点工作\nU03,Q3,99\n".encode())
    await expect(office.locator("section.upload-preview")).to_contain_text("应用后将写入 1 个新值或改动")
    await office.click("text=确认保存这些改动")
    await office.goto("/appraisal")
    await office.select_option('select[name="scheme"]', index=1)  # after the empty choice
    await office.click("text=计算（生成草稿）")
    diff = office.locator("table.diff")
    await expect(diff).to_contain_text("区公安分局")
    await expect(diff).to_contain_text("Q3「重点工作」68 → 99")
    assert await AppraisalRun.count().where(AppraisalRun.status == "draft") == 1

    # 5. the unit sees the published result, not the draft
    unit = await desktop(site)
    await sign_in(unit, "unit03")
    await unit.goto(f"/scores/units/{ids['U03']}")
    result = unit.locator("section.appraisal-result")
    await expect(result).to_contain_text("年度考核（已发布）")
    await expect(result).to_contain_text(shown_published)
    draft_total = office.locator("table.results tr", has_text="区公安分局").locator("td.num").nth(1)
    assert (await draft_total.inner_text()).strip() != shown_published


PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")


async def test_the_unit_report_prints_on_at_most_two_a4_pages(site: Site, settings: Any) -> None:
    """Repro: the printed unit report ran to 5 A4 pages with near-blank pages, one-character
    columns and raw keys (approval_items__attitude)."""
    from survey_app.db.tables import Unit
    from survey_app.demo.loader import DEMO_ACCOUNTS, load_demo

    assert await load_demo(settings, seed=11, enterprises=600, residents=600, progress=lambda _: None)
    unit = await Unit.select(Unit.id).where(Unit.code == "U07").first()
    assert unit is not None
    username, password, _ = next(a for a in DEMO_ACCOUNTS if a[0] == "unit07")
    page = await desktop(site)
    await page.goto("/login")
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', password)
    await page.click("button.primary")
    await page.goto(f"/scores/units/{unit['id']}/report")
    await expect(page.locator("section.appraisal-result")).to_contain_text("年度考核（已发布）")
    text = await page.locator("main").inner_text()
    assert "__" not in text, "raw item keys in the report"
    await page.emulate_media(media="print")
    pdf = await page.pdf(format="A4", print_background=False)
    pages = len(PDF_PAGE.findall(pdf))
    assert 1 <= pages <= 2, f"the report prints on {pages} A4 pages"
