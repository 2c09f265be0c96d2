"""Answers to questions that the same page's answers skip (the no-JavaScript path).

Without JavaScript every question of a step shows, conditional ones too. Each conditional one
says when it applies, and a page posted with answers to questions its own answers skip comes
back with a notice naming them, everything typed kept; pressing the button again confirms and
the skipped answers are dropped. Nothing typed vanishes without a word."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

from survey_app.db.tables import Draft, OpenDraft, Response
from tests.support.campaigns import OPINION, hidden_value, post_fields, skipping_campaign, step_fields

Q10_NOTICE = ("第 3 题只在第 1 题选“是”时回答。按您目前的选择，本题将跳过，您填写的内容不会保存。"
              "如需保存，请修改第 1 题；如确认无误，请再点“下一页”。")


def _fields(page: str, action: str, *answers: tuple[str, str]) -> list[tuple[str, str]]:
    if 'name="_skip_ack"' in page:  # the acknowledgement the notice page carries
        return step_fields(page, action, ("_skip_ack", hidden_value(page, "_skip_ack")), *answers)
    return step_fields(page, action, *answers)


async def _draft(link: str) -> dict[str, object]:
    drafts = await (Draft if link.startswith("/s/") else OpenDraft).select().run()
    assert len(drafts) == 1
    saved = drafts[0]["answers"]
    return json.loads(saved) if isinstance(saved, str) else saved


@pytest.fixture(params=["invitation", "open"])
async def link(request, db) -> str:  # type: ignore[no-untyped-def]
    campaign = await skipping_campaign()
    return f"/s/{campaign.tokens[0]}" if request.param == "invitation" else f"/o/{campaign.open_token}"


async def test_each_conditional_question_says_when_it_applies(client, link) -> None:
    first = await client.get(link)
    text = html_lib.unescape(first.text)
    assert text.count('class="hint skip-rule"') == 2
    assert "（第 1 题选“是”时回答本题）" in text
    assert "（第 4 题选“是”时回答本题）" not in text  # on the next step, not this one


async def test_skipped_answers_bring_the_step_back_with_a_notice(client, link) -> None:
    first = await client.get(link)
    again = await post_fields(client, link, _fields(first.text, "next", ("q6", "no"), ("q7", "4"),
                                                    ("q10", OPINION)))
    assert again.status_code == 200
    text = html_lib.unescape(again.text)
    assert 'id="skipped"' in again.text and Q10_NOTICE in text
    assert "第 2 题只在第 1 题选“是”时回答" in text
    assert hidden_value(again.text, "_section") == "p1"
    assert hidden_value(again.text, "_skip_ack") == "q7 q10"
    # everything typed is on the page again, the skipped answers included
    assert re.search(r'value="no"[^>]* checked', again.text)
    assert re.search(r'name="q7" value="4"[^>]* checked', again.text)
    assert f">{OPINION}</textarea>" in again.text
    assert hidden_value(again.text, "_submission_id") == hidden_value(first.text, "_submission_id")

    # 下一页 again, the same answers: confirmed, the next step, the skipped answers not kept
    moved = await post_fields(client, link, _fields(again.text, "next", ("q6", "no"), ("q7", "4"),
                                                    ("q10", OPINION)))
    assert moved.status_code in (302, 303)
    assert moved.headers["location"].endswith("?step=p2")
    assert await _draft(link) == {"q6": "no"}


async def test_changing_the_answer_instead_keeps_the_opinion(client, link) -> None:
    first = await client.get(link)
    again = await post_fields(client, link, _fields(first.text, "next", ("q6", "no"),
                                                    ("q10", OPINION)))
    assert 'id="skipped"' in again.text
    moved = await post_fields(client, link, _fields(again.text, "next", ("q6", "yes"),
                                                    ("q10", OPINION)))
    assert moved.status_code in (302, 303)
    assert await _draft(link) == {"q6": "yes", "q10": OPINION}


async def test_a_newly_skipped_answer_asks_again(client, link) -> None:
    """The acknowledgement covers the questions it named, not one answered afterwards."""
    first = await client.get(link)
    again = await post_fields(client, link, _fields(first.text, "next", ("q6", "no"), ("q7", "4")))
    assert hidden_value(again.text, "_skip_ack") == "q7"
    third = await post_fields(client, link, _fields(again.text, "next", ("q6", "no"), ("q7", "4"),
                                                    ("q10", OPINION)))
    assert third.status_code == 200 and 'id="skipped"' in third.text
    assert hidden_value(third.text, "_skip_ack") == "q7 q10"


async def test_a_normal_page_moves_on_at_once(client, link) -> None:
    first = await client.get(link)
    moved = await post_fields(client, link, _fields(first.text, "next", ("q6", "yes"), ("q7", "4"),
                                                    ("q10", OPINION)))
    assert moved.status_code in (302, 303)
    plain = await post_fields(client, link, _fields(first.text, "next", ("q6", "no")))
    assert plain.status_code in (302, 303)


async def test_the_final_submit_asks_too(client, link) -> None:
    first = await client.get(link)
    moved = await post_fields(client, link, _fields(first.text, "next", ("q6", "no")))
    last = await client.get(moved.headers["location"])
    assert hidden_value(last.text, "_section") == "p2"
    again = await post_fields(client, link, _fields(last.text, "submit", ("q20", "no"),
                                                    ("q21", "13800000000")))
    assert again.status_code == 200 and await Response.count() == 0
    text = html_lib.unescape(again.text)
    assert ("第 5 题只在第 4 题选“是”时回答。按您目前的选择，本题将跳过，您填写的内容不会保存。"
            "如需保存，请修改第 4 题；如确认无误，请再点“提交问卷”。") in text
    assert 'value="13800000000"' in again.text and 'value="submit"' in again.text
    done = await post_fields(client, link, _fields(again.text, "submit", ("q20", "no"),
                                                   ("q21", "13800000000")))
    assert "谢谢您的参与" in done.text
    assert await Response.count() == 1
    stored = (await Response.select(Response.answers).run())[0]["answers"]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert "q21" not in stored and stored["q20"] == "no"
