"""Building a questionnaire in the browser builder (可视化编辑), as an administrator clicks it.

Shared by tests/e2e/test_builder.py and the new-district walk: `build_district_questionnaire`
starts on the questionnaire list, creates a blank questionnaire, builds a short enterprise
questionnaire with a skip rule (chosen from the menus) and a unit matrix (rows: every active unit,
picked from the unit directory), saves it and publishes it through the diff confirmation.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import expect

from survey_app.db.tables import QuestionnaireVersion

PREVIEW = "iframe.phone-preview"


async def draft_definition(title: str) -> dict:
    """The stored draft of the questionnaire with this title, as the builder saved it."""
    row = await QuestionnaireVersion.select(QuestionnaireVersion.definition).where(
        (QuestionnaireVersion.status == "draft")
        & (QuestionnaireVersion.questionnaire.title == title)
    ).first()
    assert row is not None
    definition = row["definition"]
    return json.loads(definition) if isinstance(definition, str) else definition


async def settled(page: Any) -> None:
    """Wait until the live preview has caught up with the last change (it re-renders the editor
    when the problems it finds change, so clicks wait for it)."""
    await expect(page.locator(PREVIEW)).to_have_attribute("aria-busy", "false")


async def create_blank(page: Any, base_url: str, title: str, audience: str = "enterprise") -> None:
    """From the questionnaire list: 新建问卷 → 新建空白问卷 → the builder."""
    await page.goto(f"{base_url}/questionnaires")
    async with page.expect_navigation():
        await page.get_by_role("link", name="新建问卷").click()
    form = page.locator("#blank form")
    await form.locator("input[name=title]").fill(title)
    await form.locator("select[name=audience]").select_option(audience)
    async with page.expect_navigation():
        await form.get_by_role("button", name="创建并开始编辑").click()
    await expect(page.locator("#b-title")).to_have_value(title)
    await settled(page)


async def add_question(page: Any, section: int, kind: str, label: str) -> str:
    """Add a question of type `kind` at the end of a section; returns its element id prefix."""
    names_before = set(await page.eval_on_selector_all("li.bq", "xs => xs.map(x => x.id)"))
    await page.select_option(f"#b-sec-{section}-newtype", kind)
    await page.click(f"#b-sec-{section}-add")
    ids = await page.eval_on_selector_all("li.bq", "xs => xs.map(x => x.id)")
    [new] = [i for i in ids if i not in names_before]
    await page.fill(f"#{new}-label", label)
    await settled(page)
    return new


async def show_only_when(page: Any, question: str, source: str, answer: str) -> None:
    """Skip logic from the menus: show `question` only when question `source` has `answer`."""
    await page.click(f"#{question}-relevant-add")
    await page.select_option(f"#{question}-relevant-c0-q", source)
    await page.select_option(f"#{question}-relevant-c0-op", "eq")
    await page.select_option(f"#{question}-relevant-c0-v", label=answer)
    await settled(page)


async def save_and_publish(page: Any) -> None:
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("[data-status-text]")).to_contain_text("已保存")
    async with page.expect_navigation():
        await page.get_by_role("button", name="发布…").click()
    await expect(page.locator("#publish-changes")).to_be_visible()  # the diff (or first version)
    await page.check("input[name=confirm]")
    async with page.expect_navigation():
        await page.get_by_role("button", name="确认发布").click()
    await expect(page.locator(".alert.ok")).to_contain_text("已发布")


async def build_district_questionnaire(page: Any, base_url: str, title: str) -> None:
    """Create and publish a questionnaire titled `title` with a skip rule and a matrix rating
    whose rows are all active units; `page` is logged in as an administrator."""
    await create_blank(page, base_url, title)
    await page.fill("#b-sec-0-title", "基本情况")
    await page.fill("#b-q1-label", "过去一年贵企业是否到区级部门办过事？")
    await page.fill("#b-q1-options", "是\n否")
    await page.check("#b-q1-required")
    await settled(page)
    why_not = await add_question(page, 0, "textarea", "没有办过事的原因")
    await show_only_when(page, why_not, "q1", "否")
    await page.click("#b-add-section")
    await page.fill("#b-sec-1-title", "部门服务评价")
    matrix = await add_question(page, 1, "matrix_rating", "请对以下单位的服务打分")
    await page.click(f"#{matrix}-all")
    await show_only_when(page, matrix, "q1", "是")
    opinion = await add_question(page, 1, "textarea", "您对改进营商环境还有什么意见建议？")
    await page.check(f"#{opinion}-opinion")
    await settled(page)
    await save_and_publish(page)
