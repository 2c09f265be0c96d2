"""In Chromium: the main button says whether it submits as the answers change (page 2 is shown
only when q1 is 是), the progress follows, and axe still finds nothing; without JavaScript the
server's last-step notice takes the place of a silent submission."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Site
from tests.e2e.test_accessibility import submit_without_script_checks
from tests.e2e.test_respondent import current_section, expect_thanks, press
from tests.support.campaigns import branching_campaign

pytestmark = pytest.mark.e2e


async def test_button_label_and_progress_follow_the_answer(site: Site) -> None:
    campaign = await branching_campaign()
    page = await site.phone()
    await page.goto(f"/s/{campaign.tokens[0]}")
    button, step = page.locator("[data-main-button]"), page.locator("[data-step-text]")
    await expect(button).to_have_text("下一页")
    await expect(step).to_have_text("第 1 / 2 部分")
    await assert_accessible(page, "branching step, unanswered")

    await page.locator('input[name="q1"][value="no"]').check()
    await expect(button).to_have_text("提交问卷")
    await expect(button).to_have_attribute("value", "submit")
    await expect(step).to_have_text("第 1 / 1 部分")
    await expect(page.locator("progress[data-progress]")).to_have_attribute("max", "1")
    await assert_accessible(page, "branching step, last")

    await page.locator('input[name="q1"][value="yes"]').check()
    await expect(button).to_have_text("下一页")
    await expect(step).to_have_text("第 1 / 2 部分")
    await press(page)
    assert await current_section(page) == "p2"
    await expect(page.locator("[data-main-button]")).to_have_text("提交问卷")

    await press(page, "button.secondary")  # 上一页
    await page.locator('input[name="q1"][value="no"]').check()
    await expect(page.locator("[data-main-button]")).to_have_text("提交问卷")
    await press(page)
    await expect_thanks(page)
    assert site.problems == []


async def test_without_javascript_next_page_shows_the_last_step_notice(site: Site) -> None:
    campaign = await branching_campaign()
    page = await site.phone(javascript=False)
    await page.goto(f"/o/{campaign.open_token}")
    await page.locator('input[name="q1"][value="no"]').check()
    await page.locator('input[name="note1"]').fill("窗口少")
    await press(page)
    await expect(page.locator("#last-step")).to_have_text("这是最后一部分，请检查后点击“提交问卷”")
    await expect(page.locator('input[name="note1"]')).to_have_value("窗口少")
    await expect(page.locator("button.primary")).to_have_text("提交问卷")
    await press(page)
    await expect_thanks(page)
    assert site.problems == []


async def test_last_step_notice_has_no_violations(site: Site) -> None:
    campaign = await branching_campaign()
    page = await site.phone()
    await page.goto(f"/s/{campaign.tokens[0]}")
    await page.locator('input[name="q1"][value="no"]').check()
    await submit_without_script_checks(page)  # no _action: "next", as a page without script
    await expect(page.locator("#last-step")).to_be_visible()
    await expect(page.locator("[data-main-button]")).to_have_text("提交问卷")
    await assert_accessible(page, "last-step notice")
    assert site.problems == []
