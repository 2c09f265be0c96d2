"""A later page shown only for one answer on this page: the button says whether it submits.

Page 2 of the branching questionnaire is relevant only when q1 (page 1) is 是. Page 1 offers
下一页 and counts page 2 until the answer rules it out; without JavaScript, 下一页 pressed with
否 shows page 1 again with a notice and the submit button, never a silent submission."""

from __future__ import annotations

import json
import re

import pytest

from survey_app.db.tables import Draft, OpenDraft, Response
from tests.support.campaigns import branching_campaign, hidden_value, post_fields, step_fields

NOTICE = "这是最后一部分，请检查后点击“提交问卷”"


def _receipt(page: str) -> str:
    match = re.search(r"回执编号：<b>([^<]+)</b>", page)
    assert match, page[:300]
    return match.group(1)


@pytest.fixture(params=["invitation", "open"])
async def link(request, db) -> str:  # type: ignore[no-untyped-def]
    campaign = await branching_campaign()
    return f"/s/{campaign.tokens[0]}" if request.param == "invitation" else f"/o/{campaign.open_token}"


async def test_first_page_offers_next_page_while_page_two_is_possible(client, link) -> None:
    first = await client.get(link)
    assert first.status_code == 200
    assert "第 1 / 2 部分" in first.text and 'max="2"' in first.text
    assert 'value="next"' in first.text and "下一页" in first.text
    assert 'value="submit"' not in first.text
    assert "data-later=" in first.text  # survey.js updates the button from this


async def test_yes_leads_to_page_two_then_one_submission(client, link) -> None:
    first = await client.get(link)
    moved = await post_fields(client, link, step_fields(first.text, "next", q1="yes"))
    assert moved.status_code in (302, 303)
    second = await client.get(moved.headers["location"])
    assert hidden_value(second.text, "_section") == "p2"
    assert "第 2 / 2 部分" in second.text and 'value="submit"' in second.text
    done = await post_fields(client, link, step_fields(second.text, "submit", q2="ok"))
    assert "谢谢您的参与" in done.text
    assert await Response.count() == 1


async def test_no_without_javascript_shows_the_notice_instead_of_submitting(client, link) -> None:
    first = await client.get(link)
    again = await post_fields(client, link, step_fields(first.text, "next", q1="no", note1="窗口少"))
    assert again.status_code == 200
    assert NOTICE in again.text
    assert hidden_value(again.text, "_section") == "p1"
    assert 'value="submit"' in again.text and 'value="next"' not in again.text
    assert "第 1 / 1 部分" in again.text
    assert re.search(r'value="no"[^>]* checked', again.text) and 'value="窗口少"' in again.text
    assert hidden_value(again.text, "_submission_id") == hidden_value(first.text, "_submission_id")
    assert await Response.count() == 0
    drafts = await (Draft if link.startswith("/s/") else OpenDraft).select().run()
    saved = drafts[0]["answers"]
    assert len(drafts) == 1 and (json.loads(saved) if isinstance(saved, str) else saved)["q1"] == "no"

    done = await post_fields(client, link, step_fields(again.text, "submit", q1="no", note1="窗口少"))
    assert "谢谢您的参与" in done.text
    replay = await post_fields(client, link, step_fields(again.text, "submit", q1="no", note1="窗口少"))
    assert _receipt(replay.text) == _receipt(done.text)
    assert await Response.count() == 1


async def test_no_with_the_button_switched_by_javascript_submits_at_once(client, link) -> None:
    first = await client.get(link)
    done = await post_fields(client, link, step_fields(first.text, "submit", q1="no"))
    assert "谢谢您的参与" in done.text
    assert await Response.count() == 1


async def test_answer_ruling_page_two_out_on_an_earlier_visit_is_counted(client, link) -> None:
    """With q1 saved as 否 and the page reopened, page 1 still offers 下一页 (q1 is on this
    page and may be changed to 是 before the button is pressed)."""
    first = await client.get(link)
    await post_fields(client, link, step_fields(first.text, "prev", q1="no"))
    reopened = await client.get(link)
    assert re.search(r'value="no"[^>]* checked', reopened.text)
    assert 'value="next"' in reopened.text and "第 1 / 2 部分" in reopened.text
