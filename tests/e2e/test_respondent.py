"""The respondent pages in headless Chromium on a phone-sized screen, against a live server.

Answers come from simulate_answers (valid by construction) and are entered by tapping the
options a respondent sees; what the server stored is then read back from the database.
"""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, Request, expect

from questionnaires.answers import relevant_answers, scored_answers
from questionnaires.flow import visible_sections
from questionnaires.model import Question, Questionnaire, QuestionType
from survey_app.db.queries._rows import json_value
from survey_app.db.tables import Answer, Draft, Response
from survey_app.demo.answers import simulate_answers
from tests.e2e.conftest import Site
from tests.support.campaigns import OpenCampaign, open_campaign

pytestmark = pytest.mark.e2e

CHOICE_LIKE = {QuestionType.SINGLE_CHOICE, QuestionType.RATING, QuestionType.SCALE10}
TYPED = {QuestionType.NUMBER, QuestionType.TEXT, QuestionType.TEXTAREA, QuestionType.DATE}
APPROVAL_DEPENDENTS = ("approval_items", "approval_visits", "approval_problems", "approval_opinion")
RECEIPT = re.compile(r"^\d{6}-[0-9A-F]{8}$")

# --- answers -----------------------------------------------------------------------------------


def answers_where(
    questionnaire: Questionnaire, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The first simulated respondent (seeds 0, 1, …) whose answers satisfy `wanted`."""
    for seed in range(500):
        answers = relevant_answers(questionnaire, simulate_answers(questionnaire, random.Random(seed)))
        if wanted(answers):
            return answers
    raise AssertionError("no simulated respondent fits")


def answers_without_approval(questionnaire: Questionnaire) -> dict[str, Any]:
    return answers_where(questionnaire, lambda a: a["used_approval"] == "no")


def answers_with_approval(questionnaire: Questionnaire) -> dict[str, Any]:
    return answers_where(questionnaire, lambda a: a["used_approval"] == "yes")


# --- driving the pages -------------------------------------------------------------------------


async def tap_option(page: Page, name: str, value: object) -> None:
    await page.locator(f'label.opt:has(input[name="{name}"][value="{value}"])').tap()


async def answer_question(page: Page, question: Question, value: Any) -> None:
    """Enter one answer the way a respondent does: tap options, pick from a list, or type."""
    await expect(page.locator(f'[data-question="{question.name}"]')).to_be_visible()
    if question.type in CHOICE_LIKE:
        await tap_option(page, question.name, value)
    elif question.type == QuestionType.MULTIPLE_CHOICE:
        for item in value:
            await tap_option(page, question.name, item)
    elif question.type == QuestionType.MATRIX_RATING:
        for row, level in value.items():
            await tap_option(page, f"{question.name}__{row}", level)
    elif question.type == QuestionType.DROPDOWN:
        await page.locator(f'select[name="{question.name}"]').select_option(str(value))
    elif question.type in TYPED:
        await page.locator(f'[name="{question.name}"]').fill(str(value))
    else:
        raise AssertionError(f"no way to answer {question.type}")


async def expect_answer_shown(page: Page, question: Question, value: Any) -> None:
    """The page shows `value` as the answer given (restored from the draft)."""
    def option(name: str, item: object) -> Any:
        return page.locator(f'input[name="{name}"][value="{item}"]')

    if question.type in CHOICE_LIKE:
        await expect(option(question.name, value)).to_be_checked()
    elif question.type == QuestionType.MULTIPLE_CHOICE:
        for item in value:
            await expect(option(question.name, item)).to_be_checked()
    elif question.type == QuestionType.MATRIX_RATING:
        for row, level in value.items():
            await expect(option(f"{question.name}__{row}", level)).to_be_checked()
    else:
        await expect(page.locator(f'[name="{question.name}"]')).to_have_value(str(value))


async def current_section(page: Page) -> str:
    section = await page.locator('input[name="_section"]').get_attribute("value")
    assert section, "not a questionnaire step"
    return section


async def fill_section(page: Page, questionnaire: Questionnaire, answers: dict[str, Any]) -> str:
    section_id = await current_section(page)
    for question in questionnaire.section(section_id).questions:
        if question.name in answers:
            await answer_question(page, question, answers[question.name])
    return section_id


async def press(page: Page, button: str = "button.primary") -> None:
    """Tap a navigation button and wait for the page the server answers with."""
    async with page.expect_navigation():
        await page.locator(button).tap()


async def next_step(page: Page, questionnaire: Questionnaire, answers: dict[str, Any]) -> str:
    await fill_section(page, questionnaire, answers)
    await press(page)
    return await current_section(page)


async def walk_survey(
    page: Page,
    questionnaire: Questionnaire,
    answers: dict[str, Any],
    on_step: Callable[[Page], Awaitable[None]] | None = None,
) -> list[str]:
    """Answer every step from the current one to the end; returns the sections seen."""
    seen: list[str] = []
    for _ in range(len(questionnaire.sections)):
        seen.append(await fill_section(page, questionnaire, answers))
        if on_step is not None:
            await on_step(page)
        await press(page)
        if await page.locator('input[name="_section"]').count() == 0:
            return seen
    raise AssertionError(f"the survey did not end after the sections {seen}")


async def reach_last_step(page: Page, questionnaire: Questionnaire, answers: dict[str, Any]) -> None:
    last = visible_sections(questionnaire, answers)[-1]
    while await current_section(page) != last:
        await next_step(page, questionnaire, answers)
    await fill_section(page, questionnaire, answers)


async def expect_thanks(page: Page) -> str:
    await expect(page.locator("h1")).to_have_text("谢谢您的参与！")
    code = page.locator(".receipt b")
    await expect(code).to_have_text(RECEIPT)
    return await code.inner_text()


async def start(site: Site, **context: Any) -> tuple[OpenCampaign, Page]:
    campaign = await open_campaign()
    page = await site.phone(**context)
    await page.goto(f"/s/{campaign.tokens[0]}")
    return campaign, page


def record_posts(page: Page, path: str) -> list[str]:
    """URLs of the form POSTs (not autosaves) the page sends to `path`."""
    posts: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST" and request.url.split("?")[0].endswith(path):
            posts.append(request.url)

    page.on("request", seen)
    return posts


# --- reading back what the server stored -------------------------------------------------------


async def stored_answers() -> list[dict[str, Any]]:
    rows = await Response.select(Response.answers).order_by(Response.id)
    return [json_value(row["answers"], {}) for row in rows]


async def draft_answers() -> dict[str, Any]:
    row = await Draft.select(Draft.answers).first()
    assert row is not None, "no draft saved"
    return dict(json_value(row["answers"], {}))


# --- tests -------------------------------------------------------------------------------------


async def test_answering_no_hides_the_approval_matrix_at_once_and_stores_none_of_it(
    site: Site,
) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_without_approval(questionnaire)
    assert await next_step(page, questionnaire, answers) == "approval"
    matrix = page.locator('[data-question="approval_items"]')
    posts = record_posts(page, f"/s/{campaign.tokens[0]}")

    await tap_option(page, "used_approval", "yes")
    await expect(matrix).to_be_visible()
    await tap_option(page, "approval_items__attitude", 5)  # given, then made irrelevant
    await tap_option(page, "used_approval", "no")
    await expect(matrix).to_be_hidden()
    await expect(page.locator('input[name="approval_items__attitude"]').first).to_be_disabled()
    for name in APPROVAL_DEPENDENTS[1:]:
        await expect(page.locator(f'[data-question="{name}"]')).to_be_hidden()
    assert posts == [], "skip logic made a round trip"

    await walk_survey(page, questionnaire, answers)
    await expect_thanks(page)
    assert await stored_answers() == [answers]
    assert await Answer.count().where(Answer.question == "approval_items") == 0
    assert await Answer.count() == len(scored_answers(questionnaire, answers)) > 0


async def test_answering_yes_shows_the_approval_matrix_and_stores_its_rows(site: Site) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_with_approval(questionnaire)
    await next_step(page, questionnaire, answers)
    matrix = page.locator('[data-question="approval_items"]')
    await expect(matrix).to_be_hidden()  # nothing answered yet: its condition is false
    await tap_option(page, "used_approval", "yes")
    await expect(matrix).to_be_visible()

    await walk_survey(page, questionnaire, answers)
    await expect_thanks(page)
    stored = await stored_answers()
    assert stored == [answers]
    assert len(stored[0]["approval_items"]) == 4
    assert await Answer.count().where(Answer.question == "approval_items") == 4


async def test_double_tap_and_resending_the_final_page_store_one_response(site: Site) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_without_approval(questionnaire)
    await reach_last_step(page, questionnaire, answers)
    posts = record_posts(page, f"/s/{campaign.tokens[0]}")

    # Chromium folds the two taps into one POST (or aborts the first navigation for the
    # second: waiting for "a" navigation raced with that), so wait for the thank-you page ...
    await page.locator('button.primary[value="submit"]').dblclick()
    receipt = await expect_thanks(page)
    sent = len(posts)
    await page.reload()  # ... but a reload sends the same POST again ("resubmit the form?")
    assert len(posts) == sent + 1
    assert await expect_thanks(page) == receipt
    assert await stored_answers() == [answers]
    assert await Answer.count() == len(scored_answers(questionnaire, answers))


async def test_two_simultaneous_final_posts_get_one_response_and_the_same_receipt(
    site: Site,
) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_with_approval(questionnaire)
    await reach_last_step(page, questionnaire, answers)
    replies = await page.evaluate("""async () => {
        const form = document.querySelector('form[data-survey]');
        const button = form.querySelector('button[value="submit"]');
        const send = () => fetch(form.action, {
            method: 'POST', credentials: 'same-origin',
            body: new URLSearchParams(new FormData(form, button)),
        }).then(async (r) => [r.status, await r.text()]);
        return Promise.all([send(), send()]);
    }""")
    codes = [match.group(1) if (match := re.search(r"回执编号：<b>([^<]+)</b>", text)) else ""
             for _, text in replies]
    assert [status for status, _ in replies] == [200, 200]
    assert codes[0] == codes[1] and RECEIPT.match(codes[0])
    assert await stored_answers() == [answers]


async def test_reload_midway_stays_on_the_step_and_keeps_earlier_answers(site: Site) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_with_approval(questionnaire)
    assert await next_step(page, questionnaire, answers) == "approval"
    await page.reload()
    assert await current_section(page) == "approval"
    await expect(page.locator(".step")).to_have_text(re.compile(r"^第 2 / \d+ 部分$"))

    other_phone = await site.phone()  # the bare link, on another device, resumes there too
    await other_phone.goto(f"/s/{campaign.tokens[0]}")
    assert await current_section(other_phone) == "approval"

    await press(page, 'button[value="prev"]')
    assert await current_section(page) == "basic"
    basic = questionnaire.section("basic").questions
    given = [q for q in basic if q.name in answers]
    assert len(given) >= 4
    for question in given:
        await expect_answer_shown(page, question, answers[question.name])


async def test_autosave_confirms_and_keeps_a_changed_answer(site: Site) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_with_approval(questionnaire)
    await next_step(page, questionnaire, answers)
    status = page.locator("[data-autosave-status]")
    await expect(status).to_have_text("")

    await tap_option(page, "used_approval", "yes")
    await tap_option(page, "approval_items__efficiency", 2)
    await expect(status).to_have_text("已自动保存", timeout=15_000)
    draft = await draft_answers()
    assert draft["used_approval"] == "yes"
    assert draft["approval_items"] == {"efficiency": 2}
    assert draft["industry"] == answers["industry"]  # the first page is still there

    await page.reload()  # never left the page with a button: only the autosave kept this
    await expect(page.locator('input[name="used_approval"][value="yes"]')).to_be_checked()
    await expect(page.locator('input[name="approval_items__efficiency"][value="2"]')).to_be_checked()


async def test_without_javascript_the_server_steps_validate_and_complete(site: Site) -> None:
    campaign, page = await start(site, javascript=False)
    questionnaire = campaign.questionnaire
    answers = answers_without_approval(questionnaire)

    await press(page)  # nothing answered: the server sends the step back with messages
    await expect(page.locator(".alert.error")).to_contain_text("处需要修改")
    await expect(page.locator('[data-question="industry"] [data-error]')).to_have_text("此题为必答题")
    assert await current_section(page) == "basic"

    assert await next_step(page, questionnaire, answers) == "approval"
    matrix = page.locator('[data-question="approval_items"]')
    await expect(matrix).to_be_visible()  # no script hides it here; the server ignores it
    await tap_option(page, "approval_items__attitude", 1)
    await walk_survey(page, questionnaire, answers)
    await expect_thanks(page)
    assert await stored_answers() == [answers]
    assert await Answer.count().where(Answer.question == "approval_items") == 0


async def test_inline_validation_shows_the_message_without_a_round_trip(site: Site) -> None:
    campaign, page = await start(site)
    posts = record_posts(page, f"/s/{campaign.tokens[0]}")
    first_url = page.url
    industry = page.locator('[data-question="industry"]')

    await page.locator("button.primary").tap()
    await expect(industry.locator("[data-error]")).to_have_text("此题为必答题")
    await expect(industry).to_have_class(re.compile(r"\bhas-error\b"))
    await expect(page.locator('[data-question="years"] [data-error]')).to_have_text("")  # optional
    await expect(page.locator("input[name=industry]").first).to_be_focused()
    await page.wait_for_timeout(300)  # room for a navigation that must not happen
    assert posts == [] and page.url == first_url
    await expect(page.locator(".alert.error")).to_have_count(0)  # no server round trip

    await tap_option(page, "industry", "it")  # answering clears the message at once
    await expect(industry.locator("[data-error]")).to_have_text("")
    await expect(industry).not_to_have_class(re.compile(r"\bhas-error\b"))


async def test_inline_validation_uses_the_questionnaires_own_message(site: Site) -> None:
    campaign, page = await start(site)
    questionnaire = campaign.questionnaire
    answers = answers_without_approval(questionnaire)
    await next_step(page, questionnaire, answers)
    assert await next_step(page, questionnaire, answers) == "tax"
    posts = record_posts(page, f"/s/{campaign.tokens[0]}")
    reason = page.locator('[data-question="tax_reason"]')
    await tap_option(page, "used_tax", "yes")
    await tap_option(page, "tax_rating", 2)  # 不满意: the reason becomes required
    await expect(reason).to_be_visible()
    await page.locator("button.primary").tap()
    await expect(reason.locator("[data-error]")).to_have_text("请说明不满意的原因，以便有关单位整改")
    assert posts == []
    await tap_option(page, "tax_rating", 4)  # 满意: the follow-up disappears with its message
    await expect(reason).to_be_hidden()


async def test_no_page_scrolls_sideways_at_320_pixels(site: Site) -> None:
    campaign, page = await start(site, width=320, height=568)
    questionnaire = campaign.questionnaire
    answers = answers_where(
        questionnaire,
        lambda a: all(a.get(k) == "yes" for k in ("used_approval", "used_tax", "inspected",
                                                    "has_project")),
    )
    widths: dict[str, int] = {}

    cut: list[str] = []

    async def measure(step: Page) -> None:
        widths[await current_section(step)] = await step.evaluate(
            "document.documentElement.scrollWidth"
        )
        cut.extend(await step.evaluate(  # options whose label spills out of the tap target
            "Array.from(document.querySelectorAll('.opt'))"
            ".filter((o) => o.scrollWidth > o.clientWidth).map((o) => o.textContent)"
        ))

    seen = await walk_survey(page, questionnaire, answers, on_step=measure)
    widths["thanks"] = await page.evaluate("document.documentElement.scrollWidth")
    assert seen == [s.id for s in questionnaire.sections]  # every kind of question was shown
    assert all(width <= 320 for width in widths.values()), widths
    assert cut == []
