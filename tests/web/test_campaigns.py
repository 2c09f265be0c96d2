"""Campaign pages: create, preview and draw, open and close, monitor, reminders, replacement,
sampling report, and who may see or do what."""

from __future__ import annotations

import re

from survey_app.db.queries import audit
from survey_app.db.tables import Campaign, Invitation
from survey_app.jobs.runner import run_next_job
from survey_app.services import campaign_draws
from tests.conftest import login, post_form
from tests.db.test_sampling_service import (
    drawn_campaign,
    load_roster,
    new_campaign,
    published_version,
)

PLAN_FORM = {"strata": ["industry", "size_class"], "size_mode": "rate", "rate_percent": "25",
             "allocation": "proportional", "min_per_stratum": "1", "exclude_recent": "0",
             "seed": "20260701"}


def fingerprint_of(html: str) -> str:
    match = re.search(r'name="fingerprint" value="([^"]+)"', html)
    assert match, "the preview shows the plan fingerprint"
    return match.group(1)


async def preview_and_draw(client, url: str, form: dict):  # type: ignore[no-untyped-def]
    """Preview, then confirm from the preview with its fingerprint, as the page leads to."""
    preview = await post_form(client, url, f"{url}/plan", {**form, "action": "preview"})
    return await post_form(client, url, f"{url}/plan",
                           {**form, "action": "draw", "fingerprint": fingerprint_of(preview.text)})


async def admin(client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")


async def test_create_campaign_from_the_list_page(client, make_user) -> None:
    await admin(client, make_user)
    version_id = await published_version()
    bad = await post_form(client, "/campaigns", "/campaigns", {
        "name": "2026年第三季度企业调查", "code": "2026Q3-ENT", "period": "2026年三季度",
        "audience": "enterprise", "version_id": str(version_id)})
    assert bad.status_code == 400 and "统计期格式" in bad.text
    assert 'value="2026Q3-ENT"' in bad.text  # the form keeps what was typed
    wrong_audience = await post_form(client, "/campaigns", "/campaigns", {
        "name": "居民调查", "code": "RES", "period": "2026-Q3", "audience": "resident",
        "version_id": str(version_id)})
    assert "所选问卷面向企业" in wrong_audience.text
    created = await post_form(client, "/campaigns", "/campaigns", {
        "name": "2026年第三季度企业调查", "code": "2026Q3-ENT", "period": "2026-q3",
        "audience": "enterprise", "version_id": str(version_id), "opens_on": "2026-07-01",
        "closes_on": "2026-09-30"})
    assert created.status_code in (302, 303)
    row = await Campaign.select().first()
    assert (row["period"], row["status"]) == ("2026-Q3", "draft")
    # 2026-07-01 00:00 in China is 2026-06-30 16:00 UTC.
    assert row["opens_at"].isoformat().startswith("2026-06-30T16:00")
    detail = await client.get(created.headers["location"])
    assert "抽样方案" in detail.text and "随机种子" in detail.text
    assert re.search(r'name="seed" min="0" value="\d{10}"', detail.text)  # a random default


async def test_preview_then_draw_then_open(client, make_user) -> None:
    await admin(client, make_user)
    await load_roster()
    campaign_id = await new_campaign(await published_version())
    url = f"/campaigns/{campaign_id}"
    preview = await post_form(client, url, f"{url}/plan", {**PLAN_FORM, "action": "preview"})
    assert preview.status_code == 200
    assert "分配预览" in preview.text and "制造业 / 规上" in preview.text
    assert re.search(r"<td>制造业 / 规上</td><td class=\"num\">41</td><td class=\"num\">0</td>"
                     r"<td class=\"num\">10</td>", preview.text)
    assert await Invitation.count() == 0
    drawn = await post_form(client, url, f"{url}/plan",
                            {**PLAN_FORM, "action": "draw", "fingerprint": fingerprint_of(preview.text)})
    assert drawn.status_code in (302, 303)
    assert await Invitation.count() == 20
    page = await client.get(drawn.headers["location"])
    assert "抽样完成" in page.text and "20260701" in page.text and "抽样结果" in page.text
    opened = await post_form(client, url, f"{url}/open", {})
    assert opened.status_code in (302, 303)
    assert (await Campaign.select(Campaign.status).first())["status"] == "open"
    assert "campaign.open" in [e.action for e in await audit.recent_events()]


async def test_bad_plan_is_explained_and_keeps_the_form(client, make_user) -> None:
    await admin(client, make_user)
    await load_roster()
    campaign_id = await new_campaign(await published_version())
    url = f"/campaigns/{campaign_id}"
    response = await post_form(client, url, f"{url}/plan",
                               {**PLAN_FORM, "size_mode": "n", "total_n": "500", "action": "draw"})
    assert response.status_code == 400
    assert "样本量500超过可抽取对象总数80" in response.text
    assert await Invitation.count() == 0


async def test_large_frame_is_drawn_by_a_job(client, make_user, monkeypatch) -> None:
    await admin(client, make_user)
    await load_roster()
    monkeypatch.setattr(campaign_draws, "DRAW_INLINE_MAX_FRAME", 10)
    campaign_id = await new_campaign(await published_version())
    url = f"/campaigns/{campaign_id}"
    response = await preview_and_draw(client, url, PLAN_FORM)
    assert response.headers["location"].startswith("/jobs/")
    assert await Invitation.count() == 0
    assert await run_next_job("test")
    assert await Invitation.count() == 20
    job = await client.get(response.headers["location"])
    assert f'href="/campaigns/{campaign_id}"' in job.text
    assert (await audit.recent_events(action="campaign.draw"))[0].actor_name == "admin1"


async def test_monitor_lists_non_respondents_and_records_reminders(client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    invitations = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id).order_by(Invitation.id)
    ids = [r["id"] for r in invitations]
    await Invitation.update({Invitation.status: "responded"}).where(Invitation.id == ids[0])
    url = f"/campaigns/{campaign_id}/monitor"
    monitor = await client.get(url)
    assert monitor.status_code == 200
    assert "未回复对象（19）" in monitor.text
    assert "5.0%" in monitor.text  # RR1 = 1 / 20
    assert len(re.findall(r"138\*\*\*\*\d{4}", monitor.text)) == 19  # phones are masked
    assert not re.search(r"1380000\d{4}", monitor.text)
    # httpx sends repeated fields from a list value.
    reminded = await post_form(client, url, f"/campaigns/{campaign_id}/reminders",
                               {"ids": [str(ids[0]), str(ids[1]), str(ids[2])]})
    assert reminded.status_code in (302, 303)
    counts = {r["id"]: r["reminder_count"] for r in await Invitation.select(
        Invitation.id, Invitation.reminder_count).where(Invitation.id.is_in(ids[:3]))}
    assert counts == {ids[0]: 0, ids[1]: 1, ids[2]: 1}  # the responded one is not reminded
    await post_form(client, url, f"/campaigns/{campaign_id}/reminders", {"ids": str(ids[1])})
    row = await Invitation.select(Invitation.reminder_count, Invitation.last_reminded_at).where(
        Invitation.id == ids[1]).first()
    assert row["reminder_count"] == 2 and row["last_reminded_at"] is not None
    page = await client.get(url)
    assert "已记录" in (await client.get(reminded.headers["location"])).text
    assert re.search(rf'value="{ids[1]}".*?<td class="num">2</td>', page.text, re.S)


async def test_replacement_from_the_monitor(client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    old = await Invitation.select(Invitation.id, Invitation.stratum).where(
        Invitation.campaign == campaign_id).first()
    url = f"/campaigns/{campaign_id}/monitor"
    refused = await post_form(client, url,
                              f"/campaigns/{campaign_id}/invitations/{old['id']}/replace",
                              {"reason": ""})
    assert refused.status_code == 400 and "请选择替补原因" in refused.text
    replaced = await post_form(client, url,
                               f"/campaigns/{campaign_id}/invitations/{old['id']}/replace",
                               {"reason": "unreachable"})
    assert replaced.status_code in (302, 303)
    new = await Invitation.select(Invitation.stratum).where(
        (Invitation.campaign == campaign_id) & (Invitation.status == "pending")
    ).order_by(Invitation.id, ascending=False).first()
    assert new["stratum"] == old["stratum"]
    report = await client.get(f"/campaigns/{campaign_id}/report")
    assert report.status_code == 200 and "样本框、样本与回复" in report.text
    assert re.search(r"<td>制造业 / 规上</td><td class=\"num\">41</td>", report.text)


async def test_office_may_look_but_not_act(client, make_user) -> None:
    campaign_id = await drawn_campaign()
    await make_user("office1", "office")
    await login(client, "office1")
    assert (await client.get("/campaigns")).status_code == 200
    detail = await client.get(f"/campaigns/{campaign_id}")
    assert detail.status_code == 200 and "结束调查" not in detail.text
    monitor = await client.get(f"/campaigns/{campaign_id}/monitor")
    assert monitor.status_code == 200 and "同层替补" not in monitor.text
    assert (await client.get(f"/campaigns/{campaign_id}/report")).status_code == 200
    assert (await client.get(f"/campaigns/{campaign_id}/distribution")).status_code == 403
    refused = await post_form(client, f"/campaigns/{campaign_id}",
                              f"/campaigns/{campaign_id}/close", {})
    assert refused.status_code == 403


async def test_unit_viewer_and_analyst_see_no_campaign_pages(client, make_unit, make_user) -> None:
    campaign_id = await drawn_campaign()
    await make_unit("U01")
    await make_user("viewer1", "unit_viewer", unit_code="U01")
    await login(client, "viewer1")
    for path in ("/campaigns", f"/campaigns/{campaign_id}", f"/campaigns/{campaign_id}/monitor",
                 f"/campaigns/{campaign_id}/report", "/roster"):
        assert (await client.get(path)).status_code == 403, path


async def test_closing_ends_the_campaign(client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    url = f"/campaigns/{campaign_id}/close"
    unconfirmed = await post_form(client, url, url, {})
    assert unconfirmed.status_code == 400  # one click no longer closes (finding 6)
    assert (await Campaign.select(Campaign.status).first())["status"] == "open"
    form = await client.get(url)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    closed = await post_form(client, url, url, {"confirm": "1", "token": token})
    assert closed.status_code in (302, 303)
    assert (await Campaign.select(Campaign.status).first())["status"] == "closed"
    again = await post_form(client, f"/campaigns/{campaign_id}",
                            f"/campaigns/{campaign_id}/close", {"confirm": "1", "token": token})
    assert again.status_code == 400 and "只有进行中的批次可以结束" in again.text
    assert (await client.get("/campaigns/99999")).status_code == 404


async def test_pages_cope_with_a_sample_drawn_elsewhere(client, make_user) -> None:
    """A campaign whose plan was stored in another shape (e.g. by an import) still shows its
    progress; replacement explains why it cannot be done."""
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    await Campaign.update({Campaign.sampling_plan: {"strata": ["industry"], "rate": 0.25}}).where(
        Campaign.id == campaign_id)
    for path in ("", "/monitor", "/report"):
        response = await client.get(f"/campaigns/{campaign_id}{path}")
        assert response.status_code == 200, path
    assert "没有完整的抽样方案记录" in (await client.get(f"/campaigns/{campaign_id}")).text
    invitation = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id).first()
    refused = await post_form(client, f"/campaigns/{campaign_id}/monitor",
                              f"/campaigns/{campaign_id}/invitations/{invitation['id']}/replace",
                              {"reason": "closed"})
    assert refused.status_code == 400 and "无法按层替补" in refused.text


async def test_a_new_campaign_page_has_no_empty_rows_and_names_missing_dates(
        client, make_user) -> None:
    # Found walking issue 14: "— 至 —" and a blank band of empty action rows before the plan.
    await admin(client, make_user)
    campaign_id = await new_campaign(await published_version())
    detail = (await client.get(f"/campaigns/{campaign_id}")).text
    assert "未设定起止日期" in detail and "— 至 —" not in detail
    assert 'class="actions"' not in detail.split("<h2>抽样方案</h2>")[0]
    listing = (await client.get("/campaigns")).text
    assert "未设定" in listing and "— 至 —" not in listing


async def test_non_respondent_rows_keep_short_words_whole(client, make_user) -> None:
    # Found walking issue 14: 城关街/道, 未开/始 and the button 同层/替补 broke over two lines.
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    monitor = (await client.get(f"/campaigns/{campaign_id}/monitor")).text
    assert '<td class="nowrap">未开始</td>' in monitor
    assert re.search(r'<td class="nowrap">[^<]+</td><td>[^<]+</td>\s*<td>', monitor)
    css_href = re.search(r'href="(/static/css/app\.[^"]+\.css)"', monitor).group(1)  # type: ignore[union-attr]
    assert "table.grid button { white-space:nowrap; }" in (await client.get(css_href)).text


async def test_a_second_campaign_with_the_same_name_and_period_is_refused(
        client, make_user) -> None:
    """Trial: two campaigns named alike for 2026-Q4 gave two identical 数据录入 buttons."""
    await admin(client, make_user)
    version_id = await published_version()
    form = {"name": "2026年第四季度企业营商环境满意度调查", "code": "2026Q4-ENT",
            "period": "2026-Q4", "audience": "enterprise", "version_id": str(version_id),
            "opens_on": "2026-10-01", "closes_on": "2026-12-31"}
    assert (await post_form(client, "/campaigns", "/campaigns", form)).status_code in (302, 303)
    again = await post_form(client, "/campaigns", "/campaigns", {
        **form, "code": "2026Q4-ENT-B", "name": " 2026年第四季度企业营商环境满意度调查 ",
        "period": "2026-q4"})
    assert again.status_code == 400
    assert ("已有同名的调查批次“2026年第四季度企业营商环境满意度调查”（2026Q4-ENT，2026-Q4）"
            in again.text)
    assert 'value="2026Q4-ENT-B"' in again.text and 'value="2026-12-31"' in again.text
    assert await Campaign.count() == 1
    other_period = await post_form(client, "/campaigns", "/campaigns", {
        **form, "code": "2027Q1-ENT", "period": "2027-Q1"})
    assert other_period.status_code in (302, 303)
    assert await Campaign.count() == 2
