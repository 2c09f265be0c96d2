"""Issue 12: the appraisal workflow the performance office can trust, publish and follow up.

Each finding of the issue is reproduced with its exact steps: 计算 with no upload, with a
one-cell upload, an open small-n campaign, a quota-breaking override, weights summing to 1.1,
a unit looking at a draft.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from openpyxl import load_workbook

from survey_app.db.queries import audit
from survey_app.db.queries._rows import json_value
from survey_app.db.tables import (
    AppraisalResult,
    AppraisalRun,
    AppraisalScheme,
    Campaign,
    IndicatorUpload,
    IndicatorValue,
)
from survey_app.services import score_runs, scores
from tests.conftest import csrf_from, login, post_form
from tests.db.test_scores_seed import Stratum, seed_campaign

UNITS = [
    ("U01", "区发展和改革局"), ("U02", "区市场监督管理局"), ("U03", "区公安分局"), ("U04", "区城市管理局"),
    ("U05", "区卫生健康局"), ("U06", "区教育局"), ("U07", "区行政审批局"), ("U08", "区住房和城乡建设局"),
    ("U09", "区交通运输局"), ("U10", "区生态环境局"),
]  # fmt: skip

SCHEME = """
name: 测试考核方案
year: 2026
periods: {Q1: 0.1, Q2: 0.2, Q3: 0.3, Q4: 0.4}
survey_periods: {min_responses: 30, min_response_rate: 0.2}
bonus: {cap: 5, items: [{column: 加分, cap: 5}]}
deduction: {cap: 10, items: [{column: 扣分}]}
grading:
  method: forced
  grades:
    - {name: 优秀, ratio: 3, rounding: 不超过, tie: exclude}
    - {name: 良好, ratio: 6}
    - {name: 一般, ratio: 1, rounding: 不少于}
classes:
  - name: 职能部门
    components:
      - {key: 企业评, kind: satisfaction, weight: 0.4}
      - {key: 重点工作, weight: 0.4}
      - {key: 工单办结率, weight: 0.2}
"""

KEY_WORK = {code: 60 + 4 * i for i, (code, _) in enumerate(UNITS)}  # U01 60 … U10 96


def indicator_csv(rows: list[tuple[str, str, dict[str, Any]]]) -> bytes:
    columns = ["重点工作", "工单办结率", "加分", "扣分", "一票否决"]
    used = [c for c in columns if any(c in values for _, _, values in rows)]
    lines = [",".join(["单位", "期间", *used])]
    for unit, period, values in rows:
        lines.append(",".join([unit, period, *(str(values.get(c, "")) for c in used)]))
    return ("\n".join(lines) + "\n").encode()


def full_rows(period: str = "Q3") -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (code, period, {"重点工作": KEY_WORK[code], "工单办结率": 90, "加分": 0, "扣分": 0, "一票否决": "否"})
        for code, _ in UNITS
    ]


async def _office(client, make_user, make_unit, *, close_q3: bool = True) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = {code: await make_unit(code, name) for code, name in UNITS}
    await seed_campaign(strata=(Stratum("大型", 40, 16), Stratum("小型", 300, 40)), respondents=(14, 36))
    if close_q3:
        await Campaign.update({Campaign.status: "closed"}).where(Campaign.code == "c2026q3")
    await score_runs.compute_scores(
        scores.ScoreOptions("2026-Q3", "enterprise"), actor_id=None, actor_name="t"
    )
    await make_user("office1", "office")
    await login(client, "office1")
    saved = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": SCHEME})
    assert saved.status_code in (302, 303), saved.text
    return ids


async def _scheme_id() -> int:
    row = (
        await AppraisalScheme.select(AppraisalScheme.id).order_by(AppraisalScheme.id, ascending=False).first()
    )
    assert row is not None
    return int(row["id"])


async def upload(client, content: bytes, name: str = "指标.csv"):  # type: ignore[no-untyped-def]
    page = await client.get("/appraisal/inputs")
    data = {"scheme": str(await _scheme_id()), "_csrf_token": csrf_from(page.text)}
    return await client.post("/appraisal/inputs", data=data, files={"file": (name, content, "text/csv")})


async def upload_and_apply(client, content: bytes) -> str:  # type: ignore[no-untyped-def]
    staged = await upload(client, content)
    assert staged.status_code in (302, 303), staged.text
    preview_url = staged.headers["location"]
    preview = await client.get(preview_url)
    applied = await post_form(client, preview_url, f"{preview_url}/apply", {})
    assert applied.status_code in (302, 303), applied.text
    return preview.text


async def run(client, periods=("Q3",), **extra: Any):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {"scheme": str(await _scheme_id()), "periods": list(periods), **extra}
    return await post_form(client, "/appraisal", "/appraisal/run", data)


async def totals() -> dict[int, float]:
    return {r["unit"]: r["total"] for r in await AppraisalResult.select()}


async def latest_run_id() -> int:
    row = await AppraisalRun.select(AppraisalRun.id).order_by(AppraisalRun.id, ascending=False).first()
    assert row is not None
    return int(row["id"])


async def publish(client, reason: str = ""):  # type: ignore[no-untyped-def]
    return await post_form(client, "/appraisal", f"/appraisal/runs/{await latest_run_id()}/publish",
                           {"reason": reason})  # fmt: skip


# --- finding 1: 计算 never loses data silently ---------------------------------------------


async def test_compute_without_stored_indicators_refuses_and_lists_what_is_missing(
    client, make_user, make_unit
) -> None:
    """Repro: /appraisal → 计算 with no file. It used to grade on satisfaction alone."""
    await _office(client, make_user, make_unit)
    refused = await run(client)
    assert refused.status_code == 400
    assert "考核方案需要的指标数据还缺 50 项，未计算" in refused.text
    assert "区公安分局（U03）Q3「重点工作」" in refused.text
    assert await AppraisalResult.count() == 0 and await AppraisalRun.count() == 0
    # an explicit, reasoned confirmation computes, and is audited; missing is never 0
    no_reason = await run(client, confirm_missing="1")
    assert no_reason.status_code == 400
    confirmed = await run(client, confirm_missing="1", missing_reason="重点工作尚未评定，先看满意度排名")
    assert confirmed.status_code == 200 and "结果为草稿（未发布）" in confirmed.text
    assert "经确认在缺少 50 项指标数据的情况下计算" in confirmed.text
    event = (await audit.recent_events(action="appraisal.run"))[0]
    assert event.detail["missing_count"] == 50
    assert event.detail["missing_reason"] == "重点工作尚未评定，先看满意度排名"
    satisfaction = {r["unit"]: r["total"] for r in await AppraisalResult.select() if r["total"] is not None}
    assert satisfaction and all(value > 0 for value in satisfaction.values())


async def test_a_one_cell_upload_changes_only_that_cell(client, make_user, make_unit) -> None:
    """Repro: a CSV holding one cell (U03,Q3,重点工作=60) wiped every other unit's indicators."""
    ids = await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    assert (await run(client)).status_code == 200
    assert (await publish(client)).status_code == 200
    before = await totals()
    preview = await upload_and_apply(client, "单位,期间,重点工作\nU03,Q3,60\n".encode())
    assert "应用后将写入 <b>1</b> 个新值或改动" in preview
    assert re.search(r"区公安分局.*Q3.*重点工作.*68.*60", preview, re.S)
    page = await run(client)
    assert page.status_code == 200
    after = await totals()
    changed = {unit for unit in before if before[unit] != after[unit]}
    assert changed == {ids["U03"]}
    assert after[ids["U03"]] < before[ids["U03"]]
    # the draft's diff says why U03 moved
    assert "Q3「重点工作」68 → 60" in page.text or "与已发布结果相比有 0 个单位" in page.text
    stored = {(r["unit"], r["column_name"]): r["value"] for r in await IndicatorValue.select()}
    assert stored[ids["U03"], "重点工作"] == 60 and stored[ids["U04"], "重点工作"] == 72
    history = await client.get("/appraisal/inputs")
    assert history.text.count("已应用") >= 2 and "office1" in history.text


async def test_uploads_are_validated_per_cell_before_anything_is_stored(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    bad = "单位,期间,重点工作,工单办结率,备注列\nU99,Q3,90,90,\nU01,Q9,90,90,\nU02,Q3,九十,120,\n".encode()
    response = await upload(client, bad)
    assert response.status_code == 400
    for message in (
        "上传的指标表有",
        "不是考核方案需要上传的列",
        "单位「U99」不在单位名录中",
        "期间「Q9」不在考核方案中",
        "「九十」不是数字",
        "120 超出允许范围 0–100",
    ):
        assert message in response.text, message
    assert await IndicatorUpload.count() == 0 and await IndicatorValue.count() == 0
    event = (await audit.recent_events(action="appraisal.inputs.rejected"))[0]
    assert event.detail == {"problems": 5}


async def test_pending_upload_changes_nothing_until_confirmed(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    staged = await upload(client, indicator_csv(full_rows()))
    assert staged.status_code in (302, 303)
    assert await IndicatorValue.count() == 0
    preview_url = staged.headers["location"]
    discarded = await post_form(client, preview_url, f"{preview_url}/discard", {})
    assert discarded.status_code in (302, 303)
    assert await IndicatorValue.count() == 0
    again = await post_form(client, "/appraisal/inputs", f"{preview_url}/apply", {})
    assert again.status_code == 400 and "该上传已处理过" in again.text


async def test_template_is_generated_from_the_scheme(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()[:1]))
    response = await client.get("/appraisal/inputs/template", params={"scheme": await _scheme_id()})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["指标数据"].iter_rows(values_only=True))
    assert rows[0] == (
        "单位代码",
        "单位名称",
        "类别",
        "期间",
        "重点工作",
        "工单办结率",
        "加分",
        "扣分",
        "一票否决",
    )
    assert len(rows) == 1 + len(UNITS) * 4
    first_q3 = next(r for r in rows if r[0] == "U01" and r[3] == "Q3")
    assert first_q3[1] == "区发展和改革局" and first_q3[4] == 60 and isinstance(first_q3[4], int | float)
    # the filled template uploads back without problems
    buffer = io.BytesIO()
    book.save(buffer)
    page = await client.get("/appraisal/inputs")
    data = {"scheme": str(await _scheme_id()), "_csrf_token": csrf_from(page.text)}
    back = await client.post(
        "/appraisal/inputs", data=data, files={"file": ("模板.xlsx", buffer.getvalue(), "x")}
    )
    assert back.status_code in (302, 303), back.text


# --- finding 2: which survey periods count -------------------------------------------------


async def test_open_small_campaign_is_excluded_unless_decided(client, make_user, make_unit) -> None:
    """Repro: Q4 from a running campaign with n = 16 entered at full quarterly weight."""
    ids = await _office(client, make_user, make_unit)
    strata = (Stratum("大型", 40, 200), Stratum("小型", 300, 300))  # 500 invited, 16 answered
    await seed_campaign(code="c2026q4", period="2026-Q4", strata=strata, respondents=(6, 10), seed=4)
    await score_runs.compute_scores(
        scores.ScoreOptions("2026-Q4", "enterprise"), actor_id=None, actor_name="t"
    )
    await upload_and_apply(client, indicator_csv(full_rows("Q3") + full_rows("Q4")))
    page = await client.get("/appraisal")
    assert re.search(r'value="Q3" aria-label="计入 Q3" checked', page.text)
    assert re.search(r'value="Q4" aria-label="计入 Q4">', page.text)  # not checked by default
    assert "企业调查：进行中，n = 16，回收率 3.2%，精度不足" in page.text
    home = await client.get("/")
    assert "进行中的调查与回收率" in home.text and "回收不足，暂不计入考核" in home.text
    refused = await run(client, periods=("Q3", "Q4"))
    assert refused.status_code == 400 and "默认不计入" in refused.text and "n = 16" in refused.text
    no_reason = await run(client, periods=("Q3", "Q4"), include_low="Q4")
    assert no_reason.status_code == 400 and "必须填写理由" in no_reason.text
    q3_only = await run(client, periods=("Q3",))
    assert q3_only.status_code == 200 and "本次只计入 Q3（0.3）" in q3_only.text
    q3_totals = await totals()
    included = await run(
        client, periods=("Q3", "Q4"), include_low="Q4", low_reason="考核委员会决定计入第四季度"
    )
    assert included.status_code == 200
    assert "Q4 精度不足：企业调查：进行中，n = 16，回收率 3.2%，精度不足" in included.text
    assert await totals() != q3_totals
    event = (await audit.recent_events(action="appraisal.run"))[0]
    assert (
        event.detail["include_low"] == ["Q4"] and event.detail["low_reason"] == "考核委员会决定计入第四季度"
    )
    row = (
        await AppraisalResult.select(AppraisalResult.details)
        .where(AppraisalResult.unit == ids["U01"])
        .first()
    )
    assert row is not None and "精度不足" in json.dumps(json_value(row["details"], {}), ensure_ascii=False)


# --- finding 4: draft, review, publish -----------------------------------------------------


async def test_units_and_the_api_see_only_published_results(client, make_user, make_unit) -> None:
    """Repro: a unit looking at a draft."""
    ids = await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    draft = await run(client)
    assert "草稿" in draft.text and "本年度还没有发布过结果" in draft.text
    home = await client.get("/")
    assert "考核待办" in home.text and "待审核发布" in home.text
    await make_user("unit03", "unit_viewer", unit_code="U03")
    await make_user("admin1", "admin")
    office_cookies = dict(client.cookies)

    async def unit_view() -> str:
        client.cookies.clear()
        await login(client, "unit03")
        text = (await client.get(f"/scores/units/{ids['U03']}")).text
        client.cookies.clear()
        client.cookies.update(office_cookies)
        return text

    assert "年度考核（已发布）" not in await unit_view()
    assert (await publish(client)).status_code == 200
    published_total = (await totals())[ids["U03"]]
    seen = await unit_view()
    assert "年度考核（已发布）" in seen and f"{published_total:.2f}" in seen
    # a new draft changes nothing the unit sees
    await upload_and_apply(client, "单位,期间,重点工作\nU03,Q3,20\n".encode())
    redraft = await run(client)
    assert "与已发布结果的差异" in redraft.text and "区公安分局" in redraft.text
    assert (await totals())[ids["U03"]] != published_total
    assert f"{published_total:.2f}" in await unit_view()
    # republishing needs a reason
    refused = await publish(client)
    assert refused.status_code == 400 and "重新发布必须填写理由" in refused.text
    assert (await publish(client, "补录第三季度重点工作得分")).status_code == 200
    assert f"{(await totals())[ids['U03']]:.2f}" in await unit_view()
    events = await audit.recent_events(action="appraisal.publish")
    assert [e.detail["republish"] for e in events] == [True, False]
    assert events[0].detail["reason"] == "补录第三季度重点工作得分"


async def test_api_returns_only_the_published_run(client, make_user, make_unit) -> None:
    from tests.web.test_api_v1 import _token

    await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    await run(client)
    office_cookies = dict(client.cookies)
    client.cookies.clear()
    await make_user("admin1", "admin")
    await login(client, "admin1")
    token = await _token(client, "考核系统", ["appraisal:read"])
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    unpublished = await client.get("/api/v1/appraisal", params={"year": 2026}, headers=headers)
    assert unpublished.status_code == 404 and unpublished.json()["detail"] == "2026 年度还没有发布的考核结果"
    client.cookies.update(office_cookies)
    assert (await publish(client)).status_code == 200
    client.cookies.clear()
    body = (await client.get("/api/v1/appraisal", params={"year": 2026}, headers=headers)).json()
    assert len(body["items"]) == len(UNITS) and body["scheme_version"] == 1
    assert {i["grade"] for i in body["items"]} <= {"优秀", "良好", "一般"}


# --- finding 3: overrides and scheme versions inside the rules -----------------------------


async def _top_outside(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    rows = await AppraisalResult.select().order_by(AppraisalResult.rank)
    return next(r for r in rows if r["grade"] == "良好")


async def test_override_breaking_the_quota_needs_a_second_confirmation(client, make_user, make_unit) -> None:
    """Repro: an override gave 4 优秀 of 10 where 3:6:1 allows 3, with no warning."""
    await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    await run(client)
    assert await AppraisalResult.count().where(AppraisalResult.grade == "优秀") == 3
    target = await _top_outside(client)
    url = f"/appraisal/results/{target['id']}/override"
    refused = await post_form(client, "/appraisal", url, {"grade": "优秀", "reason": "经考核委员会研究决定"})
    assert refused.status_code == 400
    assert "「优秀」将有 4 个，超过 3:6:1 强制分布允许的 3 个" in refused.text
    assert "确认突破强制分布" in refused.text and 'value="经考核委员会研究决定"' in refused.text
    row = await AppraisalResult.select().where(AppraisalResult.id == target["id"]).first()
    assert row is not None and row["override_grade"] == ""
    done = await post_form(client, "/appraisal", url, {
        "grade": "优秀", "reason": "经考核委员会研究决定", "confirm_quota": "1",
        "quota_reason": "区考核委员会〔2026〕3号决议",
    })  # fmt: skip
    assert done.status_code in (302, 303)
    page = await client.get("/appraisal")
    assert "突破强制分布的依据：区考核委员会〔2026〕3号决议" in page.text
    export = await client.get("/appraisal/export", params={"scheme": await _scheme_id(), "format": "xlsx"})
    book = load_workbook(io.BytesIO(export.content))
    lines = list(book["职能部门"].iter_rows(values_only=True))
    assert "区考核委员会〔2026〕3号决议" in [c for line in lines for c in line]
    event = (await audit.recent_events(action="appraisal.override"))[0]
    assert event.detail["quota_reason"] == "区考核委员会〔2026〕3号决议"
    history = await client.get(f"/scores/units/{target['unit']}")
    assert "等次调整记录" in history.text and "良好 → 优秀" in history.text
    # a downgrade inside the quota needs no second confirmation
    top = await AppraisalResult.select().where(AppraisalResult.grade == "优秀").first()
    assert top is not None
    inside = await post_form(client, "/appraisal", f"/appraisal/results/{top['id']}/override",
                             {"grade": "良好", "reason": "存在通报问题，下调一档"})  # fmt: skip
    assert inside.status_code in (302, 303)


async def test_an_override_settles_needs_review(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    await run(client)
    row = await AppraisalResult.select().where(AppraisalResult.grade == "一般").first()
    assert row is not None
    details = dict(json_value(row["details"], {}))
    details.update(needs_review=True, review_reasons=["满意度精度不足，列入最低等次前须人工复核"])
    await AppraisalResult.update({AppraisalResult.details: details}).where(AppraisalResult.id == row["id"])
    assert "待复核" in (await client.get("/appraisal")).text
    done = await post_form(client, "/appraisal", f"/appraisal/results/{row['id']}/override",
                           {"grade": "一般", "reason": "复核后维持计算等次"})  # fmt: skip
    assert done.status_code in (302, 303)
    # keeping the computed grade is no override; confirming a different one is
    other = await post_form(client, "/appraisal", f"/appraisal/results/{row['id']}/override",
                            {"grade": "良好", "reason": "复核后上调，名额内"})  # fmt: skip
    assert other.status_code == 400  # it would leave no 一般 where 3:6:1 requires 1
    assert "「良好」及以上将有 10 个，超过 3:6:1 强制分布允许的 9 个" in other.text
    form = {"grade": "良好", "reason": "复核后上调", "confirm_quota": "1", "quota_reason": "〔2026〕4号决议"}
    confirmed = await post_form(client, "/appraisal", f"/appraisal/results/{row['id']}/override", form)
    assert confirmed.status_code in (302, 303)
    page = await client.get("/appraisal")
    assert page.text.count("待复核") == 0 and "已调整" in page.text


async def test_weights_not_summing_to_one_are_refused(client, make_user, make_unit) -> None:
    """Repro: a weight typo (sum 1.1) was saved as version 2 and silently renormalised."""
    await _office(client, make_user, make_unit)
    typo = SCHEME.replace("{key: 重点工作, weight: 0.4}", "{key: 重点工作, weight: 0.5}")
    refused = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": typo})
    assert refused.status_code == 400
    assert (
        "类别「职能部门」的指标权重之和为 1.1，应为 1（企业评 0.4、重点工作 0.5、工单办结率 0.2）"
        in refused.text
    )
    assert "系统不会自动折算" in refused.text and "weight: 0.5" in refused.text
    periods = SCHEME.replace("Q4: 0.4}", "Q4: 0.5}")
    refused = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": periods})
    assert refused.status_code == 400 and "期间权重之和为 1.1" in refused.text
    assert await AppraisalScheme.count() == 1


async def test_compute_needs_the_scheme_version_chosen_explicitly(client, make_user, make_unit) -> None:
    await _office(client, make_user, make_unit)
    page = await client.get("/appraisal")
    assert '<option value="">— 请选择 —</option>' in page.text
    refused = await post_form(client, "/appraisal", "/appraisal/run", {"periods": ["Q3"]})
    assert refused.status_code == 400 and "请选择用于计算的考核方案版本" in refused.text


async def test_overrides_are_carried_to_a_new_scheme_version_for_review(client, make_user, make_unit) -> None:
    """Repro: earlier overrides disappeared when a new scheme version was computed."""
    ids = await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    await run(client)
    top = await AppraisalResult.select().where(AppraisalResult.grade == "优秀").first()
    assert top is not None
    await post_form(client, "/appraisal", f"/appraisal/results/{top['id']}/override",
                    {"grade": "良好", "reason": "存在通报问题，下调一档"})  # fmt: skip
    assert (await publish(client)).status_code == 200
    v2 = SCHEME.replace("name: 测试考核方案", "name: 测试考核方案（修订）")
    assert (
        await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": v2})
    ).status_code == 302
    page = await run(client)
    assert page.status_code == 200 and "沿用的等次调整（待复核）" in page.text
    carried = (
        await AppraisalResult.select()
        .where((AppraisalResult.unit == top["unit"]) & (AppraisalResult.scheme == await _scheme_id()))
        .first()
    )
    assert carried is not None and carried["override_grade"] == "良好"
    assert "沿用第1版的调整，待复核" in carried["override_reason"]
    assert top["unit"] in ids.values()


async def test_the_run_notes_are_shown_once(client, make_user, make_unit) -> None:
    """Trial: after 计算 the page printed 「本次只计入 Q3（0.3）…」 twice (flash and run card)."""
    await _office(client, make_user, make_unit)
    await upload_and_apply(client, indicator_csv(full_rows()))
    computed = await run(client, periods=("Q3",))
    assert computed.status_code == 200
    assert computed.text.count("本次只计入 Q3（0.3）") == 1
    assert "结果为草稿（未发布）" in computed.text
    later = await client.get("/appraisal")  # the run card keeps the note for later visits
    assert later.text.count("本次只计入 Q3（0.3）") == 1
