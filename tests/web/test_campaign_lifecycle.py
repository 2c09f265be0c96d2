"""Findings 6 and 9: closing is confirmed with counts and can be undone until results are
published; the monitor counts started-but-unsubmitted invitations, filters non-respondents,
selects all of them, and exports a reminder batch with SMS lengths."""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import load_workbook

from survey_app.db.queries import audit
from survey_app.db.tables import Campaign, Draft, Invitation, RespondentContact
from survey_app.services.reminders import sms_segments
from tests.conftest import csrf_from, login, post_form
from tests.db.test_sampling_service import drawn_campaign


async def admin(client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")


async def start_drafts(campaign_id: int, count: int) -> list[int]:
    rows = await Invitation.select(Invitation.id).where(
        (Invitation.campaign == campaign_id) & (Invitation.status == "pending")
    ).order_by(Invitation.id).limit(count)
    ids = [r["id"] for r in rows]
    for invitation_id in ids:
        await Draft.insert(Draft(invitation=invitation_id, answers={"q1": 5}, section="s1"))
        await Invitation.update({Invitation.status: "started"}).where(Invitation.id == invitation_id)
    return ids


def test_sms_segments_count_chinese_as_70_then_67() -> None:
    assert sms_segments("") == 0
    assert sms_segments("好" * 70) == 1
    assert sms_segments("好" * 71) == 2
    assert sms_segments("好" * 134) == 2
    assert sms_segments("好" * 135) == 3
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("a" * 69 + "好") == 1  # one Chinese character makes the whole text UCS-2


async def test_close_asks_for_confirmation_with_counts_then_reopen_until_published(
        client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=120)
    await Campaign.update({Campaign.closes_at: later}).where(Campaign.id == campaign_id)
    await start_drafts(campaign_id, 3)
    invited = await Invitation.count().where(Invitation.campaign == campaign_id)
    url = f"/campaigns/{campaign_id}/close"
    detail = await client.get(f"/campaigns/{campaign_id}")
    assert f'href="{url}"' in detail.text and f'action="{url}"' not in detail.text
    confirm = await client.get(url)
    assert f'id="close-awaiting">{invited}<' in confirm.text
    assert 'id="close-drafts">3<' in confirm.text
    assert "提前结束" in confirm.text
    token = re.search(r'name="token" value="([^"]+)"', confirm.text).group(1)  # type: ignore[union-attr]

    # Someone starts meanwhile: the confirmed numbers are stale, nothing closes.
    await start_drafts(campaign_id, 4)
    stale = await post_form(client, url, url, {"confirm": "1", "token": token})
    assert stale.status_code == 400 and "数字已有变化" in stale.text
    assert (await Campaign.select(Campaign.status).first())["status"] == "open"
    token = re.search(r'name="token" value="([^"]+)"', stale.text).group(1)  # type: ignore[union-attr]
    closed = await post_form(client, url, url, {"confirm": "1", "token": token})
    assert closed.status_code in (302, 303)
    assert (await Campaign.select(Campaign.status).first())["status"] == "closed"

    no_reason = await post_form(client, url, f"/campaigns/{campaign_id}/reopen", {"reason": ""})
    assert no_reason.status_code == 400 and "原因" in no_reason.text
    reopened = await post_form(client, url, f"/campaigns/{campaign_id}/reopen",
                               {"reason": "误操作提前结束"})
    assert reopened.status_code in (302, 303)
    assert (await Campaign.select(Campaign.status).first())["status"] == "open"
    events = await audit.recent_events(action="campaign.reopen")
    assert events and events[0].detail["reason"] == "误操作提前结束"

    page = await client.get(url)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    await post_form(client, url, url, {"confirm": "1", "token": token})
    published = await post_form(client, url, f"/campaigns/{campaign_id}/results-final",
                                {"confirm": "1"})
    assert published.status_code in (302, 303)
    refused = await post_form(client, url, f"/campaigns/{campaign_id}/reopen", {"reason": "再开"})
    assert refused.status_code == 400 and "结果已公布，不能重新开放" in refused.text
    assert (await Campaign.select(Campaign.status).first())["status"] == "closed"


async def test_monitor_counts_started_and_filters_non_respondents(client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    started = await start_drafts(campaign_id, 2)
    monitor = await client.get(f"/campaigns/{campaign_id}/monitor")
    assert re.search(r"<b>2</b><span>已开始填写未提交</span>", monitor.text)
    filtered = await client.get(f"/campaigns/{campaign_id}/monitor?filter=started")
    assert "已开始填写、未提交：2" in filtered.text
    shown = {int(i) for i in re.findall(r'name="ids" value="(\d+)"', filtered.text)}
    assert shown == set(started)
    assert "close" not in re.sub(r"closes?_|closed", "", filtered.text.split("未回复对象")[1])


async def test_reminder_batch_for_all_non_respondents(client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    awaiting = await Invitation.count().where(Invitation.campaign == campaign_id)
    monitor_url = f"/campaigns/{campaign_id}/monitor"
    form = await post_form(client, monitor_url, f"/campaigns/{campaign_id}/reminders/batch",
                           {"select_all": "1", "filter": "all"})
    assert form.status_code == 200 and 'id="sample-segments">' in form.text
    chars = int(re.search(r'id="sample-chars">(\d+)<', form.text).group(1))  # type: ignore[union-attr]
    segments = int(re.search(r'id="sample-segments">(\d+)<', form.text).group(1))  # type: ignore[union-attr]
    assert segments == (1 if chars <= 70 else -(-chars // 67))
    response = await client.post(f"/campaigns/{campaign_id}/reminders/batch.xlsx", data={
        "select_all": "1", "filter": "all", "mark": "1",
        "template": "{名称}您好，请填写“{调查}”：{链接}", "_csrf_token": csrf_from(form.text)})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["邀请编号", "手机号", "联系人", "名称", "个人链接", "短信内容", "字数",
                       "短信条数"]
    assert len(rows) - 1 == awaiting  # every page, not only the first 100
    phones = {r["phone"] for r in await RespondentContact.select(RespondentContact.phone)}
    first = rows[1]
    assert first[1] in phones and "/s/" in first[4] and first[4] in first[5]
    assert first[6] == len(first[5]) and first[7] == sms_segments(first[5])
    reminded = await Invitation.count().where(
        (Invitation.campaign == campaign_id) & (Invitation.reminder_count == 1))
    assert reminded == awaiting
    events = await audit.recent_events(action="campaign.reminder_batch")
    assert events and events[0].detail["rows"] == awaiting


async def test_reminder_batch_of_nothing_is_refused_in_chinese(client, make_user) -> None:
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    form = await post_form(client, f"/campaigns/{campaign_id}/monitor",
                           f"/campaigns/{campaign_id}/reminders/batch", {})
    response = await client.post(f"/campaigns/{campaign_id}/reminders/batch.xlsx", data={
        "filter": "all", "_csrf_token": csrf_from(form.text)})
    assert response.status_code == 400 and "没有选中任何未回复对象" in response.text


async def test_entry_page_has_no_doubled_already(client, make_user) -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "templates/entry/form.html").read_text("utf-8")
    assert "该邀请已{{" not in text


async def test_reminder_batch_keeps_a_formula_like_template_as_exact_text(
    client, make_user,
) -> None:
    """An apostrophe guard would become part of the SMS text; an explicit text cell does not."""
    await admin(client, make_user)
    campaign_id = await drawn_campaign()
    form = await post_form(client, f"/campaigns/{campaign_id}/monitor",
                           f"/campaigns/{campaign_id}/reminders/batch",
                           {"select_all": "1", "filter": "all"})
    template = '=HYPERLINK("{链接}","点此填写")'
    response = await client.post(f"/campaigns/{campaign_id}/reminders/batch.xlsx", data={
        "select_all": "1", "filter": "all", "template": template,
        "_csrf_token": csrf_from(form.text)})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    first = [c for c in sheet[2]]
    link, message = first[4].value, first[5]
    assert message.value == template.replace("{链接}", link)  # no leading apostrophe
    assert message.data_type == "s"  # a text cell: never evaluated as a formula
    assert first[6].value == len(message.value)  # numbers stay numbers
