"""Questionnaire authoring pages: templates, uploads, edits, versions, preview, publish, export."""

import html
import io
import random
import re
import secrets
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from questionnaires.canonical import dump_yaml, to_canonical_dict
from questionnaires.definition import parse_definition
from questionnaires.shipped import shipped_questionnaires, shipped_units
from questionnaires.xlsform import read_xlsform, write_xlsform
from survey_app.db.queries import audit
from survey_app.db.tables import (
    AuditLog,
    Campaign,
    Draft,
    Invitation,
    Questionnaire,
    QuestionnaireVersion,
    Response,
)
from survey_app.demo.answers import simulate_answers
from survey_app.services.questionnaires import questionnaire_for_version
from survey_app.services.submissions import submit_invitation_response
from tests.conftest import csrf_from, login, post_form
from tests.support.campaigns import open_campaign

TEMPLATE = "enterprise-business-environment"

SMALL_YAML = """\
id: parking-survey
title: 停车服务满意度调查
sections:
  - id: main
    title: 一、停车服务
    questions:
      - name: used
        type: single_choice
        label: 您近一年是否使用过公共停车场
        required: true
        options:
          - {value: "yes", label: 是}
          - {value: "no", label: 否}
      - name: parking
        type: rating
        label: 您对停车服务的评价
        unit: UNIT_CODE
        required: true
        relevant: ${used} = 'yes'
"""



def _small_yaml(unit_code: str) -> str:
    return SMALL_YAML.replace("UNIT_CODE", unit_code)


# The colon after "label" is missing on line 8: a YAML syntax error there.
BROKEN_YAML = """\
id: broken-survey
title: 有错误的问卷
sections:
  - id: main
    title: 一、基本情况
    questions:
      - name: q1
        label 您的年龄段
        type: text
"""


@pytest.fixture
async def admin(client, make_user, make_unit):  # type: ignore[no-untyped-def]
    for unit in shipped_units():
        await make_unit(unit.code, unit.name, unit.category)
    await make_user("admin1", "admin")
    await login(client, "admin1")
    return client


async def _versions(code: str) -> list[dict]:
    return await (
        QuestionnaireVersion.select(
            QuestionnaireVersion.id, QuestionnaireVersion.version_no,
            QuestionnaireVersion.status, QuestionnaireVersion.definition_hash,
            QuestionnaireVersion.definition,
        )
        .where(QuestionnaireVersion.questionnaire.code == code)
        .order_by(QuestionnaireVersion.version_no)
    )


async def _only_questionnaire_id() -> int:
    [row] = await Questionnaire.select(Questionnaire.id)
    return int(row["id"])


async def _create(client, **data: str):  # type: ignore[no-untyped-def]
    return await post_form(client, "/questionnaires/new", "/questionnaires/new", data)


async def _upload(client, filename: str, content: bytes, audience: str = "resident"):  # type: ignore[no-untyped-def]
    page = await client.get("/questionnaires/new")
    return await client.post(
        "/questionnaires/new",
        data={"source": "upload", "audience": audience, "_csrf_token": csrf_from(page.text)},
        files={"file": (filename, content, "application/octet-stream")},
    )


def _textarea(page_html: str) -> str:
    match = re.search(r'<textarea name="definition"[^>]*>(.*?)</textarea>', page_html, re.S)
    assert match, "no definition text box"
    return html.unescape(match.group(1))


async def test_template_publish_edit_diff_and_published_version_unchanged(admin) -> None:
    created = await _create(admin, source="template", template=TEMPLATE)
    assert created.status_code in (302, 303)
    detail_url = created.headers["location"].split("?")[0]
    [v1] = await _versions(TEMPLATE)
    assert (v1["version_no"], v1["status"]) == (1, "draft")
    listing = await admin.get("/questionnaires")
    assert TEMPLATE in listing.text and "草稿" in listing.text and "未发布" in listing.text

    published = await post_form(admin, detail_url, f"/questionnaires/versions/{v1['id']}/publish",
                                {"confirm": "1"})
    assert published.status_code in (302, 303)
    [v1] = await _versions(TEMPLATE)
    assert v1["status"] == "published"
    hash_before, definition_before = v1["definition_hash"], v1["definition"]

    edit_url = f"/questionnaires/versions/{v1['id']}/edit"
    edit_page = await admin.get(edit_url)
    assert "保存后会生成新的草稿版本" in edit_page.text
    _, questionnaire = await questionnaire_for_version(v1["id"])
    assert _textarea(edit_page.text) == dump_yaml(questionnaire)
    old_label = questionnaire.sections[0].questions[0].label
    text = _textarea(edit_page.text).replace(f"label: {old_label}", "label: 贵企业的主营行业", 1)
    saved = await post_form(admin, edit_url, edit_url, {"definition": text})
    assert saved.status_code in (302, 303)
    assert "notice=new_version" in saved.headers["location"]

    v1_after, v2 = await _versions(TEMPLATE)
    assert (v2["version_no"], v2["status"]) == (2, "draft")
    assert v1_after["status"] == "published"
    assert v1_after["definition_hash"] == hash_before
    assert v1_after["definition"] == definition_before

    detail = await admin.get(detail_url)
    changes = re.search(r'<tr id="v2">.*?</tr>', detail.text, re.S)
    assert changes and "题目文字" in changes.group(0) and "贵企业的主营行业" in changes.group(0)
    assert old_label in changes.group(0)

    # A draft is edited in place: still two versions, v2 carries the new text.
    v2_url = f"/questionnaires/versions/{v2['id']}/edit"
    again = _textarea((await admin.get(v2_url)).text).replace("贵企业的主营行业", "主营行业", 1)
    in_place = await post_form(admin, v2_url, v2_url, {"definition": again})
    assert in_place.headers["location"] == f"{v2_url}?notice=saved"
    v1_after, v2 = await _versions(TEMPLATE)
    _, edited = await questionnaire_for_version(v2["id"])
    assert edited.sections[0].questions[0].label == "主营行业"

    await post_form(admin, detail_url, f"/questionnaires/versions/{v2['id']}/publish", {"confirm": "1"})
    v1_after, v2 = await _versions(TEMPLATE)
    assert [v1_after["status"], v2["status"]] == ["published", "published"]
    assert v1_after["definition_hash"] == hash_before
    events = await audit.recent_events(action="questionnaire.publish")
    assert [(e.success, e.detail["version"]) for e in events] == [(True, 2), (True, 1)]


async def test_template_under_new_code_is_a_new_questionnaire_same_code_a_new_version(
    admin,
) -> None:
    await _create(admin, source="template", template=TEMPLATE, code="ent-2027",
                  title="2027年企业营商环境调查")
    row = await Questionnaire.select().where(Questionnaire.code == "ent-2027").first()
    assert row is not None
    assert row["title"] == "2027年企业营商环境调查" and row["audience"] == "enterprise"
    again = await _create(admin, source="template", template=TEMPLATE, code="ent-2027")
    assert again.headers["location"].endswith("?notice=added")
    assert [v["version_no"] for v in await _versions("ent-2027")] == [1, 2]
    bad = await _create(admin, source="template", template=TEMPLATE, code="2027 企业")
    assert bad.status_code == 400
    assert "问卷代码或标题有误" in bad.text
    assert await Questionnaire.count() == 1


async def test_broken_yaml_upload_shows_located_error_and_keeps_the_text(admin) -> None:
    response = await _upload(admin, "broken.yaml", BROKEN_YAML.encode("utf-8"))
    assert response.status_code == 400
    assert "YAML 格式错误" in response.text
    assert re.search(r"第 \d+ 行第 \d+ 列", response.text)
    assert _textarea(response.text) == BROKEN_YAML  # comes back editable
    # The author fixes the text in place and submits it as text.
    fixed = BROKEN_YAML.replace("label 您的年龄段", "label: 您的年龄段")
    created = await _create(admin, source="text", definition=fixed, audience="resident")
    assert created.status_code in (302, 303)
    assert [v["version_no"] for v in await _versions("broken-survey")] == [1]


async def test_pasted_definition_with_semantic_error_is_located_and_kept(admin) -> None:
    typed = _small_yaml("U01").replace("${used} = 'yes'", "${usd} = 'yes'")
    response = await _create(admin, source="text", definition=typed, audience="resident")
    assert response.status_code == 400
    assert "第 1 部分第 2 题（parking）的 relevant" in response.text
    assert _textarea(response.text) == typed
    assert await Questionnaire.count() == 0


async def test_xlsform_upload_error_is_located_by_sheet_row_and_column(admin) -> None:
    workbook = load_workbook(io.BytesIO(write_xlsform(shipped_questionnaires()[TEMPLATE])))
    survey = workbook["survey"]
    type_column = next(c.column for c in survey[1] if c.value == "type")
    survey.cell(row=3, column=type_column, value="select_one no_such_list")
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await _upload(admin, "form.xlsx", buffer.getvalue(), audience="enterprise")
    assert response.status_code == 400
    assert "XLSForm 文件有误" in response.text
    assert "survey 工作表第 3 行" in response.text and "no_such_list" in response.text
    assert 'value="enterprise" selected' in response.text  # the chosen audience is kept
    assert await Questionnaire.count() == 0


async def test_valid_xlsform_upload_creates_an_equal_draft(admin) -> None:
    original = shipped_questionnaires()[TEMPLATE]
    response = await _upload(admin, "form.xlsx", write_xlsform(original), audience="enterprise")
    assert response.status_code in (302, 303)
    [v1] = await _versions(TEMPLATE)
    _, imported = await questionnaire_for_version(v1["id"])
    assert to_canonical_dict(imported) == to_canonical_dict(original)


async def test_xlsform_import_warnings_are_shown_once_with_the_new_draft(admin) -> None:
    workbook = load_workbook(io.BytesIO(write_xlsform(shipped_questionnaires()[TEMPLATE])))
    survey = workbook["survey"]
    survey.insert_rows(2)
    headers = [c.value for c in survey[1]]
    survey.cell(row=2, column=headers.index("type") + 1, value="start")
    survey.cell(row=2, column=headers.index("name") + 1, value="started")
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await _upload(admin, "form.xlsx", buffer.getvalue(), audience="enterprise")
    assert response.status_code == 200
    assert "导入时忽略了以下内容" in response.text
    assert "survey 工作表第 2 行" in response.text and "元数据 start" in response.text
    assert [v["version_no"] for v in await _versions(TEMPLATE)] == [1]


async def test_version_usage_counts_campaigns_and_responses(admin) -> None:
    campaign = await open_campaign(invitations=2)
    await submit_invitation_response(
        campaign.tokens[0], secrets.token_urlsafe(18),
        simulate_answers(campaign.questionnaire, random.Random(5)),
    )
    version = await QuestionnaireVersion.select(QuestionnaireVersion.questionnaire).where(
        QuestionnaireVersion.id == campaign.version_id).first()
    assert version is not None
    detail = await admin.get(f"/questionnaires/{version['questionnaire']}")
    row = re.search(r'<tr id="v1">(.*?)</tr>', detail.text, re.S)
    assert row
    counts = re.findall(r'<td class="num">(\d+)</td>', row.group(1))
    assert counts == ["1", "1"]  # one campaign, one response recorded against v1
    listing = await admin.get("/questionnaires")
    assert re.search(rf'{TEMPLATE}</td>(?:(?!</tr>).)*<td class="num">1</td>', listing.text, re.S)


async def test_upload_limits_and_file_types_are_explained(admin) -> None:
    too_big = await _upload(admin, "big.yaml", b"#" * (5 * 1024 * 1024 + 1))
    assert too_big.status_code == 400 and "不能超过 5 MB" in too_big.text
    wrong = await _upload(admin, "form.docx", b"PK")
    assert wrong.status_code == 400 and ".xlsx" in wrong.text
    missing = await _create(admin, source="upload", audience="resident")
    assert missing.status_code == 400 and "请选择要上传的文件" in missing.text
    empty = await _create(admin, source="text", definition="  \n", audience="resident")
    assert empty.status_code == 400 and "问卷定义是空的" in empty.text
    assert await Questionnaire.count() == 0


async def test_edit_with_errors_keeps_typed_text_and_changes_nothing(admin) -> None:
    await _create(admin, source="text", definition=_small_yaml("U01"),
                  audience="resident")
    [v1] = await _versions("parking-survey")
    url = f"/questionnaires/versions/{v1['id']}/edit"
    typed = _textarea((await admin.get(url)).text) + "  - oops: [unclosed\n"
    response = await post_form(admin, url, url, {"definition": typed})
    assert response.status_code == 400
    assert "YAML 格式错误" in response.text and "行" in response.text
    assert _textarea(response.text) == typed
    renamed = typed.replace("id: parking-survey", "id: other-code").replace(
        "  - oops: [unclosed\n", "")
    refused = await post_form(admin, url, url, {"definition": renamed})
    assert refused.status_code == 400 and "问卷代码不能修改" in refused.text
    assert await _versions("parking-survey") == [v1]


async def test_unknown_unit_code_refuses_publish_and_names_the_code(admin) -> None:
    await _create(admin, source="text", definition=_small_yaml("ZZ99"),
                  audience="resident")
    [v1] = await _versions("parking-survey")
    detail_url = f"/questionnaires/{await _only_questionnaire_id()}"
    detail = await admin.get(detail_url)
    assert "单位名录中没有以下单位代码：ZZ99" in detail.text
    response = await post_form(admin, detail_url, f"/questionnaires/versions/{v1['id']}/publish",
                               {"confirm": "1"})
    assert response.status_code == 400
    assert "单位代码 ZZ99：单位名录中不存在" in response.text
    [v1] = await _versions("parking-survey")
    assert v1["status"] == "draft"
    [event] = await audit.recent_events(action="questionnaire.publish")
    assert not event.success and event.detail["unknown_units"] == ["ZZ99"]


async def test_preview_renders_every_question_and_stores_nothing(admin) -> None:
    await _create(admin, source="template", template=TEMPLATE)
    [v1] = await _versions(TEMPLATE)
    _, questionnaire = await questionnaire_for_version(v1["id"])
    tables = (Response, Draft, Invitation, Campaign, QuestionnaireVersion, AuditLog)
    before = [await t.count() for t in tables]

    url = f"/questionnaires/versions/{v1['id']}/preview"
    preview = await admin.get(url)
    assert preview.status_code == 200
    assert 'class="phone-frame respondent"' in preview.text
    assert '<script src="/static/js/survey.js"' in preview.text
    assert "data-survey" in preview.text and "data-relevant=" in preview.text
    for question in questionnaire.iter_questions():
        assert f'data-question="{question.name}"' in preview.text
        assert html.escape(question.label, quote=False) in preview.text

    checked = await post_form(admin, url, url, {"industry": "manufacturing"})
    assert checked.status_code == 400  # required questions left empty are reported
    assert "服务器检查发现" in checked.text
    assert re.search(r'value="manufacturing" checked', checked.text)  # answers kept
    autosave = await post_form(admin, url, f"{url}/draft", {"industry": "it"})
    assert autosave.json() == {"saved": False, "preview": True}
    assert [await t.count() for t in tables] == before


async def test_exports_reimport_to_equal_questionnaires_and_are_audited(admin) -> None:
    await _create(admin, source="template", template=TEMPLATE)
    [v1] = await _versions(TEMPLATE)
    _, questionnaire = await questionnaire_for_version(v1["id"])

    as_yaml = await admin.get(f"/questionnaires/versions/{v1['id']}/export.yaml")
    assert as_yaml.status_code == 200
    assert f'filename="{TEMPLATE}-v1.yaml"' in as_yaml.headers["content-disposition"]
    assert parse_definition(as_yaml.text, "yaml") == questionnaire

    as_xlsx = await admin.get(f"/questionnaires/versions/{v1['id']}/export.xlsx")
    assert as_xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert read_xlsform(as_xlsx.content) == questionnaire

    events = await audit.recent_events(action="questionnaire.export")
    assert [e.detail["format"] for e in events] == ["xlsx", "yaml"]
    assert {e.actor_name for e in events} == {"admin1"}


async def test_readers_see_but_cannot_change(admin, client, make_user) -> None:
    await _create(admin, source="template", template=TEMPLATE)
    [v1] = await _versions(TEMPLATE)
    questionnaire_id = await _only_questionnaire_id()
    await make_user("analyst1", "analyst")
    await login(client, "analyst1")  # the same client: now signed in as the analyst

    detail = await client.get(f"/questionnaires/{questionnaire_id}")
    assert detail.status_code == 200 and "/publish" not in detail.text
    assert (await client.get("/questionnaires")).status_code == 200
    assert (await client.get(f"/questionnaires/versions/{v1['id']}/preview")).status_code == 200
    refused = await client.post(f"/questionnaires/versions/{v1['id']}/publish",
                                data={"_csrf_token": csrf_from(detail.text)})
    assert refused.status_code == 403
    assert (await client.get("/questionnaires/new")).status_code == 403
    assert (await client.get(f"/questionnaires/versions/{v1['id']}/edit")).status_code == 403
    assert (await client.get(f"/questionnaires/versions/{v1['id']}/export.yaml")).status_code == 403
    [v1] = await _versions(TEMPLATE)
    assert v1["status"] == "draft"


async def test_unit_viewer_and_missing_versions(client, make_user, make_unit) -> None:
    await make_unit("U01")
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    assert (await client.get("/questionnaires")).status_code == 403
    await make_user("office1", "office")
    await login(client, "office1")
    assert (await client.get("/questionnaires")).status_code == 200
    assert (await client.get("/questionnaires/999")).status_code == 404
    assert (await client.get("/questionnaires/versions/999/preview")).status_code == 404


XLSFORM_CORPUS = Path(__file__).resolve().parents[1] / "data" / "xlsforms" / "pyxform_files"
PIPED_YAML = """\
id: piped
title: 引用答案
sections:
  - id: main
    title: 基本情况
    questions:
      - name: who
        type: text
        label: 您的姓名
      - name: hello
        type: note
        label: ${who}，您好！<b>谢谢</b>
"""


async def test_legacy_xls_upload_creates_a_draft(admin) -> None:
    data = (XLSFORM_CORPUS / "yes_or_no_question.xls").read_bytes()
    response = await _upload(admin, "yes_no.xls", data)
    assert response.status_code in (200, 302, 303), response.text
    assert await Questionnaire.count() == 1


async def test_failed_xlsform_upload_keeps_the_import_notes(admin) -> None:
    workbook = Workbook()
    workbook.active.title = "survey"
    header = ["type", "name", "label", "relevant"]
    rows = (header, ["deviceid", "device"], ["text", "q", "Q", "${nosuch} = 1"])
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = await _upload(admin, "form.xlsx", buffer.getvalue())
    assert response.status_code == 400
    assert "引用了不存在的题目 ${nosuch}" in response.text
    assert "提示：survey 工作表第 2 行" in response.text and "deviceid" in response.text
    assert await Questionnaire.count() == 0


async def test_preview_pipes_answers_into_labels(admin) -> None:
    response = await _create(admin, source="text", definition=PIPED_YAML, audience="resident")
    assert response.status_code in (302, 303), response.text
    [v1] = await _versions("piped")
    preview = await admin.get(f"/questionnaires/versions/{v1['id']}/preview")
    assert '<span class="pipe" data-pipe="who"></span>，您好！&lt;b&gt;谢谢&lt;/b&gt;' in preview.text
async def test_yaml_errors_are_all_reported_in_chinese() -> None:
    """Finding 2: every problem of a definition at once, each located, none in English."""
    import pytest as _pytest

    from questionnaires.definition import parse_definition
    from questionnaires.model import DefinitionError

    text = ("id: t1\ntitle: 测试\nsections:\n  - id: s1\n    title: 一\n    questions:\n"
            "      - name: q1\n        type: bogus\n        label: 问题一\n"
            "      - name: q2\n        type: text\n")
    with _pytest.raises(DefinitionError) as semantic:
        parse_definition(text, "yaml")
    messages = [str(p) for p in semantic.value.problems]
    assert any("未知的题型“bogus”" in m for m in messages)
    assert any("（q2）：缺少 label" in m for m in messages)  # was a crash (TypeError)
    indented = text.replace("        label: 问题一", "       label: 问题一")
    indented = indented.replace("        type: text", "\ttype: text")
    with _pytest.raises(DefinitionError) as syntax:
        parse_definition(indented, "yaml")
    messages = [str(p) for p in syntax.value.problems]
    assert messages[0].startswith("第 9 行") and "YAML 格式错误" in messages[0]
    assert any(m.startswith("第 11 行") and "Tab" in m for m in messages)
    for message in messages:  # no English parser wording left
        words = message.replace("YAML", "").replace("Tab", "")
        assert not any(c.isascii() and c.isalpha() for c in words), message


async def test_publish_asks_for_confirmation_showing_the_changes(admin) -> None:  # type: ignore[no-untyped-def]
    """Finding 2: publish is confirmed on a page listing the changes from the last version."""
    created = await _create(admin, source="template", template=TEMPLATE)
    detail_url = created.headers["location"].split("?")[0]
    [v1] = await _versions(TEMPLATE)
    url = f"/questionnaires/versions/{v1['id']}/publish"
    confirm = await admin.get(url)
    assert confirm.status_code == 200 and 'id="publish-changes"' in confirm.text
    assert "确认发布" in confirm.text
    unconfirmed = await post_form(admin, url, url, {})
    assert unconfirmed.status_code == 400 and "勾选确认框" in unconfirmed.text
    [still] = await _versions(TEMPLATE)
    assert still["status"] == "draft"
    done = await post_form(admin, url, url, {"confirm": "1"})
    assert done.status_code in (302, 303)
    assert f'href="{url}"' not in (await admin.get(detail_url)).text
