"""A page left open while the campaign closes: whatever the respondent then posts (下一页,
上一页, 提交问卷, answered or not) gets the closed notice first, never a validation message;
an acknowledged submission replayed after the close still gets its receipt."""

from __future__ import annotations

import re

import pytest

from survey_app.db.tables import Campaign, Response
from tests.support.campaigns import branching_campaign, post_fields, step_fields

CLOSED = "本次调查已经结束"


async def _close(campaign_id: int) -> None:
    await Campaign.update({Campaign.status: "closed"}).where(Campaign.id == campaign_id)


@pytest.mark.parametrize("kind", ["invitation", "open"])
@pytest.mark.parametrize("action", ["next", "prev", "submit"])
@pytest.mark.parametrize("answered", [False, True])
async def test_a_post_after_the_close_shows_the_closed_notice_first(
    client, db, kind: str, action: str, answered: bool
) -> None:
    campaign = await branching_campaign()
    link = f"/s/{campaign.tokens[0]}" if kind == "invitation" else f"/o/{campaign.open_token}"
    page = await client.get(link)
    assert page.status_code == 200
    await _close(campaign.campaign_id)
    answers = {"q1": "no"} if answered else {}  # unanswered: the required q1 is missing
    posted = await post_fields(client, link, step_fields(page.text, action, **answers))
    assert posted.status_code == 410
    assert CLOSED in posted.text
    assert "必答" not in posted.text and "请对" not in posted.text
    assert await Response.count() == 0


async def test_an_acknowledged_submission_replayed_after_the_close_keeps_its_receipt(
    client, db
) -> None:
    campaign = await branching_campaign()
    link = f"/s/{campaign.tokens[0]}"
    page = await client.get(link)
    again = await post_fields(client, link, step_fields(page.text, "next", q1="no"))
    assert "这是最后一部分" in again.text
    fields = step_fields(again.text, "submit", q1="no")
    done = await post_fields(client, link, fields)
    receipt = re.search(r"回执编号：<b>([^<]+)</b>", done.text)
    assert receipt is not None
    await _close(campaign.campaign_id)
    replayed = await post_fields(client, link, fields)
    assert replayed.status_code == 200 and receipt.group(1) in replayed.text
    assert await Response.count() == 1
