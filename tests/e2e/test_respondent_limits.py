"""In Chromium: a text answer's limit is visible and counted live, a paste the browser cuts to
`maxlength` is said so, and a page left open while the campaign closed shows the closed notice
on 下一页 / 提交问卷 instead of asking for answers."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from survey_app.db.tables import Campaign
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Site
from tests.e2e.test_respondent import press
from tests.support.campaigns import branching_campaign, campaign_from_yaml

pytestmark = pytest.mark.e2e

LONG_TEXT = """
id: long-text-{suffix}
title: 意见征集
sections:
  - id: p1
    title: 意见建议
    questions:
      - {{name: opinion, type: textarea, label: 您还有什么意见和建议？, opinion: true}}
"""


async def test_the_limit_is_counted_and_a_cut_paste_is_said(site: Site) -> None:
    campaign = await campaign_from_yaml(LONG_TEXT)
    page = await site.phone()
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                         origin=site.url)
    await page.goto(f"/s/{campaign.tokens[0]}")
    limit, note = page.locator("#l-opinion"), page.locator("#q-opinion [data-limit-note]")
    live = page.locator("#q-opinion [data-count-live]")
    await expect(limit).to_have_text("最多 2000 字，已输入 0/2000 字")
    box = page.locator('textarea[name="opinion"]')
    await box.fill("窗口服务好")
    await expect(limit).to_have_text("最多 2000 字，已输入 5/2000 字")
    await expect(live).to_have_text("已输入 5/2000 字")  # once typing pauses, politely

    await box.fill("")
    await page.evaluate("text => navigator.clipboard.writeText(text)", "办事难" * 850)
    await box.focus()
    await page.keyboard.press("Control+V")
    await expect(note).to_have_text("粘贴的内容超过 2000 字，超出部分未填入")
    assert len(await box.input_value()) == 2000
    await expect(limit).to_have_text("最多 2000 字，已输入 2000/2000 字")
    await assert_accessible(page, "textarea with a cut paste")

    await page.keyboard.press("Backspace")
    await expect(note).to_have_text("")
    assert site.problems == []


@pytest.mark.parametrize("kind", ["invitation", "open"])
async def test_next_page_after_the_close_shows_the_closed_notice(site: Site, kind: str) -> None:
    campaign = await branching_campaign()
    page = await site.phone()
    await page.goto(f"/s/{campaign.tokens[0]}" if kind == "invitation"
                    else f"/o/{campaign.open_token}")
    await expect(page.locator("[data-main-button]")).to_have_text("下一页")
    await Campaign.update({Campaign.status: "closed"}).where(Campaign.id == campaign.campaign_id)
    await press(page)  # nothing answered: the page's own check would ask for q1
    await expect(page.locator("h1")).to_have_text("调查已结束")
    await expect(page.locator("main")).to_contain_text("本次调查已经结束")
    await assert_accessible(page, "closed notice")
    assert site.problems == []
