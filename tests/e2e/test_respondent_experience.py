"""What a respondent sees on a small phone: errors without JavaScript, short rating steps."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from questionnaires.answers import scored_answers
from survey_app.db.tables import Answer
from tests.e2e.conftest import Site
from tests.e2e.test_respondent import (
    answers_with_approval,
    current_section,
    expect_thanks,
    fill_section,
    press,
    stored_answers,
)
from tests.support.campaigns import open_campaign

pytestmark = pytest.mark.e2e

SMALL_PHONE = {"width": 320, "height": 568}
MAX_UNITS_PER_STEP = 8


async def test_without_javascript_the_error_page_lands_on_the_error_summary(site: Site) -> None:
    campaign = await open_campaign()
    page = await site.phone(javascript=False, **SMALL_PHONE)
    await page.goto(f"/s/{campaign.tokens[0]}")
    await press(page)  # 下一页 with nothing answered: the server answers with the errors
    summary = page.locator("#errors")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_in_viewport()  # not below the unchanged intro
    await expect(summary).to_be_focused()  # a screen reader starts reading there
    box = await summary.bounding_box()
    assert box is not None and 0 <= box["y"] < SMALL_PHONE["height"] / 2
    first = summary.locator("a").first
    href = await first.get_attribute("href")
    assert href and href.startswith("#q-")
    await first.click()  # each entry jumps to its question
    await expect(page.locator(href)).to_be_in_viewport()


async def test_unit_ratings_come_a_few_units_per_step_and_all_are_stored(site: Site) -> None:
    campaign = await open_campaign()
    questionnaire = campaign.questionnaire
    answers = answers_with_approval(questionnaire)
    page = await site.phone()
    await page.goto(f"/s/{campaign.tokens[0]}")
    rating_steps = 0
    for _ in range(len(questionnaire.sections)):
        rated = page.locator('[data-type="rating"]:visible, .mrow:visible')
        count = await rated.count()
        assert count <= MAX_UNITS_PER_STEP, f"{await current_section(page)}: {count} ratings"
        rating_steps += (await page.locator(".mrow:visible").count()) > 0
        for row in await page.locator(".mrow:visible").all():  # named for screen readers
            name = await row.get_attribute("aria-labelledby")
            assert name and await page.locator(f'[id="{name}"]').inner_text()
        await fill_section(page, questionnaire, answers)
        await press(page)
        if await page.locator('input[name="_section"]').count() == 0:
            break
    assert rating_steps >= 4  # the 25 units are spread over several short steps
    await expect_thanks(page)
    assert await stored_answers() == [answers]
    department_rows = await Answer.count().where(Answer.question.like("department_rating%"))
    assert department_rows == 17
    unknown = await Answer.count().where(
        Answer.question.like("department_rating%") & Answer.level.is_null())
    expected = sum(1 for a in scored_answers(questionnaire, answers)
                   if a.question.startswith("department_rating") and a.unknown)
    assert unknown == expected  # 不了解 is stored as before: no level
