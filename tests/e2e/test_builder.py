"""The questionnaire builder in headless Chromium: a questionnaire clicked together from a blank
one (single choice, text, a section, a skip rule from the menus, a unit matrix picked from the
unit directory), undo, the live phone preview, located Chinese errors, save, publish through the
diff confirmation; the published definition holds the rule and the matrix rows. The page passes
axe and fits a phone."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from survey_app.db.tables import QuestionnaireVersion
from tests.e2e.accounts import log_in_as_admin, sign_in
from tests.e2e.axe import assert_accessible
from tests.e2e.builder_steps import (
    PREVIEW,
    add_question,
    build_district_questionnaire,
    create_blank,
    draft_definition,
    save_and_publish,
    settled,
    show_only_when,
)
from tests.e2e.conftest import Site

pytestmark = pytest.mark.e2e

UNITS = [("U01", "区发展和改革局", "职能部门"), ("U02", "区行政审批局", "职能部门"),
         ("U03", "区市场监督管理局", "职能部门"), ("S01", "城关街道办事处", "街道"),
         ("S02", "江南街道办事处", "街道")]


async def _units(make_unit) -> None:  # type: ignore[no-untyped-def]
    for code, name, category in UNITS:
        await make_unit(code, name, category)


async def _published_definition(title: str) -> dict:
    row = await QuestionnaireVersion.select(QuestionnaireVersion.definition).where(
        (QuestionnaireVersion.status == "published")
        & (QuestionnaireVersion.questionnaire.title == title)
    ).first()
    assert row is not None, "nothing published"
    definition = row["definition"]
    return json.loads(definition) if isinstance(definition, str) else definition


async def test_build_preview_undo_save_and_publish(site: Site, make_user, make_unit) -> None:
    await _units(make_unit)
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    title = "停车服务满意度调查"
    await create_blank(page, site.url, title, audience="resident")
    preview = page.frame_locator(PREVIEW)

    # A single-choice question: options pasted one per line; the preview follows.
    await page.fill("#b-sec-0-title", "基本情况")
    await page.fill("#b-q1-label", "您近一年是否使用过公共停车场？")
    await page.fill("#b-q1-options", "是\n否\n")
    await settled(page)
    await expect(preview.locator("legend", has_text="您近一年是否使用过公共停车场？")).to_be_visible()
    await expect(preview.locator("#q-q1 label.opt")).to_have_text(["是", "否"])

    # A text question shown only when the first answer is 是, chosen from the menus.
    text = await add_question(page, 0, "text", "您常用哪个停车场？")
    await show_only_when(page, text, "q1", "是")
    await expect(page.locator(f"#{text}-relevant-expr")).to_have_value("${q1} = '1'")
    await expect(preview.locator("#q-q2")).to_be_hidden()
    await preview.locator("#q-q1 label.opt", has_text="是").click()
    await expect(preview.locator("#q-q2")).to_be_visible()  # skip logic live in the preview

    # A section with a unit-rating matrix: a whole class plus one unit of another.
    await page.click("#b-add-section")
    await page.fill("#b-sec-1-title", "停车服务评价")
    matrix = await add_question(page, 1, "matrix_rating", "请评价以下单位的停车管理")
    group = page.locator(f"#{matrix} fieldset.bunit-group", has_text="职能部门")
    await group.get_by_role("button", name="全选本类：职能部门").click()
    await page.check(f"#{matrix}-u-S02")
    await settled(page)
    await expect(preview.locator("#q-q3 .mlabel")).to_have_text(
        ["江南街道办事处", "区发展和改革局", "区行政审批局", "区市场监督管理局"])  # directory order

    # Undo: a question added by mistake goes away again.
    count = await page.locator("li.bq").count()
    await page.select_option("#b-sec-1-newtype", "date")
    await page.click("#b-sec-1-add")
    await expect(page.locator("li.bq")).to_have_count(count + 1)
    await page.get_by_role("button", name="撤销").click()
    await expect(page.locator("li.bq")).to_have_count(count)
    await expect(page.locator("[data-status-text]")).to_have_text("已撤销上一步修改")

    # An error is shown in Chinese with its place, and nothing typed is lost.
    await page.click("#b-q1-toggle")
    await page.fill("#b-q1-label", "")
    await page.get_by_role("button", name="保存草稿").click()
    problems = page.locator("[data-problems]")
    await expect(problems).to_contain_text(
        "第 1 部分「基本情况」第 1 题（未填题目文字）的题目文字：缺少题目文字")
    await expect(page.locator("li.bq")).to_have_count(count)  # the draft is kept as it was
    await expect(page.locator("#b-q1-options")).to_have_value("是\n否")
    await page.fill("#b-q1-label", "您近一年是否使用过公共停车场？")
    await settled(page)
    await expect(problems).to_be_hidden()
    await assert_accessible(page, "builder with a matrix open")

    await save_and_publish(page)
    definition = await _published_definition(title)
    first, second = definition["sections"]
    assert [q["name"] for q in first["questions"]] == ["q1", "q2"]
    assert first["questions"][1]["relevant"] == "${q1} = '1'"
    assert first["questions"][0]["options"] == [{"value": "1", "label": "是"},
                                                {"value": "2", "label": "否"}]
    [rows_question] = second["questions"]
    assert [r["unit"] for r in rows_question["rows"]] == ["S02", "U01", "U02", "U03"]
    assert "required" not in first["questions"][1]  # compact: defaults are omitted


async def test_builder_fits_a_phone_and_works_by_keyboard(site: Site, make_user, make_unit) -> None:
    await _units(make_unit)
    page = await site.phone()
    await log_in_as_admin(page, make_user)
    await create_blank(page, site.url, "手机上编辑的问卷")
    await page.focus("#b-q1-toggle")
    await page.keyboard.press("Enter")  # fold the open question
    await expect(page.locator("#b-q1-toggle")).to_have_attribute("aria-expanded", "false")
    await page.keyboard.press("Control+z")  # folding is not an edit: nothing to undo yet
    await page.focus("#b-sec-0-add")
    await page.keyboard.press("Enter")
    await expect(page.locator("li.bq")).to_have_count(2)
    await page.focus("#b-add-section")
    await page.keyboard.press("Control+z")
    await expect(page.locator("li.bq")).to_have_count(1)
    await settled(page)
    sizes = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], sizes
    await assert_accessible(page, "builder at 375 px")


async def test_the_shared_district_steps(site: Site, make_user, make_unit) -> None:
    await _units(make_unit)
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    await build_district_questionnaire(page, site.url, "2027年度营商环境满意度调查")
    definition = await _published_definition("2027年度营商环境满意度调查")
    questions = [q for s in definition["sections"] for q in s["questions"]]
    matrix = next(q for q in questions if q["type"] == "matrix_rating")
    assert sorted(r["unit"] for r in matrix["rows"]) == sorted(code for code, _, _ in UNITS)
    assert matrix["relevant"] == "${q1} = '1'"
    assert any(q.get("relevant") == "${q1} = '2'" for q in questions)
    assert any(q.get("opinion") for q in questions)


async def test_duplicate_reorder_delete_and_validation(site: Site, make_user, make_unit) -> None:
    await _units(make_unit)
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    title = "整理题目的问卷"
    await create_blank(page, site.url, title)
    await page.fill("#b-q1-label", "您的年龄段")
    age = await add_question(page, 0, "number", "贵企业员工人数")
    await page.select_option(f"#{age}-constraint-rule", "le")  # validation from the menus
    await page.fill(f"#{age}-constraint-rule-v", "5000")
    await page.fill(f"#{age}-constraint-msg", "人数不能超过 5000")
    await expect(page.locator(f"#{age}-constraint-expr")).to_have_value(". <= 5000")
    await page.get_by_role("button", name="复制第 1 题").click()  # → q3, right after q1
    await page.get_by_role("button", name="上移第 3 题").click()  # the number question moves up
    await page.click("#b-add-section")
    await add_question(page, 1, "note", "感谢您的配合")
    await page.get_by_role("button", name="复制第 2 部分").click()
    await page.get_by_role("button", name="删除第 3 部分").click()
    await expect(page.locator("[data-status-text]")).to_have_text("已删除第 3 部分，可撤销")
    await settled(page)
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("[data-status-text]")).to_contain_text("已保存")
    definition = await draft_definition(title)
    first = definition["sections"][0]["questions"]
    assert [(q["name"], q["label"]) for q in first] == [
        ("q1", "您的年龄段"), ("q2", "贵企业员工人数"), ("q3", "您的年龄段")]
    assert first[1]["constraint"] == ". <= 5000"
    assert first[1]["constraint_message"] == "人数不能超过 5000"
    assert [s["questions"][0]["type"] for s in definition["sections"]] == ["single_choice", "note"]


async def test_double_clicks_a_deleted_rule_source_and_a_new_login(
    site: Site, make_user, make_unit
) -> None:
    await _units(make_unit)
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    title = "会话过期时的问卷"
    await create_blank(page, site.url, title)
    await page.fill("#b-q1-label", "是否办理过业务")
    await page.fill("#b-q1-options", "是\n否")
    reason = await add_question(page, 0, "text", "办理的是什么业务")
    await show_only_when(page, reason, "q1", "是")

    # A habitual double-click adds or deletes one question, not two.
    await page.dblclick("#b-sec-0-add")
    await expect(page.locator("li.bq")).to_have_count(3)
    await settled(page)
    await page.get_by_role("button", name="删除第 2 题").dblclick()
    await expect(page.locator("li.bq")).to_have_count(2)
    await page.get_by_role("button", name="撤销").click()  # the rule's question is back
    await page.get_by_role("button", name="删除第 3 题").dblclick()
    await expect(page.locator("li.bq")).to_have_count(2)
    await settled(page)

    # Deleting the question the rule uses: said at once, and the problem list opens.
    await page.get_by_role("button", name="删除第 1 题").click()
    status = page.locator("[data-status-text]")
    await expect(status).to_contain_text("第 1 题的条件用到了被删除的题目")
    problems = page.locator("[data-problems]")
    await expect(problems).to_contain_text("的显示条件：引用的题目已被删除或不存在（${q1}）")
    await page.get_by_role("button", name="撤销").click()
    await settled(page)
    await expect(problems).to_be_hidden()

    # The session ends while typing; a login in another tab lets this page save what it holds.
    await page.click("#b-q1-toggle")
    await page.fill("#b-q1-label", "过去一年是否办理过业务")
    context = page.context
    kept = [c for c in await context.cookies() if c["name"] != "sid"]
    await context.clear_cookies()
    await context.add_cookies(kept)
    await page.get_by_role("button", name="保存草稿").click()
    await expect(status).to_contain_text("登录可能已过期")
    await expect(status.get_by_role("link", name="在新的标签页重新登录")).to_have_attribute(
        "target", "_blank")
    other = await context.new_page()
    await sign_in(other, "admin1")  # a new session, so a new CSRF token
    await other.close()
    await page.get_by_role("button", name="保存草稿").click()
    await expect(status).to_contain_text("已保存")
    first = (await draft_definition(title))["sections"][0]["questions"]
    assert [q["label"] for q in first] == ["过去一年是否办理过业务", "办理的是什么业务"]
    assert first[1]["relevant"] == "${q1} = '1'"


async def test_long_texts_and_the_preview_page_fit_a_phone(site: Site, make_user, make_unit) -> None:
    await _units(make_unit)
    page = await site.phone()
    await log_in_as_admin(page, make_user)
    await create_blank(page, site.url, "很长题目的问卷")
    await page.fill("#b-title", "")  # a problem of the questionnaire itself is marked at its card
    await settled(page)
    await expect(page.locator("#b-head-problems")).to_have_text("缺少标题")
    await page.fill("#b-title", "很长题目的问卷")
    await settled(page)
    await expect(page.locator("#b-head-problems")).to_have_count(0)
    long_label = ("贵企业所属行业（请按照《国民经济行业分类》的门类填写，"
                  "如有多个主营业务，请选择营业收入占比最高的一项）") * 3
    await page.fill("#b-q1-label", long_label)
    await settled(page)
    # The list keeps the question to two lines; the editor below it keeps the whole text.
    lines = await page.evaluate("""() => {
        const label = document.getElementById('b-q1-summary');
        return label.getBoundingClientRect().height / parseFloat(getComputedStyle(label).lineHeight);
    }""")
    assert lines <= 2.1, lines
    await expect(page.locator("#b-q1-label")).to_have_value(long_label)
    # 选项 1 / 选项 2 are still the examples a new question starts with: not published.
    await page.get_by_role("button", name="发布…").click()
    await expect(page.locator("[data-status-text]")).to_contain_text(
        "还不能发布：第 1 题还是示例文字")
    assert page.url.endswith("/builder")
    await page.get_by_role("button", name="保存草稿").click()
    await expect(page.locator("[data-status-text]")).to_contain_text("已保存")
    await page.goto(page.url.replace("/builder", "/preview"))
    edges = await page.evaluate(
        "() => [document.querySelector('.phone-frame').getBoundingClientRect().right,"
        " document.documentElement.clientWidth]")
    assert edges[0] <= edges[1], edges  # the phone frame is not cut off on a phone


async def test_unsaved_edits_come_back_after_the_tab_is_closed(
    site: Site, make_user, make_unit
) -> None:
    await _units(make_unit)
    page = await site.phone(width=1280, height=900)
    await log_in_as_admin(page, make_user)
    title = "关掉标签页的问卷"
    await create_blank(page, site.url, title)
    await page.fill("#b-q1-label", "贵企业所在街道")
    await page.fill("#b-q1-options", "城关街道\n江南街道\n江北街道")
    await settled(page)
    url, context = page.url, page.context
    await page.close()  # closed without saving (or the browser crashed)

    page = await context.new_page()  # the same browser profile comes back to the builder
    await page.goto(url)
    status = page.locator("[data-status-text]")
    await expect(status).to_contain_text("未保存的修改")
    await page.get_by_role("button", name="恢复这些修改").click()
    await expect(page.locator("#b-q1-label")).to_have_value("贵企业所在街道")
    await expect(page.locator("#b-q1-options")).to_have_value("城关街道\n江南街道\n江北街道")
    await page.get_by_role("button", name="保存草稿").click()
    await expect(status).to_contain_text("已保存")
    await page.reload()
    await settled(page)
    await expect(page.get_by_role("button", name="恢复这些修改")).to_have_count(0)
    await page.fill("#b-q1-hint", "按营业执照上的地址")
    await expect(status).to_have_text("有未保存的修改")  # no longer 已保存
    labels = [q["label"] for q in (await draft_definition(title))["sections"][0]["questions"]]
    assert labels == ["贵企业所在街道"]
