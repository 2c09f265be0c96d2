"""Appraisal in the application: the scheme editor keeps versions and explains mistakes in
Chinese, a run grades the stored scores, overrides need a reason and are audited, exports open
with one sheet per class, and the appraisal API serves the final grades."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from survey_app.db.queries import audit
from survey_app.db.tables import AppraisalResult, AppraisalScheme, Campaign, UnitScore
from survey_app.services import score_runs, scores
from tests.conftest import csrf_from, login, post_form
from tests.db.test_scores_seed import Stratum, first_row, seed_campaign
from tests.web.test_api_v1 import _token

SCHEME = """
name: 测试考核方案
year: 2026
periods: {Q3: 1.0}
grading:
  method: thresholds
  grades:
    - {name: 优秀, min_score: 70}
    - {name: 良好, min_score: 50}
    - {name: 一般}
classes:
  - name: 职能部门
    components:
      - {key: 企业评, kind: satisfaction, weight: 0.5}
      - {key: 重点工作, weight: 0.5}
"""


async def _office_with_scores(client, make_user, make_unit) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {"U01": await make_unit("U01", "区发展和改革局"), "U02": await make_unit("U02", "区市场监督管理局")}
    await seed_campaign(strata=(Stratum("大型", 40, 16), Stratum("小型", 300, 40)), respondents=(14, 36))
    await Campaign.update({Campaign.status: "closed"}).where(Campaign.code == "c2026q3")  # counts in full
    await score_runs.compute_scores(
        scores.ScoreOptions("2026-Q3", "enterprise"), actor_id=None, actor_name="t"
    )
    await make_user("office1", "office")
    await login(client, "office1")
    return ids


async def test_scheme_editor_validates_and_keeps_versions(client, make_user, make_unit) -> None:
    await _office_with_scores(client, make_user, make_unit)
    editor = await client.get("/appraisal/schemes")
    assert editor.status_code == 200 and "示例区2026年度机关单位绩效考核方案" in editor.text
    bad = await post_form(
        client,
        "/appraisal/schemes",
        "/appraisal/schemes",
        {"definition": SCHEME.replace("weight: 0.5}", "weight: 五}", 1)},
    )
    assert bad.status_code == 400
    assert "classes → [0] → components → [0] → weight：必须是数字，实际为「五」" in bad.text
    assert "weight: 五" in bad.text  # the text is kept for correction
    broken = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": "a: [1"})
    assert broken.status_code == 400 and "不是合法的 YAML" in broken.text
    # a second version needs a change: the same content again is not saved (see
    # test_appraisal_scheme_form::test_saving_the_current_scheme_again_creates_no_version)
    for text in (SCHEME, SCHEME.replace("name: ", "name: 修订", 1)):
        saved = await post_form(
            client, "/appraisal/schemes", "/appraisal/schemes", {"definition": text, "note": "首版"}
        )
        assert saved.status_code in (302, 303)
    versions = await AppraisalScheme.select(AppraisalScheme.version_no).order_by(AppraisalScheme.id)
    assert [v["version_no"] for v in versions] == [1, 2]
    listing = await client.get("/appraisal/schemes")
    assert "第2版" in listing.text and "测试考核方案" in listing.text
    assert len(await audit.recent_events(action="appraisal.scheme")) == 2


async def _run(client, upload: bytes | None = None):  # type: ignore[no-untyped-def]
    """Save the scheme, store the indicator upload (with zero adjustments) and compute Q3."""
    await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": SCHEME})
    scheme_id = (await first_row(AppraisalScheme.select(AppraisalScheme.id)))["id"]
    if upload:
        lines = upload.decode().strip().splitlines()
        table = "\n".join([lines[0] + ",加分,扣分,一票否决", *(line + ",0,0,否" for line in lines[1:])])
        page = await client.get("/appraisal/inputs")
        staged = await client.post(
            "/appraisal/inputs",
            data={"scheme": str(scheme_id), "_csrf_token": csrf_from(page.text)},
            files={"file": ("指标.csv", table.encode(), "text/csv")},
        )
        if staged.status_code != 302:
            return scheme_id, staged
        url = staged.headers["location"]
        await post_form(client, url, f"{url}/apply", {})
    form = {"scheme": str(scheme_id), "periods": "Q3"}
    response = await post_form(client, "/appraisal", "/appraisal/run", form)
    return scheme_id, response


async def test_run_grades_stored_scores_with_uploaded_indicators(client, make_user, make_unit) -> None:
    ids = await _office_with_scores(client, make_user, make_unit)
    upload = "单位,期间,重点工作\nU01,Q3,90\n区市场监督管理局,2026-Q3,40\n".encode()
    _, response = await _run(client, upload)
    assert response.status_code == 200
    assert "已按「测试考核方案」第1版计算 2 个单位，结果为草稿" in response.text
    results = {r["unit"]: r for r in await AppraisalResult.select()}
    satisfaction = {r["unit"]: r["index_value"] for r in await UnitScore.select()}
    for code, key_task in (("U01", 90), ("U02", 40)):
        expected = round(0.5 * satisfaction[ids[code]] + 0.5 * key_task, 2)
        assert results[ids[code]]["total"] == expected
        grade = "优秀" if expected >= 70 else "良好" if expected >= 50 else "一般"
        assert results[ids[code]]["grade"] == grade
    assert results[ids["U01"]]["rank"] == 1
    assert len(results[ids["U01"]]["inputs_hash"]) == 64
    page = await client.get("/appraisal")
    assert "职能部门" in page.text and results[ids["U01"]]["grade"] in page.text
    bad = await _run(client, "单位,期间,重点工作\nU09,Q3,90\n".encode())
    assert bad[1].status_code == 400 and "单位「U09」不在单位名录中" in bad[1].text


async def test_override_requires_a_reason_and_is_audited(client, make_user, make_unit) -> None:
    ids = await _office_with_scores(client, make_user, make_unit)
    await _run(client, "单位,期间,重点工作\nU01,Q3,90\nU02,Q3,40\n".encode())
    result = await first_row(AppraisalResult.select().where(AppraisalResult.unit == ids["U02"]))
    target = "优秀" if result["grade"] != "优秀" else "良好"
    url = f"/appraisal/results/{result['id']}/override"
    refused = await post_form(client, "/appraisal", url, {"grade": target, "reason": ""})
    assert refused.status_code == 400 and "调整等次必须填写理由" in refused.text
    unknown = await post_form(client, "/appraisal", url, {"grade": "特优", "reason": "经考核委员会研究决定"})
    assert unknown.status_code == 400 and "等次「特优」不在本类别的等次中" in unknown.text
    done = await post_form(client, "/appraisal", url, {"grade": target, "reason": "经考核委员会研究决定调整"})
    assert done.status_code in (302, 303)
    row = await first_row(AppraisalResult.select().where(AppraisalResult.id == result["id"]))
    assert row["override_grade"] == target and row["grade"] == result["grade"]
    event = (await audit.recent_events(action="appraisal.override"))[0]
    assert event.detail == {
        "unit": "U02",  # the override stays within the thresholds scheme: no quota to break
        "computed": result["grade"],
        "from": result["grade"],
        "to": target,
        "reason": "经考核委员会研究决定调整",
    }
    # a re-run keeps the recorded decision
    await post_form(client, "/appraisal", "/appraisal/run", {"scheme": str(row["scheme"]), "periods": "Q3"})
    kept = await first_row(AppraisalResult.select().where(AppraisalResult.unit == ids["U02"]))
    assert kept["override_grade"] == target


async def test_appraisal_exports_and_api(client, make_user, make_unit) -> None:
    await _office_with_scores(client, make_user, make_unit)
    scheme_id, _ = await _run(client, "单位,期间,重点工作\nU01,Q3,90\nU02,Q3,40\n".encode())
    response = await client.get("/appraisal/export", params={"scheme": scheme_id, "format": "xlsx"})
    assert response.status_code == 200
    assert "%E8%8D%89%E7%A8%BF" in response.headers["content-disposition"]  # 草稿 in the name
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["职能部门", "长表", "考核规则", "输入数据"]
    sheet = book["职能部门"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("状态", "单位代码", "单位名称", "类别") and "最终等次" in rows[0]
    assert {(r[1], r[2]) for r in rows[1:]} == {("U01", "区发展和改革局"), ("U02", "区市场监督管理局")}
    assert {r[0] for r in rows[1:]} == {"草稿（未发布）"}
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:O{len(rows)}"
    assert isinstance(rows[1][5], float) and sheet.cell(2, 6).number_format == "0.00"
    long = list(book["长表"].iter_rows(values_only=True))
    assert long[0] == ("单位代码", "单位名称", "类别", "期间", "项目", "数值")
    assert ("U01", "区发展和改革局", "职能部门", "Q3", "重点工作", 90) in long
    inputs = list(book["输入数据"].iter_rows(values_only=True))
    assert inputs[0][:4] == ("单位名称", "单位", "类别", "期间") and "企业评_误差" in inputs[0]
    assert all(isinstance(r[inputs[0].index("重点工作")], int | float) for r in inputs[1:])
    rules = [r[0] for r in book["考核规则"].iter_rows(values_only=True)]
    assert any("测试考核方案" in str(r) for r in rules)
    csv = await client.get("/appraisal/export", params={"scheme": scheme_id, "format": "csv"})
    assert "最终等次" in csv.content.decode("utf-8-sig")
    assert len(await audit.recent_events(action="appraisal.export")) == 2

    published = await post_form(client, "/appraisal", "/appraisal/runs/1/publish", {})
    assert published.status_code == 200
    client.cookies.clear()
    await make_user("admin1", "admin")
    await login(client, "admin1")
    token = await _token(client, "考核系统", ["appraisal:read"])
    client.cookies.clear()
    body = (
        await client.get(
            "/api/v1/appraisal",
            params={"year": 2026, "limit": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
    ).json()
    assert body["scheme_name"] == "测试考核方案" and body["scheme_version"] == 1
    assert [i["unit_code"] for i in body["items"]] == ["U01"] and body["next_cursor"]
    assert body["items"][0]["grade"] in ("优秀", "良好", "一般")
    scores_refused = await client.get(
        "/api/v1/scores", params={"period": "2026-Q3"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert scores_refused.status_code == 403
