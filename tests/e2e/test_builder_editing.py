"""The builder as people really type into it (click a field, then the keyboard), and two tabs
on one draft: leaving a field that re-draws part of the editor (the validation and display-
condition expressions, the question number) must not lose the field clicked next or what is
typed into it, nor may a preview coming back during an input method's composition; a save
over a draft changed elsewhere is refused with a Chinese explanation, and the page keeps every
edit until the clerk chooses to overwrite."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.e2e.accounts import log_in_as_admin
from tests.e2e.builder_steps import add_question, create_blank, draft_definition, settled
from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e


async def _type_into(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """As a person does it: a click moves the focus (and ends the previous field), then keys."""
    await page.click(selector)
    await page.keyboard.type(text)


async def test_leaving_an_expression_keeps_the_next_field_and_its_text(
    site: Site, make_user
) -> None:
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    title = "边输入边校验的问卷"
    await create_blank(page, site.url, title)
    await page.fill("#b-q1-label", "您的年龄段")
    count = await add_question(page, 0, "number", "贵企业员工人数")
    await _type_into(page, f"#{count}-constraint-expr", ". >= 1")
    await _type_into(page, f"#{count}-constraint-msg", "人数至少为1")
    await expect(page.locator(f"#{count}-constraint-msg")).to_be_focused()
    await expect(page.locator(f"#{count}-constraint-msg")).to_have_value("人数至少为1")
    # The menus follow the typed expression.
    await expect(page.locator(f"#{count}-constraint-rule")).to_have_value("ge")
    # The display condition's expression, then the field after it (the validation rule's hint).
    await _type_into(page, f"#{count}-relevant-expr", "${q1} = '1'")
    await _type_into(page, f"#{count}-constraint-msg", "，请重填")
    await expect(page.locator(f"#{count}-constraint-msg")).to_have_value("人数至少为1，请重填")
    await expect(page.locator(f"#{count}-relevant-c0-q")).to_have_value("q1")
    # A new question number (高级设置), then straight to the hint.
    await page.click(f"#{count} details.badvanced > summary")
    await page.fill(f"#{count}-name", "")
    await _type_into(page, f"#{count}-name", "staff")
    await _type_into(page, f"#{count}-hint", "含派遣人员")
    await expect(page.locator("#b-staff-hint")).to_be_focused()
    await expect(page.locator("#b-staff-hint")).to_have_value("含派遣人员")
    await settled(page)
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("[data-status-text]")).to_contain_text("已保存")
    saved = (await draft_definition(title))["sections"][0]["questions"][1]
    assert saved["name"] == "staff"
    assert saved["constraint"] == ". >= 1"
    assert saved["constraint_message"] == "人数至少为1，请重填"
    assert saved["relevant"] == "${q1} = '1'"
    assert saved["hint"] == "含派遣人员"


async def test_a_second_tab_does_not_silently_overwrite_the_first(site: Site, make_user) -> None:
    tab1 = await site.phone(width=1280, height=900)
    await log_in_as_admin(tab1, make_user)
    title = "两个标签页的问卷"
    await create_blank(tab1, site.url, title)
    await tab1.fill("#b-q1-label", "贵企业所在街道")
    await settled(tab1)
    await tab1.get_by_role("button", name="保存草稿").click()
    await expect(tab1.locator("[data-status-text]")).to_contain_text("已保存")

    tab2 = await tab1.context.new_page()  # the same draft, opened again
    await tab2.goto(tab1.url)
    await settled(tab2)
    await _type_into(tab1, "#b-q1-hint", "按营业执照填写")
    await settled(tab1)
    await tab1.get_by_role("button", name="保存草稿").click()
    await expect(tab1.locator("[data-status-text]")).to_contain_text("已保存")

    await _type_into(tab2, "#b-q1-label", "（注册地）")
    await settled(tab2)
    await tab2.get_by_role("button", name="保存草稿").click()
    status = tab2.locator("[data-status-text]")
    await expect(status).to_contain_text("没有保存：这份草稿已在别处修改（admin1，")
    await expect(status).to_contain_text("您的修改仍在本页")
    await expect(tab2.locator("#b-q1-label")).to_have_value("贵企业所在街道（注册地）")
    stored = (await draft_definition(title))["sections"][0]["questions"][0]
    assert stored == {**stored, "label": "贵企业所在街道", "hint": "按营业执照填写"}

    # Reloaded, the page offers this browser's copy of the edits; restored, they still may not
    # replace the other tab's change without asking.
    url, context = tab2.url, tab2.context
    await tab2.close()
    tab2 = await context.new_page()
    await tab2.goto(url)
    status = tab2.locator("[data-status-text]")
    await expect(tab2.locator("#b-q1-hint")).to_have_value("按营业执照填写")
    await status.get_by_role("button", name="恢复这些修改").click()
    await expect(tab2.locator("#b-q1-label")).to_have_value("贵企业所在街道（注册地）")
    await settled(tab2)
    await tab2.get_by_role("button", name="保存草稿").click()
    await expect(status).to_contain_text("没有保存：这份草稿已在别处修改（admin1，")
    await status.get_by_role("button", name="仍然保存（覆盖对方的修改）").click()
    await expect(status).to_contain_text("已保存")
    stored = (await draft_definition(title))["sections"][0]["questions"][0]
    assert stored["label"] == "贵企业所在街道（注册地）" and "hint" not in stored


async def test_the_preview_does_not_break_an_input_method_composition(
    site: Site, make_user
) -> None:
    """Chinese is typed through an input method: pinyin is composed in the field, then turned
    into characters. A preview coming back meanwhile with new problems must not re-draw the
    field under the composition."""
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    await create_blank(page, site.url, "用输入法输入的问卷")
    cdp = await page.context.new_cdp_session(page)
    await page.fill("#b-q1-label", "")  # a problem the next preview will mark
    await page.click("#b-q1-hint")
    await cdp.send("Input.imeSetComposition", {"text": "ren", "selectionStart": 3,
                                               "selectionEnd": 3})
    await expect(page.locator("[data-preview-status]")).to_contain_text("处问题")  # it came
    await cdp.send("Input.insertText", {"text": "人数"})
    await expect(page.locator("#b-q1-hint")).to_have_value("人数")
    await expect(page.locator("#b-q1-hint")).to_be_focused()
    await expect(page.locator("#b-q1-toggle .bq-flag.bad")).to_be_visible()  # marked afterwards


async def test_a_text_question_asking_for_a_phone_number_says_it_will_be_masked(
    site: Site, make_user
) -> None:
    """Text answers are masked before they are stored (手机号 → 【手机号】): a clerk who asks
    for a phone number in a question is told so while typing the label, not after the survey."""
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    await create_blank(page, site.url, "需要联系方式的问卷")
    await page.fill("#b-q1-label", "贵企业所属行业")
    phone = await add_question(page, 0, "text", "企业名称")
    note = page.locator(f"#{phone}-masked")
    await expect(note).to_be_hidden()
    await page.fill(f"#{phone}-label", "")
    await _type_into(page, f"#{phone}-label", "联系电话")
    await expect(note).to_be_visible()
    await expect(note).to_contain_text("会在保存前自动遮盖")
    await expect(page.locator(f"#{phone}-label")).to_be_focused()  # typing goes on
    await page.fill(f"#{phone}-label", "企业名称")
    await expect(note).to_be_hidden()
