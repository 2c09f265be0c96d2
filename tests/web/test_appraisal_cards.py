"""Issue 12, finding 5: red/yellow cards have a register and a rectification workflow; the
dashboards say what to do; satisfaction and appraisal stay apart on /scores."""

from __future__ import annotations

import datetime as dt

from survey_app.db.queries import audit
from survey_app.db.tables import AppraisalCard
from tests.conftest import login, post_form
from tests.web.test_appraisal_workflow import (
    SCHEME,
    _office,
    full_rows,
    indicator_csv,
    publish,
    run,
    upload_and_apply,
)

CARDS = SCHEME.replace(
    "classes:", "warnings:\n  basis: total\n  yellow: {below: 76}\n  red: {below: 40}\nclasses:"
)


async def _published_with_cards(client, make_user, make_unit):  # type: ignore[no-untyped-def]
    ids = await _office(client, make_user, make_unit)
    saved = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": CARDS})
    assert saved.status_code in (302, 303)
    await upload_and_apply(client, indicator_csv(full_rows()))
    assert (await run(client)).status_code == 200
    published = await publish(client, "启用预警规则后重新发布")
    cards = await AppraisalCard.select().order_by(AppraisalCard.id)
    assert published.status_code == 200 and f"新登记预警 {len(cards)} 张" in published.text
    card = next(c for c in cards if c["unit"] == ids["U03"])  # 重点工作 68, 工单 90: 75.33 < 76
    assert card is not None
    return ids, card


async def test_a_card_is_registered_notified_rectified_and_lifted(client, make_user, make_unit) -> None:
    ids, card = await _published_with_cards(client, make_user, make_unit)
    assert card["color"] == "黄牌" and card["status"] == "open"
    assert card["reason"] == "期间得分（未计加减分） 75.33 低于黄牌线 76"
    code = next(c for c, i in ids.items() if i == card["unit"])
    office = dict(client.cookies)
    await make_user("unit1", "unit_viewer", unit_code=code)
    await make_user("unit2", "unit_viewer", unit_code="U05" if code != "U05" else "U06")

    async def as_user(name: str) -> None:
        client.cookies.clear()
        await login(client, name)

    await as_user("unit1")
    home = await client.get("/")
    assert "考核待办" in home.text and card["reason"] in home.text and "提交整改方案" in home.text
    unit_page = await client.get(f"/scores/units/{card['unit']}")
    assert "预警原因" in unit_page.text and card["reason"] in unit_page.text
    short = await post_form(client, "/cards", f"/cards/{card['id']}/plan", {"plan": "马上整改"})
    assert short.status_code == 400 and "整改方案至少写 10 个字" in short.text
    plan = "原因：工单办结率偏低。措施：建立周调度，责任人张科长，12 月底前完成。"
    assert (await post_form(client, "/cards", f"/cards/{card['id']}/plan", {"plan": plan})).status_code in (
        302,
        303,
    )
    await as_user("unit2")
    other = await post_form(client, "/cards", f"/cards/{card['id']}/plan", {"plan": plan})
    assert other.status_code == 404
    assert card["reason"] not in (await client.get("/cards")).text

    client.cookies.clear()
    client.cookies.update(office)
    home = await client.get("/")
    assert "整改方案待审核" in home.text
    bare = await post_form(client, "/cards", f"/cards/{card['id']}/review", {"decision": "return"})
    assert bare.status_code == 400 and "退回整改方案必须写明原因" in bare.text
    returned = await post_form(
        client, "/cards", f"/cards/{card['id']}/review", {"decision": "return", "note": "缺少完成时限"}
    )
    assert returned.status_code in (302, 303)
    await as_user("unit1")
    assert "考核办意见：缺少完成时限" in (await client.get("/cards")).text
    assert (
        await post_form(client, "/cards", f"/cards/{card['id']}/plan", {"plan": plan + "（补）"})
    ).status_code in (302, 303)
    client.cookies.clear()
    client.cookies.update(office)
    accepted = await post_form(client, "/cards", f"/cards/{card['id']}/review", {"decision": "accept"})
    assert accepted.status_code in (302, 303)
    row = await AppraisalCard.select().where(AppraisalCard.id == card["id"]).first()
    assert row is not None and row["status"] == "lifted" and row["lifted_at"] is not None
    decisions = [e.detail["decision"] for e in await audit.recent_events(action="appraisal.card.review")]
    assert decisions == ["accept", "return"]
    assert len(await audit.recent_events(action="appraisal.card.plan")) == 2


async def test_overdue_cards_are_flagged_for_the_office(client, make_user, make_unit) -> None:
    _, card = await _published_with_cards(client, make_user, make_unit)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    await AppraisalCard.update({AppraisalCard.deadline: past}).where(AppraisalCard.id == card["id"])
    register = await client.get("/cards")
    assert "逾期" in register.text
    assert "已逾期" in (await client.get("/")).text


async def test_scores_page_keeps_satisfaction_apart_from_the_appraisal(client, make_user, make_unit) -> None:
    ids, _ = await _published_with_cards(client, make_user, make_unit)
    unit_page = await client.get(f"/scores/units/{ids['U01']}")
    assert '<svg class="bars"' in unit_page.text and '<table class="grid components">' in unit_page.text
    assert '<svg class="distribution"' in unit_page.text
    page = await client.get("/scores", params={"period": "2026-Q3"})
    assert page.status_code == 200
    assert "<th>等次</th>" not in page.text and "<th>预警</th>" not in page.text
    assert "本表只列满意度" in page.text
    assert '<svg class="ranking"' in page.text and "企业评价 · 职能部门：满意度指数与 95% 区间" in page.text
    reports = await client.get("/scores/reports", params={"period": "2026-Q3"})
    assert reports.status_code == 200 and reports.text.count('class="report-page"') == 2


async def test_unit_dashboard_lists_handed_themes_with_deadlines(client, make_user) -> None:
    from tests.web.test_themes_handover import _hand_over_parking

    parking, _ = await _hand_over_parking(client, make_user)
    client.cookies.clear()
    await make_user("unit1", "unit_viewer", unit_code="U01")
    await login(client, "unit1")
    home = await client.get("/")
    assert "考核待办" in home.text and f'href="/themes/assigned/{parking}"' in home.text
    assert "待整改回复</a>，期限" in home.text


async def test_card_reason_names_the_score_it_is_based_on(client, make_user, make_unit) -> None:
    """Trial finding: 考核得分 82.31 next to a reason "得分 85.31 …" — the card rules use the
    period score before 加减分 (scheme: basis total), so the reason must say so."""
    ids = await _office(client, make_user, make_unit)
    saved = await post_form(client, "/appraisal/schemes", "/appraisal/schemes", {"definition": CARDS})
    assert saved.status_code in (302, 303)
    rows = full_rows()
    rows = [(u, p, {**v, "扣分": 3} if u == "U03" else v) for u, p, v in rows]
    await upload_and_apply(client, indicator_csv(rows))
    assert (await run(client)).status_code == 200
    assert (await publish(client, "扣分后重新发布")).status_code == 200
    page = (await client.get("/appraisal")).text
    row = page[page.index(f"/scores/units/{ids['U03']}") :]
    row = row[: row.index("</tr>")]
    assert "72.33" in row  # 考核得分 after the deduction of 3
    assert "Q3 期间得分（未计加减分） 75.33 低于黄牌线 76" in row
    assert "得分 75.33" not in row  # never a bare 得分 that differs from 考核得分
