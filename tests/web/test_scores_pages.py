"""Score pages: the office computes and reads scores, unit viewers see only their unit,
exports open in a spreadsheet program, and suspect responses are excluded only after review."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from analysis.scoring.reference import unit_index_from_records
from survey_app.db.queries import audit
from survey_app.db.tables import Response, ScoreRun, UnitScore
from survey_app.jobs.runner import run_next_job
from tests.conftest import login, post_form
from tests.db.test_scores_compute import SPEC, _frames, _keyed
from tests.db.test_scores_seed import estimate_of, first_row, seed_campaign


async def _office_computes(client, make_user, make_unit, **seed):  # type: ignore[no-untyped-def]
    """Two units, one seeded campaign, scores computed through the page and the job."""
    ids = (await make_unit("U01", "区发展和改革局"), await make_unit("U02", "区市场监督管理局"))
    seeded = await seed_campaign(**seed)
    await make_user("office1", "office")
    await login(client, "office1")
    response = await post_form(
        client, "/scores", "/scores/compute",
        {"period": "2026-Q3", "audience": "enterprise", "mapping": "nbs", "dimension_weights": ""},
    )  # fmt: skip
    assert response.status_code in (302, 303) and response.headers["location"].startswith("/jobs/")
    assert await run_next_job("test")
    job = await client.get(response.headers["location"])
    assert "已完成" in job.text and "/scores?period=2026-Q3" in job.text
    return ids, seeded


async def test_office_computes_and_reads_the_period_scores(client, make_user, make_unit) -> None:
    (u01, _), seeded = await _office_computes(client, make_user, make_unit)
    expected = unit_index_from_records("U01", _keyed(seeded.records("U01")), SPEC, _frames(seeded))
    stored = await first_row(UnitScore.select().where(UnitScore.unit == u01))
    assert stored["index_value"] == pytest.approx(expected.score, abs=1e-9)
    page = await client.get("/scores", params={"period": "2026-Q3"})
    assert page.status_code == 200
    assert "企业评价 · 2026-Q3" in page.text
    assert f"{expected.score:.2f}" in page.text and f"±{estimate_of(expected).moe:.2f}" in page.text
    assert "区市场监督管理局" in page.text
    assert "答卷质量" in page.text  # counts are published with the scores
    card = await client.get(f"/scores/units/{u01}", params={"period": "2026-Q3"})
    assert card.status_code == 200
    assert "分维度" in card.text and "服务态度" in card.text and "办事效率" in card.text
    assert "您对区发改局的服务态度是否满意？" in card.text
    report = await client.get(f"/scores/units/{u01}/report", params={"period": "2026-Q3"})
    assert report.status_code == 200 and "满意度测评报告" in report.text
    assert "计算规则与数据来源" in report.text and "<details" not in report.text


async def test_compute_form_errors_are_chinese(client, make_user, make_unit) -> None:
    await make_user("office1", "office")
    await login(client, "office1")
    response = await post_form(
        client, "/scores", "/scores/compute",
        {"period": "2026-Q3", "audience": "enterprise", "dimension_weights": "服务态度 0.4"},
    )  # fmt: skip
    assert response.status_code == 400 and "维度权重第 1 项「服务态度 0.4」格式不正确" in response.text
    bad = await post_form(
        client, "/scores", "/scores/compute", {"period": "三季度", "audience": "enterprise"}
    )
    assert bad.status_code == 400 and "期间「三季度」格式不正确" in bad.text
    assert await ScoreRun.count() == 0


async def test_trend_chart_is_inline_svg_across_periods(client, make_user, make_unit) -> None:
    (u01, _), _ = await _office_computes(client, make_user, make_unit)
    await seed_campaign(code="c2026q4", period="2026-Q4", seed=9)
    await post_form(client, "/scores", "/scores/compute", {"period": "2026-Q4", "audience": "enterprise"})
    assert await run_next_job("test")
    card = await client.get(f"/scores/units/{u01}")
    assert "2026-Q4" in card.text and "<svg" in card.text and "历次得分趋势" in card.text
    assert card.text.count("<circle") == 2 and "<script" not in card.text


async def test_unit_viewer_sees_only_its_own_unit(client, make_user, make_unit) -> None:
    (u01, u02), _ = await _office_computes(client, make_user, make_unit)
    await client.post("/logout", data={"_csrf_token": ""})
    client.cookies.clear()
    await make_user("viewer1", "unit_viewer", unit_code="U02")
    await login(client, "viewer1")
    listing = await client.get("/scores", params={"period": "2026-Q3"})
    assert listing.status_code == 200
    assert "区市场监督管理局" in listing.text and "区发展和改革局" not in listing.text
    assert "答卷质量" not in listing.text and "/scores/compute" not in listing.text
    assert (await client.get(f"/scores/units/{u02}")).status_code == 200
    refused = await client.get(f"/scores/units/{u01}")
    assert refused.status_code == 404 and "区发展和改革局" not in refused.text
    assert (await client.get(f"/scores/units/{u01}/report")).status_code == 404
    assert (await client.get("/scores/export", params={"period": "2026-Q3"})).status_code == 403
    assert (await client.get("/appraisal")).status_code == 403


async def test_exports_open_with_one_sheet_per_unit_class(client, make_user, make_unit) -> None:
    await make_unit("S01", "城关街道", "街道园区")
    await _office_computes(client, make_user, make_unit)
    response = await client.get("/scores/export", params={"period": "2026-Q3", "format": "xlsx"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["职能部门", "长表", "计算规则与阈值"]  # S01 has no answers: no sheet
    rows = list(book["职能部门"].iter_rows(values_only=True))
    assert rows[0][:6] == ("评价对象", "类别", "排名", "单位代码", "单位名称", "有效样本")
    assert {row[3] for row in rows[1:]} == {"U01", "U02"}
    assert "标记" in rows[0] and "权重规则" in rows[0]
    styled = load_workbook(io.BytesIO(response.content))["职能部门"]
    rate_column = rows[0].index("满意率") + 1
    assert styled.freeze_panes == "A2" and styled.auto_filter.ref.startswith("A1:")
    assert styled.cell(2, rate_column).number_format == "0.0%"
    assert isinstance(styled.cell(2, rate_column).value, float) and styled.cell(2, rate_column).value <= 1
    long = list(book["长表"].iter_rows(values_only=True))
    assert long[0] == ("评价对象", "期间", "单位代码", "单位名称", "类别", "指标", "数值")
    assert any(r[2] == "U01" and r[5] == "满意度指数" and isinstance(r[6], float) for r in long[1:])
    rules = [row[1] for row in book["计算规则与阈值"].iter_rows(values_only=True)]
    assert any("样本不足不发布：有效样本少于 10 人" in str(r) for r in rules)
    assert any("国家统计局赋值加权法" in str(r) for r in rules)
    csv = await client.get("/scores/export", params={"period": "2026-Q3", "format": "csv"})
    assert csv.content.startswith(b"\xef\xbb\xbf") and "满意度指数" in csv.content.decode("utf-8-sig")
    assert [e.detail["format"] for e in await audit.recent_events(action="scores.export")] == ["csv", "xlsx"]


async def test_suspect_responses_are_excluded_only_after_review(client, make_user, make_unit) -> None:
    # the first two responses took 20 s against a median of 300 s: speeders
    (u01, _), seeded = await _office_computes(client, make_user, make_unit, durations={0: 20, 1: 20})
    flagged = await Response.select(Response.id, Response.status).where(Response.quality_flags != "")
    assert len(flagged) == 2 and all(r["status"] == "complete" for r in flagged)
    page = await client.get("/scores", params={"period": "2026-Q3"})
    assert "待复核" in page.text
    target = flagged[0]["id"]
    quality_url = f"/scores/quality/{seeded.campaign_id}"
    listing = await client.get(quality_url)
    assert "答题过快" in listing.text
    missing = await post_form(
        client, quality_url, f"/scores/quality/responses/{target}", {"decision": "exclude", "reason": ""}
    )
    assert missing.status_code == 400 and "请填写剔除的理由" in missing.text
    done = await post_form(
        client,
        quality_url,
        f"/scores/quality/responses/{target}",
        {"decision": "exclude", "reason": "用时20秒，明显未认真作答"},
    )
    assert done.status_code in (302, 303)
    row = await first_row(Response.select().where(Response.id == target))
    assert row["status"] == "excluded" and row["exclusion_reason"] == "用时20秒，明显未认真作答"
    assert "REVIEWED" in row["quality_flags"]
    event = (await audit.recent_events(action="response.exclude"))[0]
    assert event.actor_name == "office1" and event.detail["reason"] == "用时20秒，明显未认真作答"
    unflagged = next(i for i in seeded.responses if i not in {r["id"] for r in flagged})
    refused = await post_form(
        client,
        quality_url,
        f"/scores/quality/responses/{unflagged}",
        {"decision": "exclude", "reason": "看着不顺眼"},
    )
    assert refused.status_code == 400 and "只有被标记为质量可疑的答卷" in refused.text
    # recomputing leaves the excluded response out, and keeps the reviewer's mark
    await post_form(client, "/scores", "/scores/compute", {"period": "2026-Q3", "audience": "enterprise"})
    assert await run_next_job("test")
    latest = await first_row(
        UnitScore.select().where(UnitScore.unit == u01).order_by(UnitScore.id, ascending=False)
    )
    assert latest["n"] == 31
    again = await first_row(Response.select(Response.quality_flags).where(Response.id == target))
    assert "REVIEWED" in again["quality_flags"]
    counts = await client.get("/scores", params={"period": "2026-Q3"})
    assert "复核后剔除" in counts.text


def test_trend_svg_escapes_labels_and_uses_round_ticks() -> None:
    from survey_app.services.scores import TrendPoint
    from survey_app.web.pages.scores import trend_svg

    svg = str(
        trend_svg(
            [
                TrendPoint("<b>Q1</b>", 71.2, 66.0, 76.4),
                TrendPoint("Q2", None, None, None),
                TrendPoint("Q3", 80.5, 78.0, 83.0),
            ],
            "趋势 & <图>",
        )
    )
    assert "<b>" not in svg and "&lt;b&gt;Q1&lt;/b&gt;" in svg and "趋势 &amp; &lt;图&gt;" in svg
    # CIs span 66–83: ticks every 10 points from 60 to 90
    assert [t in svg for t in (">60</text>", ">70</text>", ">90</text>", ">65</text>")] == [
        True,
        True,
        True,
        False,
    ]
    assert svg.count("<circle") == 2 and svg.count("<polyline") == 2  # a gap where suppressed
    assert trend_svg([TrendPoint("Q1", None, None, None)], "空") == ""


async def test_a_dimension_weight_typo_keeps_the_form_and_says_where(client, make_user, make_unit) -> None:
    """Trial: 维度权重「办事效率=abc」格式不正确 cleared everything typed in the compute form."""
    await make_user("office1", "office")
    await login(client, "office1")
    typed = "服务态度=0.4，办事效率=abc"
    response = await post_form(
        client, "/scores", "/scores/compute",
        {"period": "2026-Q3", "audience": "resident", "mapping": "linear", "dimension_weights": typed},
    )  # fmt: skip
    assert response.status_code == 400
    text = response.text
    assert "维度权重第 2 项「办事效率=abc」格式不正确" in text
    assert "维度「办事效率」的权重「abc」不是数字" in text
    assert "应写作 维度=权重" in text and "多项用逗号分隔" in text
    assert f'name="dimension_weights" value="{typed}"' in text
    assert 'name="dimension_weights" value="服务态度=0.4，办事效率=abc" aria-invalid="true"' in text
    assert '<option value="resident" selected>' in text
    assert '<option value="linear" selected>' in text
    assert 'name="period" value="2026-Q3"' in text
    missing = await post_form(
        client, "/scores", "/scores/compute",
        {"period": "2026-Q3", "audience": "enterprise", "dimension_weights": "服务态度0.4"},
    )  # fmt: skip
    assert "维度权重第 1 项「服务态度0.4」格式不正确：缺少“=”" in missing.text
    assert await ScoreRun.count() == 0
