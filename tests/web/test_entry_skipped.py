"""Paper entry and skip logic: what is on the paper never vanishes silently. An answer keyed in
for a question the conditions skip sends the form back (everything kept) with a message per
question; the clerk corrects the earlier answer or confirms, audited, that it is not stored."""

from __future__ import annotations

import re

from survey_app.db.queries import audit
from survey_app.db.tables import Invitation, Opinion, Response
from survey_app.services.audit_labels import detail_text
from tests.conftest import csrf_from, login
from tests.support.campaigns import campaign_from_yaml, hidden_value, post_fields

SKIPPING = """
id: entry-skip-{suffix}
title: 录入跳题问卷
sections:
  - id: s1
    title: 企业情况
    questions:
      - {{name: q1, type: single_choice, label: 企业规模, required: true,
         options: [{{value: large, label: 大型}}, {{value: small, label: 小型}}]}}
      - {{name: q3, type: text, label: 所属行业}}
      - {{name: q4, type: textarea, label: 对窗口服务的意见, relevant: "${{q1}} = 'small'",
         opinion: true}}
  - id: s2
    title: 小型企业专项
    relevant: "${{q1}} = 'small'"
    questions:
      - {{name: q5, type: single_choice, label: 是否享受减免,
         options: [{{value: "yes", label: 是}}, {{value: "no", label: 否}}]}}
"""
OPINION = "窗口服务态度差，要改进"
CONFIRM = "确认按问卷逻辑不保存这些回答"


async def _setup(client, make_user) -> str:  # type: ignore[no-untyped-def]
    await make_user("entry1", "data_entry")
    await login(client, "entry1")
    campaign = await campaign_from_yaml(SKIPPING)
    invitation = await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign.campaign_id).order_by(Invitation.id).first()
    return f"/entry/{campaign.campaign_id}/invitations/{invitation['id']}"


async def _post(client, url: str, page: str, fields: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    return await post_fields(client, url, [
        ("_csrf_token", csrf_from(page)), ("_submission_id", hidden_value(page, "_submission_id")),
        ("_channel", "paper"), *fields])


PAPER = [("q1", "large"), ("q3", "制造业"), ("q4", OPINION), ("q5", "yes")]


async def test_an_answer_the_conditions_skip_sends_the_form_back_with_everything_kept(
    client, make_user
) -> None:
    url = await _setup(client, make_user)
    form = await client.get(url)
    returned = await _post(client, url, form.text, PAPER)
    assert returned.status_code == 400
    assert await Response.count() == 0
    text = returned.text
    assert "第 3 题：按第 1 题的回答（大型）本题应跳过，但填写了内容" in text
    assert "第 4 题：按第 1 题的回答（大型）本题所在的“小型企业专项”部分应跳过，但填写了内容" in text
    assert OPINION in text and 'value="制造业"' in text  # nothing typed is lost
    assert re.search(r'value="large"[^>]* checked', text)
    assert re.search(r'value="yes"[^>]* checked', text)
    assert CONFIRM in text
    # The same submission id: the clerk's next save is the same paper form.
    assert hidden_value(text, "_submission_id") == hidden_value(form.text, "_submission_id")


async def test_correcting_the_earlier_answer_stores_the_opinion(client, make_user) -> None:
    url = await _setup(client, make_user)
    form = await client.get(url)
    returned = await _post(client, url, form.text, PAPER)
    corrected = [("q1", "small"), *PAPER[1:]]
    done = await _post(client, url, returned.text, corrected)
    assert done.status_code in (302, 303)
    response = await Response.select(Response.answers).first()
    answers = response["answers"]
    answers = answers if isinstance(answers, dict) else __import__("json").loads(answers)
    assert answers["q4"] == OPINION and answers["q5"] == "yes"
    assert [o["text"] for o in await Opinion.select(Opinion.text)] == [OPINION]


async def test_an_explicit_confirmation_saves_without_them_and_is_audited(
    client, make_user
) -> None:
    url = await _setup(client, make_user)
    form = await client.get(url)
    returned = await _post(client, url, form.text, PAPER)
    confirmation = re.search(r'name="_skip_confirmed" value="([^"]*)"', returned.text)
    assert confirmation is not None
    done = await _post(client, url, returned.text,
                       [*PAPER, ("_skip_confirmed", confirmation.group(1))])
    assert done.status_code in (302, 303)
    response = await Response.select(Response.answers).first()
    answers = response["answers"]
    answers = answers if isinstance(answers, dict) else __import__("json").loads(answers)
    assert answers == {"q1": "large", "q3": "制造业"}
    assert await Opinion.count() == 0
    event = (await audit.recent_events(action="entry.submit"))[0]
    assert event.detail["discarded"] == ["第 3 题", "第 4 题"]
    assert "确认不保存的跳过题：第 3 题、第 4 题" in detail_text(event.detail)


async def test_a_confirmation_covers_only_the_answers_it_was_shown_for(
    client, make_user
) -> None:
    url = await _setup(client, make_user)
    form = await client.get(url)
    returned = await _post(client, url, form.text, PAPER[:3])  # q4 only is skipped
    confirmation = re.search(r'name="_skip_confirmed" value="([^"]*)"', returned.text)
    assert confirmation is not None
    # The clerk then also keys in q5: that answer was never confirmed.
    again = await _post(client, url, returned.text,
                        [*PAPER, ("_skip_confirmed", confirmation.group(1))])
    assert again.status_code == 400 and await Response.count() == 0
    assert "第 4 题：按第 1 题的回答（大型）本题所在的“小型企业专项”部分应跳过" in again.text


async def test_the_entry_form_shows_each_condition_as_an_instruction(client, make_user) -> None:
    url = await _setup(client, make_user)
    form = await client.get(url)
    assert "第 1 题选“小型”时回答本题" in form.text
    assert "第 1 题选“小型”时填写本部分" in form.text


async def test_a_confirmation_stays_ticked_when_another_problem_sends_the_form_back(
    client, make_user
) -> None:
    url = await _setup(client, make_user)
    form = await client.get(url)
    returned = await _post(client, url, form.text, PAPER[1:3])  # q1 (required) left out
    confirmation = re.search(r'name="_skip_confirmed" value="([^"]*)"', returned.text)
    assert confirmation is not None and "此题为必答题" in returned.text
    again = await _post(client, url, returned.text,
                        [*PAPER[1:3], ("_skip_confirmed", confirmation.group(1))])
    assert again.status_code == 400 and "此题为必答题" in again.text
    assert re.search(r'name="_skip_confirmed" value="q4" checked', again.text)
    assert OPINION in again.text
