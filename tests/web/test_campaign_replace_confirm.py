"""Replacing an invitation whose respondent has started (a draft is saved) or has been reminded
is previewed and needs an explicit confirmation: the draft's last-saved time and how many
questions it answers, that the link stops working and that the draft is kept. The decision is
audited with that information; the draft row is never deleted by a replacement."""

from __future__ import annotations

import json
import re

from survey_app.db.queries import audit
from survey_app.db.queries import submissions as submission_queries
from survey_app.db.tables import Draft, Invitation
from survey_app.web.templating import format_time
from tests.conftest import login, post_form
from tests.db.test_sampling_service import drawn_campaign


async def _admin(client, make_user) -> None:  # type: ignore[no-untyped-def]
    await make_user("admin1", "admin")
    await login(client, "admin1")


async def _first_invitation(campaign_id: int) -> int:
    row = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id).order_by(Invitation.id).first()
    return int(row["id"])


def _confirm_token(html: str) -> str:
    match = re.search(r'name="confirm" value="([^"]+)"', html)
    assert match, "the confirmation page carries what was confirmed"
    return match.group(1)


async def test_replacing_a_started_invitation_asks_first_and_keeps_the_draft(
    client, make_user
) -> None:
    await _admin(client, make_user)
    campaign_id = await drawn_campaign()
    old_id = await _first_invitation(campaign_id)
    await submission_queries.save_draft(
        old_id, json.dumps({"q_u01": 4, "opinion": "希望窗口延长午间服务时间"}), "s1")
    saved_at = (await Draft.select(Draft.updated_at).first())["updated_at"]
    monitor = f"/campaigns/{campaign_id}/monitor"
    action = f"/campaigns/{campaign_id}/invitations/{old_id}/replace"

    asked = await post_form(client, monitor, action, {"reason": "closed"})
    assert asked.status_code == 200
    text = asked.text
    assert "确认替补" in text and f"邀请 {old_id}" in text
    assert "已开始填写" in text and "已答 2 题" in text
    assert format_time(saved_at) in text  # the draft's last-saved time, China time
    assert "链接将失效" in text and "草稿不会删除" in text
    assert "企业注销、停业或已不存在" in text  # the chosen reason is shown and kept
    assert 'name="reason" value="closed"' in text
    # Nothing happened yet.
    assert (await Invitation.select(Invitation.status).where(Invitation.id == old_id).first()
            )["status"] != "replaced"
    assert await Invitation.count() == 20
    assert not await audit.recent_events(action="campaign.replace")

    done = await post_form(client, monitor, action,
                           {"reason": "closed", "confirm": _confirm_token(text)})
    assert done.status_code in (302, 303)
    assert (await Invitation.select(Invitation.status).where(Invitation.id == old_id).first()
            )["status"] == "replaced"
    # The draft is evidence: kept (retention purges it with the campaign's data).
    assert await Draft.count() == 1
    event = (await audit.recent_events(action="campaign.replace"))[0]
    assert event.detail["draft_answered"] == 2
    assert event.detail["draft_saved_at"]
    assert event.detail["reminders"] == 0
    assert event.detail["confirmed"] is True


async def test_replacing_a_reminded_invitation_asks_first(client, make_user) -> None:
    await _admin(client, make_user)
    campaign_id = await drawn_campaign()
    old_id = await _first_invitation(campaign_id)
    await Invitation.update({Invitation.reminder_count: 2}).where(Invitation.id == old_id)
    monitor = f"/campaigns/{campaign_id}/monitor"
    action = f"/campaigns/{campaign_id}/invitations/{old_id}/replace"
    asked = await post_form(client, monitor, action, {"reason": "unreachable"})
    assert asked.status_code == 200 and "确认替补" in asked.text
    assert "已提醒 2 次" in asked.text and "尚未开始填写" in asked.text
    assert await Invitation.count() == 20
    done = await post_form(client, monitor, action,
                           {"reason": "unreachable", "confirm": _confirm_token(asked.text)})
    assert done.status_code in (302, 303)
    event = (await audit.recent_events(action="campaign.replace"))[0]
    assert event.detail["reminders"] == 2 and event.detail["draft_answered"] == 0


async def test_a_confirmation_of_an_older_state_asks_again(client, make_user) -> None:
    """The respondent saved more after the admin looked: the admin sees the new numbers."""
    await _admin(client, make_user)
    campaign_id = await drawn_campaign()
    old_id = await _first_invitation(campaign_id)
    await submission_queries.save_draft(old_id, json.dumps({"q_u01": 4}), "s1")
    monitor = f"/campaigns/{campaign_id}/monitor"
    action = f"/campaigns/{campaign_id}/invitations/{old_id}/replace"
    asked = await post_form(client, monitor, action, {"reason": "closed"})
    token = _confirm_token(asked.text)
    await submission_queries.save_draft(
        old_id, json.dumps({"q_u01": 4, "opinion": "再补充一句"}), "s1")
    again = await post_form(client, monitor, action, {"reason": "closed", "confirm": token})
    assert again.status_code == 409
    assert "已有变化" in again.text and "已答 2 题" in again.text
    assert await Invitation.count() == 20
