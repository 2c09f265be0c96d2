"""Hand-over (整改): the analyst assigns a theme to a unit; only that unit's viewers see it,
with its opinions, and reply; every transition is audited."""

from __future__ import annotations

import datetime as dt
import re

from survey_app.db.queries import audit
from survey_app.db.tables import Opinion, Theme, Unit
from survey_app.services import themes
from tests.conftest import csrf_from, login, post_form
from tests.web.test_themes_pages import _analyst_with_themes, _theme_of


async def _hand_over_parking(client, make_user) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    seeded = await _analyst_with_themes(client, make_user)
    parking = await _theme_of(seeded.ids["parking"])
    unit = (await Unit.select(Unit.id).where(Unit.code == "U01").first())["id"]
    page = await client.get(f"/themes/{parking}")
    default = themes.default_deadline().isoformat()
    assert f'name="deadline" type="date" value="{default}"' in page.text
    assert "只按周一至周五计算，未扣除法定节假日" in page.text
    response = await client.post(f"/themes/{parking}/handover", data={
        "unit_id": str(unit), "deadline": "", "note": "请核实老旧小区停车位",
        "_csrf_token": csrf_from(page.text)})
    assert response.headers["location"] == f"/themes/{parking}"
    return parking, unit


async def test_handover_sets_unit_deadline_and_status(client, make_user) -> None:
    parking, unit = await _hand_over_parking(client, make_user)
    row = await Theme.select(Theme.status, Theme.unit, Theme.deadline, Theme.handover_note).where(
        Theme.id == parking).first()
    assert row["status"] == "assigned" and row["unit"] == unit
    assert row["handover_note"] == "请核实老旧小区停车位"
    deadline = row["deadline"]
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=dt.UTC)
    china = deadline.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert china.date() == themes.default_deadline() and china.hour == 23
    listing = await client.get("/themes")
    assert "已转办" in listing.text
    overview = await client.get("/themes/assigned")
    assert "区交通运输局" in overview.text and f"/themes/assigned/{parking}" in overview.text
    event = (await audit.recent_events(action="themes.handover"))[0]
    assert event.detail["unit"] == "U01" and event.detail["to"] == "assigned"
    assert event.target == f"theme:{parking}"
    # What the unit was given stays whole: no splitting it or merging it away.
    split = await post_form(client, f"/themes/{parking}", f"/themes/{parking}/split", {"k": "2"})
    assert split.status_code == 400 and "已转办整改，不能拆分或并入其他主题" in split.text


async def test_unit_viewer_sees_and_answers_only_its_own_theme(client, make_user) -> None:
    parking, _ = await _hand_over_parking(client, make_user)
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await make_user("viewer3", "unit_viewer", unit_code="U03")

    await login(client, "viewer3")
    assert f"/themes/assigned/{parking}" not in (await client.get("/themes/assigned")).text
    refused = await client.get(f"/themes/assigned/{parking}")
    assert refused.status_code == 404 and "停车" not in refused.text
    token = csrf_from((await client.get("/themes/assigned")).text)
    refused_reply = await client.post(f"/themes/assigned/{parking}/reply", data={
        "status": "done", "reply": "已处理", "_csrf_token": token})
    assert refused_reply.status_code == 404
    assert (await Theme.select(Theme.status).where(Theme.id == parking).first())["status"] == (
        "assigned")

    await login(client, "viewer1")
    listing = await client.get("/themes/assigned")
    assert f"/themes/assigned/{parking}" in listing.text and "本单位整改事项" in listing.text
    page = await client.get(f"/themes/assigned/{parking}")
    assert page.status_code == 200 and "请核实老旧小区停车位" in page.text
    assert "停车" in page.text and len(re.findall(r'class="opinion"', page.text)) == 20
    assert "转办整改" not in page.text  # the analyst's forms are not on the unit's page
    empty = await post_form(client, f"/themes/assigned/{parking}",
                            f"/themes/assigned/{parking}/reply", {"status": "review", "reply": ""})
    assert empty.status_code == 400 and "请填写整改措施" in empty.text
    # The unit cannot close the matter itself.
    closing = await post_form(client, f"/themes/assigned/{parking}",
                              f"/themes/assigned/{parking}/reply",
                              {"status": "done", "reply": "已处理"})
    assert closing.status_code == 400 and "整改中或报请验收" in closing.text
    working = await post_form(client, f"/themes/assigned/{parking}",
                              f"/themes/assigned/{parking}/reply",
                              {"status": "rectifying", "reply": "已增设 200 个停车位"})
    assert working.headers["location"] == f"/themes/assigned/{parking}"
    assert "整改中" in (await client.get(f"/themes/assigned/{parking}")).text
    await post_form(client, f"/themes/assigned/{parking}", f"/themes/assigned/{parking}/reply",
                    {"status": "review", "reply": "停车位已全部建成"})
    row = await Theme.select(Theme.status, Theme.reply, Theme.replied_at).where(
        Theme.id == parking).first()
    assert row["status"] == "review" and row["reply"] == "停车位已全部建成"
    assert row["replied_at"] is not None
    page = await client.get(f"/themes/assigned/{parking}")
    # The second reply did not overwrite the first: both are in the thread, in order.
    assert page.text.index("已增设 200 个停车位") < page.text.index("停车位已全部建成")
    assert "待验收" in page.text and "验收通过" not in page.text
    refused_accept = await client.post(f"/themes/assigned/{parking}/review", data={
        "decision": "accept", "comment": "", "_csrf_token": csrf_from(page.text)})
    assert refused_accept.status_code in (403, 404)
    assert (await Theme.select(Theme.status).where(Theme.id == parking).first())["status"] == (
        "review")

    # The analyst returns it with a comment, the unit replies again, the analyst accepts.
    await login(client, "analyst1")
    review_page = f"/themes/assigned/{parking}"
    silent = await post_form(client, review_page, f"{review_page}/review",
                             {"decision": "return", "comment": " "})
    assert silent.status_code == 400 and "请填写退回意见" in silent.text
    await post_form(client, review_page, f"{review_page}/review",
                    {"decision": "return", "comment": "请补充新建车位的位置清单"})
    assert (await Theme.select(Theme.status).where(Theme.id == parking).first())["status"] == (
        "rectifying")
    early = await post_form(client, review_page, f"{review_page}/review",
                            {"decision": "accept", "comment": ""})
    assert early.status_code == 400 and "报请验收后才能验收" in early.text
    await login(client, "viewer1")
    returned = await client.get(review_page)
    assert "退回重办" in returned.text and "请补充新建车位的位置清单" in returned.text
    await post_form(client, review_page, f"{review_page}/reply",
                    {"status": "review", "reply": "位置清单见附件"})
    await login(client, "analyst1")
    accepted = await post_form(client, review_page, f"{review_page}/review",
                               {"decision": "accept", "comment": "同意办结"})
    assert accepted.headers["location"] == review_page
    assert (await Theme.select(Theme.status).where(Theme.id == parking).first())["status"] == (
        "done")
    await login(client, "viewer1")
    done_page = await client.get(review_page)
    assert "已办结" in done_page.text and "答复整改情况" not in done_page.text
    thread = ["已增设 200 个停车位", "停车位已全部建成", "请补充新建车位的位置清单", "位置清单见附件",
              "同意办结"]
    positions = [done_page.text.index(text) for text in thread]
    assert positions == sorted(positions)
    transitions = [e.detail for e in await audit.recent_events(action="themes.reply")]
    assert transitions == [{"from": "rectifying", "to": "review"},
                           {"from": "rectifying", "to": "review"},
                           {"from": "assigned", "to": "rectifying"}]
    assert [e.detail["to"] for e in await audit.recent_events(action="themes.accept")] == ["done"]
    assert [e.detail["to"] for e in await audit.recent_events(action="themes.return")] == [
        "rectifying"]


async def test_unit_sees_only_the_opinions_about_itself(client, make_user) -> None:
    parking, _ = await _hand_over_parking(client, make_user)
    other = await Opinion.select(Opinion.id, Opinion.text).where(Opinion.unit_code == "U03").first()
    await Opinion.update({Opinion.theme: parking}).where(Opinion.id == other["id"])
    analyst_page = await client.get(f"/themes/assigned/{parking}")
    assert other["text"] in analyst_page.text  # the analyst sees the whole theme
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    page = await client.get(f"/themes/assigned/{parking}")
    assert page.status_code == 200 and other["text"] not in page.text
    assert "只列出本主题中涉及本单位的意见" in page.text
    assert len(re.findall(r'class="opinion"', page.text)) == 20


async def test_a_unit_with_few_opinions_reads_them_masked(client, make_user) -> None:
    """The small-group suppression of the analyst's filters does not hide from a unit the
    opinions about itself; personal information is masked on the way out."""
    parking, _ = await _hand_over_parking(client, make_user)
    about_u03 = await Opinion.select(Opinion.id).where(Opinion.unit_code == "U03").limit(2)
    await Opinion.update({Opinion.theme: parking}).where(
        Opinion.id.is_in([row["id"] for row in about_u03]))
    await Opinion.update({Opinion.text: "停车场收费不合理，请联系我 13812345678"}).where(
        Opinion.id == about_u03[0]["id"])
    await Theme.update({Theme.unit: (await Unit.select(Unit.id).where(
        Unit.code == "U03").first())["id"]}).where(Theme.id == parking)
    await make_user("viewer3", "unit_viewer", unit_code="U03")
    await login(client, "viewer3")
    page = await client.get(f"/themes/assigned/{parking}")
    assert page.status_code == 200 and len(re.findall(r'class="opinion"', page.text)) == 2
    assert "13812345678" not in page.text and "请联系我 【手机号】" in page.text
    assert "答卷人少于 5 位" not in page.text


async def test_themes_not_handed_over_are_invisible_to_units(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    await make_user("viewer3", "unit_viewer", unit_code="U03")
    await login(client, "viewer3")
    assert (await client.get(f"/themes/assigned/{tax}")).status_code == 404
    assert "暂无转办的整改事项" in (await client.get("/themes/assigned")).text


async def test_overdue_themes_are_flagged(client, make_user) -> None:
    parking, _ = await _hand_over_parking(client, make_user)
    await Theme.update({Theme.deadline: dt.datetime.now(dt.UTC) - dt.timedelta(days=1)}).where(
        Theme.id == parking)
    listing = (await client.get("/themes/assigned")).text
    assert "已逾期" in listing and "本页有 1 项已超过整改期限" in listing
    assert "已逾期" in (await client.get(f"/themes/{parking}")).text
    # Reported done in time for acceptance: waiting on the reviewer, not overdue.
    await Theme.update({Theme.status: "review"}).where(Theme.id == parking)
    assert "已逾期" not in (await client.get("/themes/assigned")).text
    await Theme.update({Theme.status: "done"}).where(Theme.id == parking)
    assert "已逾期" not in (await client.get("/themes/assigned")).text


async def test_handover_errors_are_explained(client, make_user) -> None:
    seeded = await _analyst_with_themes(client, make_user)
    tax = await _theme_of(seeded.ids["tax"])
    no_unit = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/handover",
                              {"unit_id": "", "deadline": "", "note": ""})
    assert no_unit.status_code == 400 and "请选择承办单位" in no_unit.text
    unit = (await Unit.select(Unit.id).where(Unit.code == "U03").first())["id"]
    past = await post_form(client, f"/themes/{tax}", f"/themes/{tax}/handover",
                           {"unit_id": str(unit), "deadline": "2020-01-01", "note": ""})
    assert past.status_code == 400 and "不能早于今天" in past.text
    assert (await Theme.select(Theme.status).where(Theme.id == tax).first())["status"] == (
        "pending")


async def test_analyst_accepts_or_returns_from_the_theme_page(client, make_user) -> None:
    """Trial finding: /themes/<id> of a theme 待验收 showed the unit's reply but no 验收/退回;
    those were only at /themes/assigned/<id>. The theme page now carries them."""
    parking, _ = await _hand_over_parking(client, make_user)
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    await post_form(client, f"/themes/assigned/{parking}", f"/themes/assigned/{parking}/reply",
                    {"status": "review", "reply": "停车位已全部建成"})
    await login(client, "analyst1")
    theme_url = f"/themes/{parking}"
    page = await client.get(theme_url)
    assert "停车位已全部建成" in page.text
    assert f'action="/themes/assigned/{parking}/review"' in page.text
    assert 'value="accept"' in page.text and 'value="return"' in page.text
    assert f'href="/themes/assigned/{parking}"' in page.text  # the whole thread, one click away

    silent = await post_form(client, theme_url, f"/themes/assigned/{parking}/review",
                             {"decision": "return", "comment": " ", "back": "theme"})
    assert silent.status_code == 400 and "请填写退回意见" in silent.text
    returned = await post_form(client, theme_url, f"/themes/assigned/{parking}/review",
                               {"decision": "return", "comment": "请补充位置清单", "back": "theme"})
    assert returned.headers["location"] == theme_url  # back where the analyst was
    assert (await Theme.select(Theme.status).where(Theme.id == parking).first())["status"] == (
        "rectifying")
    rectifying = await client.get(theme_url)
    assert 'value="accept"' not in rectifying.text  # nothing to accept until the unit reports
    assert f'href="/themes/assigned/{parking}"' in rectifying.text

    await login(client, "viewer1")
    await post_form(client, f"/themes/assigned/{parking}", f"/themes/assigned/{parking}/reply",
                    {"status": "review", "reply": "位置清单见附件"})
    await make_user("office1", "office")
    await login(client, "office1")
    accepted = await post_form(client, theme_url, f"/themes/assigned/{parking}/review",
                               {"decision": "accept", "comment": "同意办结", "back": "theme"})
    assert accepted.headers["location"] == theme_url
    assert (await Theme.select(Theme.status).where(Theme.id == parking).first())["status"] == "done"
    assert [e.actor_name for e in await audit.recent_events(action="themes.accept")] == ["office1"]
