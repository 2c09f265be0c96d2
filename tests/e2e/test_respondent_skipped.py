"""A phone without JavaScript shows every question of a step, conditional ones too: each says
when it applies, and an answer the respondent's own choice skips is named before it is dropped."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Page, expect

from survey_app.db.tables import Draft
from tests.e2e.conftest import Site
from tests.e2e.test_respondent import current_section, press
from tests.support.campaigns import OPINION, skipping_campaign

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 320, "height": 568}


async def answer_no_with_skipped(page: Page) -> None:
    await page.locator('input[name="q6"][value="no"]').check()
    await page.locator('input[name="q7"][value="4"]').check()
    await page.locator('textarea[name="q10"]').fill(OPINION)


async def test_without_javascript_a_skipped_opinion_is_named_before_it_is_dropped(
    site: Site,
) -> None:
    campaign = await skipping_campaign()
    page = await site.phone(javascript=False, **SMALL_PHONE)
    await page.goto(f"/s/{campaign.tokens[0]}")
    rule = page.locator("#q-q10 .skip-rule")
    await expect(rule).to_be_visible()
    await expect(rule).to_have_text("（第 1 题选“是”时回答本题）")

    await answer_no_with_skipped(page)
    await press(page)  # 下一页: the same step again, with the notice
    notice = page.locator("#skipped")
    await expect(notice).to_be_visible()
    await expect(notice).to_be_in_viewport()  # landed on, as the error summary
    await expect(notice).to_be_focused()
    await expect(notice).to_contain_text("第 3 题只在第 1 题选“是”时回答")
    await expect(notice).to_contain_text("请再点“下一页”")
    assert await current_section(page) == "p1"
    await expect(page.locator('textarea[name="q10"]')).to_have_value(OPINION)  # kept as typed
    await expect(page.locator('input[name="q7"][value="4"]')).to_be_checked()
    await notice.locator('a[href="#q-q10"]').click()
    await expect(page.locator("#q-q10")).to_be_in_viewport()

    await press(page)  # 下一页 again: confirmed
    assert await current_section(page) == "p2"
    drafts = await Draft.select(Draft.answers).run()
    saved = drafts[0]["answers"]
    assert (json.loads(saved) if isinstance(saved, str) else saved) == {"q6": "no"}


async def test_with_javascript_the_rules_and_skipped_questions_stay_out_of_sight(
    site: Site,
) -> None:
    campaign = await skipping_campaign()
    page = await site.phone(**SMALL_PHONE)
    await page.goto(f"/s/{campaign.tokens[0]}")
    await page.locator('input[name="q6"][value="yes"]').check()
    await expect(page.locator("#q-q10 textarea")).to_be_visible()
    await expect(page.locator("#q-q10 .skip-rule")).to_be_hidden()  # survey.js applies it
    await page.locator('textarea[name="q10"]').fill(OPINION)
    await page.locator('input[name="q6"][value="no"]').check()
    await expect(page.locator("#q-q10")).to_be_hidden()
    await press(page)  # survey.js left the hidden question out: no notice, the next step
    assert await current_section(page) == "p2"
