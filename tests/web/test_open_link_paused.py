"""A respondent on an open link posts a page after the administrator paused the link: the page
is kept as the device's draft (after the draft checks) and the pause notice says so; after the
link is resumed the respondent continues on that page with the answers kept."""

from __future__ import annotations

import json
import re

from survey_app.db.tables import Campaign, OpenDraft, Response
from tests.conftest import csrf_from
from tests.support.campaigns import campaign_from_yaml, hidden_value, post_fields, step_fields

PAGED = """
id: paged-{suffix}
title: 政务服务满意度
sections:
  - id: p1
    title: 基本情况
    questions:
      - {{name: q1, type: single_choice, label: 近一年是否到政务大厅办过事, required: true,
         options: [{{value: "yes", label: 是}}, {{value: "no", label: 否}}]}}
  - id: p2
    title: 意见建议
    questions:
      - {{name: q2, type: single_choice, label: 是否有改进建议, required: true,
         options: [{{value: "yes", label: 是}}, {{value: "no", label: 否}}]}}
      - {{name: suggestion, type: textarea, label: 您的建议}}
      - {{name: q_code, type: single_choice, label: 所在街道,
         options: [{{value: "a", label: 甲}}, {{value: "b", label: 乙}}]}}
  - id: p3
    title: 其他
    questions:
      - {{name: q3, type: text, label: 其他说明}}
"""
SUGGESTION = "希望窗口延长午间服务时间，周末也能办理"


async def _pause(campaign_id: int, paused: bool) -> None:
    await Campaign.update({Campaign.open_link_paused: paused}).where(Campaign.id == campaign_id)


async def test_a_page_posted_while_the_link_is_paused_is_kept(client, db) -> None:
    campaign = await campaign_from_yaml(PAGED)
    link = f"/o/{campaign.open_token}"
    first = await client.get(link)
    moved = await post_fields(client, link, step_fields(first.text, "next", ("q1", "yes")),
                              follow_redirects=True)
    assert hidden_value(moved.text, "_section") == "p2"

    await _pause(campaign.campaign_id, True)
    # q_code "zzz" is not an option: left out of the draft like any draft check would.
    posted = await post_fields(client, link, step_fields(
        moved.text, "next", ("q2", "yes"), ("suggestion", SUGGESTION), ("q_code", "zzz")))
    assert posted.status_code == 410
    assert "暂停使用" in posted.text
    assert "您已填写的内容已保存" in posted.text and "恢复使用后" in posted.text
    row = await OpenDraft.select(OpenDraft.answers, OpenDraft.section).first()
    assert row["section"] == "p2"
    kept = row["answers"] if isinstance(row["answers"], dict) else json.loads(row["answers"])
    assert kept == {"q1": "yes", "q2": "yes", "suggestion": SUGGESTION}  # "zzz" left out
    assert await Response.count() == 0

    # While paused, opening the link still shows the notice.
    assert (await client.get(link)).status_code == 410
    await _pause(campaign.campaign_id, False)
    resumed = await client.get(link)
    assert resumed.status_code == 200
    assert hidden_value(resumed.text, "_section") == "p2"
    assert SUGGESTION in resumed.text
    assert re.search(r'name="q2" value="yes"[^>]*checked', resumed.text)
    assert not re.search(r'name="q_code" value="[ab]"[^>]*checked', resumed.text)
    assert re.search(r'name="q1" value="yes"', resumed.text) is None  # p1 is not shown again


async def test_a_submit_posted_while_paused_is_kept_and_not_submitted(client, db) -> None:
    campaign = await campaign_from_yaml(PAGED)
    link = f"/o/{campaign.open_token}"
    first = await client.get(link)
    await _pause(campaign.campaign_id, True)
    posted = await post_fields(client, link, step_fields(first.text, "submit", ("q1", "no")))
    assert posted.status_code == 410 and "您已填写的内容已保存" in posted.text
    assert await Response.count() == 0
    await _pause(campaign.campaign_id, False)
    resumed = await client.get(link)
    assert re.search(r'name="q1" value="no"[^>]*checked', resumed.text)


async def test_autosave_while_paused_keeps_the_answers_and_says_so(client, db) -> None:
    """survey.js autosaves every few seconds: while paused the answers are kept all the same,
    and the 409 with a message lets the next 下一页 bring the server's notice."""
    campaign = await campaign_from_yaml(PAGED)
    link = f"/o/{campaign.open_token}"
    first = await client.get(link)
    await _pause(campaign.campaign_id, True)
    saved = await post_fields(client, f"{link}/draft", [
        ("_csrf_token", csrf_from(first.text)), ("_section", "p1"), ("q1", "yes")])
    assert saved.status_code == 409
    assert saved.json()["saved"] is True and "您已填写的内容已保存" in saved.json()["message"]
    await _pause(campaign.campaign_id, False)
    resumed = await client.get(link)
    assert re.search(r'name="q1" value="yes"[^>]*checked', resumed.text)
