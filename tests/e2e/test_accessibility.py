"""axe-core finds no WCAG 2.1 A/AA violation on any respondent page, in any state."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from survey_app.db.tables import Campaign
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Site
from tests.e2e.test_respondent import (
    answers_where,
    answers_with_approval,
    current_section,
    expect_thanks,
    fill_section,
    press,
)
from tests.e2e.test_respondent_skipped import answer_no_with_skipped
from tests.support.campaigns import open_campaign, skipping_campaign

pytestmark = pytest.mark.e2e

SHIPPED = ["enterprise-business-environment", "resident-social-satisfaction",
           "livelihood-projects"]


async def submit_without_script_checks(page: Page) -> None:
    """The form as a browser without JavaScript sends it (survey.js checks nothing)."""
    async with page.expect_navigation():
        await page.evaluate("document.querySelector('form').submit()")


@pytest.mark.parametrize("code", SHIPPED)
async def test_every_step_errors_and_thanks_have_no_violations(site: Site, code: str) -> None:
    campaign = await open_campaign(code)
    questionnaire = campaign.questionnaire
    answers = (answers_with_approval(questionnaire) if code == SHIPPED[0]
               else answers_where(questionnaire, lambda a: True))
    page = await site.phone()
    await page.goto(f"/s/{campaign.tokens[0]}")
    await assert_accessible(page, f"{code}: first step")

    await submit_without_script_checks(page)  # nothing answered: the server lists the errors
    await expect(page.locator("#errors")).to_be_visible()
    await assert_accessible(page, f"{code}: first step with errors")

    for _ in range(len(questionnaire.sections)):
        section = await current_section(page)
        await fill_section(page, questionnaire, answers)
        await assert_accessible(page, f"{code}: step {section} answered")
        await press(page)
        if await page.locator('input[name="_section"]').count() == 0:
            break
        await assert_accessible(page, f"{code}: step {await current_section(page)}")
    await expect_thanks(page)
    await assert_accessible(page, f"{code}: thank-you page")

    await page.goto(f"/s/{campaign.tokens[0]}")
    await expect(page.locator("h1")).to_have_text("已经提交过了")
    await assert_accessible(page, f"{code}: used link")


async def test_link_refusals_and_open_link_have_no_violations(site: Site) -> None:
    campaign = await open_campaign()
    page = await site.phone()
    await page.goto("/s/" + "x" * 24)
    await assert_accessible(page, "unknown link")

    await page.goto(f"/o/{campaign.open_token}")
    await expect(page.locator('input[name="_submission_id"]')).to_have_count(1)
    await assert_accessible(page, "open link")

    await Campaign.update({Campaign.status: "closed"}).where(Campaign.id == campaign.campaign_id)
    await page.goto(f"/s/{campaign.tokens[1]}")
    await expect(page.locator("h1")).to_have_text("调查已结束")
    await assert_accessible(page, "closed link")


async def test_the_skipped_answers_notice_has_no_violations(site: Site) -> None:
    """The notice a page without JavaScript gets (axe needs scripts: survey.js is kept out)."""
    campaign = await skipping_campaign()
    page = await site.phone()
    await page.route("**/static/js/survey.*", lambda route: route.abort())
    await page.goto(f"/s/{campaign.tokens[0]}")
    await expect(page.locator("#q-q10 .skip-rule")).to_be_visible()
    await assert_accessible(page, "step with written skip rules")
    await answer_no_with_skipped(page)
    await press(page)
    await expect(page.locator("#skipped")).to_be_focused()
    await assert_accessible(page, "step with the skipped-answers notice")


async def test_the_check_finds_what_the_old_pages_had(site: Site) -> None:
    """The check itself: the faults the respondent pages used to have are reported."""
    campaign = await open_campaign()
    page = await site.phone()
    await page.goto(f"/s/{campaign.tokens[0]}")
    await page.evaluate("""() => {
      const form = document.querySelector('form');
      form.insertAdjacentHTML('beforeend',
        '<select name="street"><option>城关街道</option></select><textarea name="x"></textarea>');
      const note = document.createElement('p');  // styled through the CSSOM: CSP allows that
      note.textContent = '本调查由区绩效考核办公室组织';
      note.style.color = '#6b7785';
      note.style.background = '#f7f3ee';
      form.append(note);
    }""")
    from tests.e2e.axe import axe_violations

    found = {v["id"] for v in await axe_violations(page)}
    assert {"select-name", "label", "color-contrast"} <= found
