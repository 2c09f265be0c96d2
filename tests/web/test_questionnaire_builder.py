"""The browser questionnaire builder's routes: a blank questionnaire, the page, JSON save with
located Chinese problems, the live preview; CSRF and the administrator role required."""

import html
import json
import re

import pytest

from questionnaires.shipped import shipped_units
from survey_app.db.tables import AuditLog, QuestionnaireVersion
from tests.conftest import csrf_from, login, post_form


@pytest.fixture
async def admin(client, make_user, make_unit):  # type: ignore[no-untyped-def]
    for unit in shipped_units()[:4]:
        await make_unit(unit.code, unit.name, unit.category)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    return client


async def _blank(client, title: str = "停车服务调查") -> int:  # type: ignore[no-untyped-def]
    response = await post_form(client, "/questionnaires/new", "/questionnaires/new",
                                {"source": "blank", "title": title, "audience": "resident"})
    assert response.status_code in (302, 303), response.text
    match = re.fullmatch(r"/questionnaires/versions/(\d+)/builder", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def _state(page_html: str) -> dict:
    match = re.search(r'<script type="application/json" id="builder-state">(.*?)</script>',
                      page_html, re.S)
    assert match, "no builder state"
    return json.loads(match.group(1))


async def _post_json(client, version_id: int, path: str, definition: object,  # type: ignore[no-untyped-def]
                     token: str | None = None):
    if token is None:
        page = await client.get(f"/questionnaires/versions/{version_id}/builder")
        token = csrf_from(page.text)
    return await client.post(
        f"/questionnaires/versions/{version_id}/builder{path}",
        content=json.dumps({"definition": definition}),
        headers={"content-type": "application/json", "x-csrftoken": token},
    )


def _two_sections(definition: dict, units: list[str]) -> dict:
    definition = json.loads(json.dumps(definition))
    first = definition["sections"][0]
    first["questions"] = [
        {"name": "q1", "type": "single_choice", "label": "是否办理过业务", "required": True,
         "options": [{"value": "1", "label": "是"}, {"value": "2", "label": "否"}]},
        {"name": "q2", "type": "text", "label": "办理的是什么业务", "relevant": "${q1} = '1'"},
    ]
    definition["sections"].append({"id": "s2", "title": "单位评价", "questions": [
        {"name": "q3", "type": "matrix_rating", "label": "请评价以下单位",
         "rows": [{"id": code, "label": f"单位{code}", "unit": code} for code in units]},
    ]})
    return definition


async def test_blank_questionnaire_opens_the_builder_with_its_state(admin) -> None:
    version_id = await _blank(admin)
    page = await admin.get(f"/questionnaires/versions/{version_id}/builder")
    assert page.status_code == 200
    assert "可视化编辑" in page.text and "/static/js/builder." in page.text
    state = _state(page.text)
    assert state["definition"]["title"] == "停车服务调查"
    assert state["definition"]["sections"][0]["questions"][0]["type"] == "single_choice"
    assert [g["category"] for g in state["units"]]  # the unit directory, grouped by class
    assert all(u["code"] and u["name"] for g in state["units"] for u in g["units"])
    assert {"value": "matrix_rating", "label": "矩阵评价题"} in state["types"]


async def test_blank_without_title_keeps_the_form(admin) -> None:
    response = await post_form(admin, "/questionnaires/new", "/questionnaires/new",
                               {"source": "blank", "title": " ", "audience": "resident",
                                "code": "my-code"})
    assert response.status_code == 400
    assert "请填写问卷标题" in response.text
    assert 'value="my-code"' in response.text


async def test_state_is_escaped_inside_the_script_tag(admin) -> None:
    version_id = await _blank(admin, "标题</script><script>alert(1)</script>")
    page = await admin.get(f"/questionnaires/versions/{version_id}/builder")
    assert "</script><script>alert(1)" not in page.text
    assert _state(page.text)["definition"]["title"] == "标题</script><script>alert(1)</script>"


async def test_save_stores_a_compact_draft_and_audits(admin) -> None:
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    units = [u["code"] for g in state["units"] for u in g["units"]]
    definition = _two_sections(state["definition"], units)
    response = await _post_json(admin, version_id, "", definition)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] and body["version"] == version_id and "已保存" in body["message"]
    row = await QuestionnaireVersion.select(QuestionnaireVersion.definition).where(
        QuestionnaireVersion.id == version_id).first()
    stored = row["definition"]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    q2 = stored["sections"][0]["questions"][1]
    assert q2 == {"name": "q2", "type": "text", "label": "办理的是什么业务",
                  "relevant": "${q1} = '1'"}  # defaults omitted: compact
    assert [r["unit"] for r in stored["sections"][1]["questions"][0]["rows"]] == units
    events = await AuditLog.select(AuditLog.action).where(AuditLog.action == "questionnaire.edit")
    assert len(events) == 1
    again = await _post_json(admin, version_id, "", definition)
    assert again.json()["message"] == "内容没有变化。"


async def test_save_reports_every_problem_in_chinese_by_titles(admin) -> None:
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    definition = _two_sections(state["definition"], ["NOPE"])
    definition["sections"][0]["questions"][1]["relevant"] = "${q3__NOPE} <= 2"  # a later question
    definition["sections"][0]["questions"][0]["label"] = ""
    definition["sections"][1]["questions"].append({"name": "q4", "type": "number",
                                                   "label": "员工人数", "min": "很多"})
    response = await _post_json(admin, version_id, "", definition)
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert len(problems) >= 1
    located = {(p["location"], p["message"]) for p in problems}
    assert ("第 2 部分「单位评价」第 2 题「员工人数」的最小值", "“很多”不是数字") in located
    # The structural problem stops the checks; fixed, the semantic ones all come back at once.
    del definition["sections"][1]["questions"][1]["min"]
    problems = (await _post_json(admin, version_id, "", definition)).json()["problems"]
    located = {(p["location"], p["message"]) for p in problems}
    assert ("第 1 部分「第一部分」第 1 题（未填题目文字）的题目文字", "缺少题目文字") in located
    assert any(p["location"] == "第 1 部分「第一部分」第 2 题「办理的是什么业务」的显示条件"
               and "后面的题目" in p["message"] and p["section"] == 0 and p["question"] == 1
               for p in problems)
    row = await QuestionnaireVersion.select(QuestionnaireVersion.definition).where(
        QuestionnaireVersion.id == version_id).first()
    assert "单位评价" not in json.dumps(row["definition"], ensure_ascii=False)  # nothing stored


async def test_save_of_a_published_version_makes_a_new_draft(admin) -> None:
    version_id = await _blank(admin)
    page = await admin.get(f"/questionnaires/versions/{version_id}/publish")
    await admin.post(f"/questionnaires/versions/{version_id}/publish",
                     data={"confirm": "1", "_csrf_token": csrf_from(page.text)})
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    assert state["published"] is True
    definition = state["definition"]
    definition["title"] = "停车服务调查（修订）"
    body = (await _post_json(admin, version_id, "", definition)).json()
    assert body["new_version"] is True and body["version"] != version_id
    assert body["publish_url"] == f"/questionnaires/versions/{body['version']}/publish"
    publish_page = await admin.get(body["publish_url"])
    # A mistake seen in the diff is one click from the builder.
    assert f'href="/questionnaires/versions/{body["version"]}/builder">返回可视化编辑继续修改' in (
        publish_page.text)
    assert "问卷标题由「停车服务调查」改为「停车服务调查（修订）」" in html.unescape(publish_page.text)


async def test_preview_renders_the_unsaved_draft(admin) -> None:
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    units = [u["code"] for g in state["units"] for u in g["units"]]
    definition = _two_sections(state["definition"], units)
    response = await _post_json(admin, version_id, "/preview", definition)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "办理的是什么业务" in response.text and 'data-question="q3"' in response.text
    assert "data-relevant=" in response.text  # skip logic for survey.js
    assert f'data-draft-url="/questionnaires/versions/{version_id}/preview/draft"' in response.text
    definition["sections"][1]["questions"][0]["rows"] = []
    bad = await _post_json(admin, version_id, "/preview", definition)
    assert bad.status_code == 400
    assert bad.json()["problems"][0]["location"] == "第 2 部分「单位评价」第 1 题「请评价以下单位」的矩阵行"
    assert await QuestionnaireVersion.count() == 1  # a preview stores nothing


async def test_unreadable_body_is_a_located_problem(admin) -> None:
    version_id = await _blank(admin)
    page = await admin.get(f"/questionnaires/versions/{version_id}/builder")
    response = await admin.post(
        f"/questionnaires/versions/{version_id}/builder", content=b"{not json",
        headers={"content-type": "application/json", "x-csrftoken": csrf_from(page.text)},
    )
    assert response.status_code == 400
    assert response.json()["problems"][0]["message"].startswith("编辑器发送的内容")
    shapeless = await _post_json(admin, version_id, "", ["not", "a", "definition"])
    assert shapeless.status_code == 400


async def test_csrf_token_is_required(admin) -> None:
    version_id = await _blank(admin)
    for path in ("", "/preview"):
        response = await admin.post(
            f"/questionnaires/versions/{version_id}/builder{path}",
            content=json.dumps({"definition": {}}), headers={"content-type": "application/json"},
        )
        assert response.status_code == 403, path


@pytest.mark.parametrize("role", ["office", "analyst", "unit_viewer"])
async def test_other_roles_are_refused(client, make_user, make_unit, role: str) -> None:
    await make_unit("U01", "区发展和改革局", "职能部门")
    await make_user("admin1", "admin")
    await login(client, "admin1")
    version_id = await _blank(client)
    await client.post("/logout", data={"_csrf_token": csrf_from((await client.get("/")).text)})
    await make_user("other", role, unit_code="U01" if role == "unit_viewer" else None)
    await login(client, "other")
    assert (await client.get(f"/questionnaires/versions/{version_id}/builder")).status_code == 403
    token = csrf_from((await client.get("/")).text)
    for path in ("", "/preview"):
        response = await client.post(
            f"/questionnaires/versions/{version_id}/builder{path}",
            content=json.dumps({"definition": {}}),
            headers={"content-type": "application/json", "x-csrftoken": token},
        )
        assert response.status_code == 403, (role, path)


async def test_a_title_too_long_for_its_column_is_located(admin) -> None:
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    definition = {**state["definition"], "title": "很长" * 101}
    response = await _post_json(admin, version_id, "", definition)
    assert response.status_code == 400
    assert response.json()["problems"] == [{"location": "问卷的标题", "message": "标题不能超过 200 个字",
                                            "section": None, "question": None, "field": "title"}]


async def test_an_unknown_version_is_not_found(admin) -> None:
    version_id = await _blank(admin)
    page = await admin.get(f"/questionnaires/versions/{version_id}/builder")
    assert (await admin.get("/questionnaires/versions/999999/builder")).status_code == 404
    for path in ("", "/preview"):
        response = await _post_json(admin, 999999, path, {"sections": []}, csrf_from(page.text))
        assert response.status_code == 404, path


async def test_duplicate_options_are_located_in_clerk_words(admin) -> None:
    """Two options reading alike (a pasted list with 其他 twice, or with a full-width space)
    cannot be told apart by a respondent; the message names no definition key."""
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    definition = state["definition"]
    question = definition["sections"][0]["questions"][0]
    question["label"] = "贵企业所属行业"
    question["options"] = [{"value": "1", "label": "制造业"}, {"value": "2", "label": "其他"},
                           {"value": "3", "label": "其他"}, {"value": "4", "label": " "}]
    response = await _post_json(admin, version_id, "", definition)
    assert response.status_code == 400
    problems = response.json()["problems"]
    located = {(p["location"], p["message"]) for p in problems}
    assert ("第 1 部分「第一部分」第 1 题「贵企业所属行业」的选项 第 3 项",
            "选项“其他”与第 2 项重复，请删除其中一项") in located
    assert ("第 1 部分「第一部分」第 1 题「贵企业所属行业」的选项 第 4 项",
            "选项“4”缺少文字") in located
    assert not any(re.search(r"[A-Za-z]{3,}", p["message"]) for p in problems)
    assert all(p["section"] == 0 and p["question"] == 0 for p in problems)


async def test_broken_references_name_the_question_by_number(admin) -> None:
    """A skip rule whose question was deleted, or moved below it, is explained by the numbers the
    page shows, keeping the ${…} the expression box shows."""
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    definition = _two_sections(state["definition"], ["U01"])
    first = definition["sections"][0]["questions"]
    first.reverse()  # 办理的是什么业务 (shown when q1 = '1') now comes before q1
    problems = (await _post_json(admin, version_id, "/preview", definition)).json()["problems"]
    assert any(p["message"] == "引用了后面的题目 第 2 题「是否办理过业务」（${q1}），只能引用前面的题目"
               and p["question"] == 0 for p in problems), problems
    del first[1]  # q1 deleted
    problems = (await _post_json(admin, version_id, "/preview", definition)).json()["problems"]
    assert [p["message"] for p in problems] == ["引用的题目已被删除或不存在（${q1}）"]
    first[0]["relevant"] = "${q3__U01} >"  # a typed expression is quoted exactly as typed
    problems = (await _post_json(admin, version_id, "/preview", definition)).json()["problems"]
    assert [p["message"] for p in problems] == [
        "表达式“${q3__U01} >”有误：表达式意外结束，缺少值（数字、'文字'、${题目名}、. 或函数）"]


async def test_empty_titles_are_asked_for_in_chinese(admin) -> None:
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    definition = state["definition"]
    definition["title"] = ""
    problems = (await _post_json(admin, version_id, "", definition)).json()["problems"]
    assert [(p["location"], p["message"]) for p in problems] == [("问卷", "缺少标题")]
    definition["title"] = "停车服务调查"
    definition["sections"][0]["questions"][0]["label"] = " "
    problems = (await _post_json(admin, version_id, "", definition)).json()["problems"]
    assert [p["message"] for p in problems] == ["缺少题目文字"]


async def test_a_section_without_a_title_is_located(admin) -> None:
    """Optional in YAML, but the builder names sections by title and respondents see it as the
    heading: a blank one is refused, beside any other problem, and nothing is saved."""
    version_id = await _blank(admin)
    state = _state((await admin.get(f"/questionnaires/versions/{version_id}/builder")).text)
    definition = _two_sections(state["definition"], ["U01"])
    definition["sections"][1]["title"] = "  "
    for path in ("", "/preview"):
        response = await _post_json(admin, version_id, path, definition)
        assert response.status_code == 400, path
        assert response.json()["problems"] == [{"location": "第 2 部分（未填标题）", "message": "缺少标题",
                                                "section": 1, "question": None, "field": "title"}]
    definition["sections"][0]["questions"][0]["label"] = ""
    problems = (await _post_json(admin, version_id, "", definition)).json()["problems"]
    assert [(p["section"], p["message"]) for p in problems] == [(1, "缺少标题"), (0, "缺少题目文字")]
    page = await admin.get(f"/questionnaires/versions/{version_id}/builder")
    assert [s["title"] for s in _state(page.text)["definition"]["sections"]] == ["第一部分"]
