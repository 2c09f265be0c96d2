"""Issue 12, finding 3: scheme versions edited through a form beside the YAML, refused when
weights do not sum to 1, with a what-if preview of rank and grade changes before saving."""

from __future__ import annotations

import re

import yaml

from survey_app.db.queries import audit
from survey_app.db.tables import AppraisalScheme
from tests.conftest import post_form
from tests.web.test_appraisal_workflow import (
    SCHEME,
    _office,
    _scheme_id,
    full_rows,
    indicator_csv,
    run,
    upload_and_apply,
)

WEIGHTS = "classes.0.components.{}.weight"


async def _form(client, **changes: str):  # type: ignore[no-untyped-def]
    """Submit the form as a browser would: every field with its shown value, then the changes."""
    version = await _scheme_id()
    url = f"/appraisal/schemes/form?version={version}"
    page = await client.get(url)
    assert page.status_code == 200
    shown = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)" inputmode', page.text))
    values = {**shown, "version": str(version), **changes}
    return page, await post_form(client, url, "/appraisal/schemes/form", values)


async def test_form_shows_the_common_settings(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    page, _ = await _form(client)
    for label in (
        "Q3 权重",
        "企业评 权重",
        "重点工作 权重",
        "优秀 比例",
        "优秀 最低分",
        "加分合计上限",
        "最少有效答卷（份）",
    ):
        assert label in page.text, label
    assert 'name="classes.0.components.1.weight" value="0.4"' in page.text


async def test_form_refuses_weights_not_summing_to_one_and_keeps_the_input(
    client, make_user, make_unit
) -> None:
    await _office(client, make_user, make_unit)
    _, refused = await _form(client, **{WEIGHTS.format(1): "0.5", "action": "save"})
    assert refused.status_code == 400
    assert "类别「职能部门」的指标权重之和为 1.1，应为 1" in refused.text
    assert 'name="classes.0.components.1.weight" value="0.5"' in refused.text
    _, typo = await _form(client, **{"periods.Q4": "四成"})
    assert (
        typo.status_code == 400 and "「期间权重（合计为 1） · Q4 权重」应为数字，实际为「四成」" in typo.text
    )
    assert await AppraisalScheme.count() == 1


async def test_what_if_preview_then_save_a_new_version(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    assert (await run(client)).status_code == 200
    changes = {"grading.grades.0.ratio": "5", "grading.grades.1.ratio": "4"}  # 5:4:1 → two more 优秀
    _, preview = await _form(client, **changes, action="preview")
    assert preview.status_code == 200
    assert "预览：与 计算#1（第1版，期间 Q3） 相比" in preview.text
    assert "10 个单位中有 <b>2</b> 个的排名或计算等次会变化" in preview.text
    assert preview.text.count("良好 → 优秀") == 2
    assert "保存为新版本" in preview.text
    assert await AppraisalScheme.count() == 1  # a preview saves nothing
    _, saved = await _form(client, **changes, action="save", note="提高工单权重")
    assert saved.status_code in (302, 303)
    assert await AppraisalScheme.count() == 2
    row = await AppraisalScheme.select().order_by(AppraisalScheme.id, ascending=False).first()
    assert row is not None
    definition = (
        row["definition"] if isinstance(row["definition"], dict) else yaml.safe_load(row["definition"])
    )
    document = yaml.safe_load(definition["yaml"])
    assert [g["ratio"] for g in document["grading"]["grades"]] == [5, 4, 1]
    assert [c["weight"] for c in document["classes"][0]["components"]] == [0.4, 0.4, 0.2]
    assert document["survey_periods"] == {"min_responses": 30, "min_response_rate": 0.2}
    assert document["bonus"]["cap"] == 5
    event = (await audit.recent_events(action="appraisal.scheme"))[0]
    assert event.target == "2026 第2版"


NO_GATE = SCHEME.replace("survey_periods: {min_responses: 30, min_response_rate: 0.2}\n", "")


async def test_a_scheme_without_survey_periods_is_edited_through_the_form(
    client, make_user, make_unit
) -> None:
    """Trial: every submit of the form answered HTTP 500 (KeyError 'survey_periods') for the
    demo scheme, which has no survey_periods section."""
    await _office(client, make_user, make_unit)
    assert "survey_periods" not in NO_GATE
    saved = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": NO_GATE})
    assert saved.status_code in (302, 303), saved.text
    await upload_and_apply(client, indicator_csv(full_rows()))
    assert (await run(client)).status_code == 200
    _, rate = await _form(client, **{"survey_periods.min_response_rate": "0.25"}, action="preview")
    assert rate.status_code == 200, rate.text
    assert "预览：与 计算#1（第2版，期间 Q3） 相比" in rate.text
    assert 'name="survey_periods.min_response_rate" value="0.25"' in rate.text
    _, periods = await _form(client, **{"periods.Q4": "0.5"}, action="preview")
    assert periods.status_code == 400
    assert "期间权重之和为 1.1" in periods.text
    assert 'name="periods.Q4" value="0.5"' in periods.text
    weights = {WEIGHTS.format(0): "0.5", WEIGHTS.format(1): "0.3", WEIGHTS.format(2): "0.2"}
    _, valid = await _form(client, **weights, action="preview")
    assert valid.status_code == 200, valid.text
    assert "预览：与 计算#1（第2版，期间 Q3） 相比" in valid.text
    _, stored = await _form(client, **{"survey_periods.min_response_rate": "0.25"}, action="save")
    assert stored.status_code in (302, 303)
    row = await AppraisalScheme.select().order_by(AppraisalScheme.id, ascending=False).first()
    assert row is not None
    definition = (
        row["definition"] if isinstance(row["definition"], dict) else yaml.safe_load(row["definition"])
    )
    assert yaml.safe_load(definition["yaml"])["survey_periods"] == {"min_response_rate": 0.25}


async def test_saving_the_current_scheme_again_creates_no_version(client, make_user, make_unit) -> None:
    """Trial: saving the same YAML twice created 第2版 and 第3版, identical, with no word."""
    await _office(client, make_user, make_unit)
    again = await post_form(
        client, "/appraisal/schemes", "/appraisal/schemes", {"definition": SCHEME, "note": "再存一次"}
    )
    assert again.status_code == 200
    assert "与当前版本相同，没有保存新版本" in again.text
    assert "name: 测试考核方案" in again.text  # the typed text stays in the editor
    assert 'value="再存一次"' in again.text
    assert await AppraisalScheme.count() == 1
    # only comments or layout differ: still the same scheme
    same = "# 重新排版\n" + SCHEME.replace("periods: {Q1: 0.1", "periods: {Q1: 0.10")
    again = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": same})
    assert "与当前版本相同，没有保存新版本" in again.text
    assert "# 重新排版" in again.text
    assert await AppraisalScheme.count() == 1
    _, unchanged = await _form(client, action="save")
    assert unchanged.status_code == 200
    assert "与当前版本相同，没有保存新版本" in unchanged.text
    assert await AppraisalScheme.count() == 1
    changed = SCHEME.replace("name: 测试考核方案", "name: 测试考核方案（修订）")
    saved = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": changed})
    assert saved.status_code in (302, 303)
    assert await AppraisalScheme.count() == 2
