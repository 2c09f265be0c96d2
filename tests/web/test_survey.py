"""The respondent path through HTTP: steps, drafts, validation, receipts, exactly-once."""

import random
import re

from questionnaires.answers import scored_answers
from questionnaires.flow import visible_sections
from survey_app.db.tables import Answer, Campaign, Draft, Invitation, Opinion, Response
from survey_app.demo.answers import simulate_answers
from tests.conftest import csrf_from
from tests.support.campaigns import form_fields, hidden_value, open_campaign, post_fields

PHONE_OPINION = "审批材料太多了，跑了三次，有事请打13912345678联系我"


async def _walk(client, token, questionnaire, answers):
    """Answer every visible section the way a browser without JavaScript does."""
    page = await client.get(f"/s/{token}")
    assert page.status_code == 200
    for _ in range(len(questionnaire.sections) + 1):
        section = hidden_value(page.text, "_section")
        data = [("_csrf_token", csrf_from(page.text)), ("_section", section),
                ("_submission_id", hidden_value(page.text, "_submission_id")),
                ("_started", hidden_value(page.text, "_started"))]
        data += form_fields(questionnaire, answers, section)
        last = 'value="submit"' in page.text
        data.append(("_action", "submit" if last else "next"))
        response = await post_fields(client, f"/s/{token}", data)
        if last:
            return response, data
        assert response.status_code in (302, 303), response.text[:500]
        page = await client.get(response.headers["location"])
    raise AssertionError("never reached the last section")


def _enterprise_answers(questionnaire, seed=3):
    rng = random.Random(seed)
    return simulate_answers(
        questionnaire, rng, opinion_for=lambda unit: PHONE_OPINION if unit == "U07" else None
    )


async def test_first_page_shows_title_notice_and_progress(client, db) -> None:
    campaign = await open_campaign()
    page = await client.get(f"/s/{campaign.tokens[0]}")
    assert page.status_code == 200
    assert "企业营商环境满意度调查" in page.text
    assert "任何单位都看不到您的个人答卷" in page.text
    # What units do see, said exactly: the masked text of opinions about themselves.
    assert ("单位只能看到转交给它的主题中涉及本单位的意见文字（上述信息已替换），"
            "看不到填写人、您的其他答案，也看不到涉及其他单位的意见") in page.text
    assert "第 1 /" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_complete_survey_stores_response_answers_and_masked_opinions(client, db) -> None:
    campaign = await open_campaign()
    answers = simulate_answers(campaign.questionnaire, random.Random(3),
                               opinion_for=lambda unit: PHONE_OPINION)
    response, _ = await _walk(client, campaign.tokens[0], campaign.questionnaire, answers)
    assert response.status_code == 200
    assert "谢谢您的参与" in response.text and "回执编号" in response.text
    assert "单位看不到填写人" in response.text
    stored = await Response.select().first()
    assert stored["channel"] == "online" and stored["stratum"] == "制造业|规上"
    assert stored["design_weight"] == 4.0
    expected_rows = scored_answers(campaign.questionnaire, answers)
    assert await Answer.count() == len(expected_rows) > 0
    opinions = await Opinion.select(Opinion.text)
    assert opinions, "the opinion was not stored"
    assert all("13912345678" not in o["text"] for o in opinions)
    assert any("【手机号】" in o["text"] for o in opinions)
    invitation = (
        await Invitation.select(Invitation.status)
        .where(Invitation.token == campaign.tokens[0])
        .first()
    )
    assert invitation["status"] == "responded"
    assert await Draft.count() == 0


async def test_replayed_final_post_gets_same_receipt_and_one_response(client, db) -> None:
    campaign = await open_campaign()
    answers = _enterprise_answers(campaign.questionnaire)
    first, data = await _walk(client, campaign.tokens[0], campaign.questionnaire, answers)
    again = await post_fields(client, f"/s/{campaign.tokens[0]}", data)
    code = re.search(r"回执编号：<b>([^<]+)</b>", first.text).group(1)
    assert again.status_code == 200 and code in again.text
    assert await Response.count() == 1


async def test_used_unknown_and_closed_links_get_clear_pages(client, db) -> None:
    campaign = await open_campaign()
    answers = _enterprise_answers(campaign.questionnaire)
    await _walk(client, campaign.tokens[0], campaign.questionnaire, answers)
    used = await client.get(f"/s/{campaign.tokens[0]}")
    assert used.status_code == 409 and "已经提交过" in used.text
    unknown = await client.get("/s/" + "x" * 32)
    assert unknown.status_code == 404 and "链接无效" in unknown.text
    await Campaign.update({Campaign.status: "closed"}).where(Campaign.id == campaign.campaign_id)
    closed = await client.get(f"/s/{campaign.tokens[1]}")
    assert closed.status_code == 410 and "已经结束" in closed.text


async def test_used_link_page_repeats_the_receipt_code(client, db) -> None:
    campaign = await open_campaign()
    answers = _enterprise_answers(campaign.questionnaire)
    thanks, _ = await _walk(client, campaign.tokens[0], campaign.questionnaire, answers)
    code = re.search(r"回执编号：<b>([^<]+)</b>", thanks.text).group(1)
    used = await client.get(f"/s/{campaign.tokens[0]}")
    assert used.status_code == 409
    assert re.search(r"回执编号：<b>([^<]+)</b>", used.text).group(1) == code
    other = await client.get(f"/s/{campaign.tokens[1]}")
    assert "回执编号" not in other.text


async def test_error_summary_takes_focus_and_links_each_question(client, db) -> None:
    campaign = await open_campaign()
    page = await client.get(f"/s/{campaign.tokens[0]}")
    response = await client.post(f"/s/{campaign.tokens[0]}", data={
        "_csrf_token": csrf_from(page.text), "_section": "basic", "_action": "next",
        "_submission_id": hidden_value(page.text, "_submission_id")})
    assert response.status_code == 400
    summary = re.search(r'<div class="alert error summary" id="errors"[^>]*>', response.text)
    assert summary and "autofocus" in summary.group(0) and 'tabindex="-1"' in summary.group(0)
    required = [q for q in campaign.questionnaire.section("basic").questions if q.required is True]
    for question in required:
        assert f'<a href="#q-{question.name}">{question.label}：' in response.text
        assert f'id="q-{question.name}"' in response.text
    assert response.text.index('id="errors"') < response.text.index('class="qtitle"')


async def test_questions_are_numbered_across_steps(client, db) -> None:
    campaign = await open_campaign()
    first = await client.get(f"/s/{campaign.tokens[0]}")
    assert '<span class="qno">1.</span>' in first.text
    numbered = [q for q in campaign.questionnaire.iter_questions() if q.type != "note"]
    last_section = campaign.questionnaire.sections[-1]
    later = await client.get(f"/s/{campaign.tokens[0]}", params={"step": last_section.id})
    if last_section.id in visible_sections(campaign.questionnaire, {}):
        position = numbered.index(last_section.questions[0]) + 1
        assert f'<span class="qno">{position}.</span>' in later.text
    assert first.text.count('class="qtitle"') == 1


async def test_missing_required_answer_stays_on_step_with_message(client, db) -> None:
    campaign = await open_campaign()
    page = await client.get(f"/s/{campaign.tokens[0]}")
    response = await client.post(f"/s/{campaign.tokens[0]}", data={
        "_csrf_token": csrf_from(page.text), "_section": "basic", "_action": "next",
        "_submission_id": hidden_value(page.text, "_submission_id"), "industry": "manufacturing"})
    assert response.status_code == 400
    assert "此题为必答题" in response.text
    assert 'value="manufacturing" checked' in response.text  # nothing typed is lost


async def test_draft_resumes_on_another_device(client, app, db) -> None:
    import httpx

    campaign = await open_campaign()
    answers = _enterprise_answers(campaign.questionnaire)
    page = await client.get(f"/s/{campaign.tokens[0]}")
    data = [("_csrf_token", csrf_from(page.text)), ("_section", "basic"), ("_action", "next"),
            ("_submission_id", hidden_value(page.text, "_submission_id"))]
    data += form_fields(campaign.questionnaire, answers, "basic")
    moved = await post_fields(client, f"/s/{campaign.tokens[0]}", data)
    assert moved.status_code in (302, 303)
    transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as phone:
        resumed = await phone.get(f"/s/{campaign.tokens[0]}")
    second = visible_sections(campaign.questionnaire, answers)[1]
    assert f'name="_section" value="{second}"' in resumed.text
    assert "第 2 /" in resumed.text
    assert "已恢复您上次的填写" in resumed.text
    navigated = await client.get(f"/s/{campaign.tokens[0]}", params={"step": second})
    assert "已恢复您上次的填写" not in navigated.text  # only when a saved draft is picked up
    fresh = await client.get(f"/s/{campaign.tokens[1]}")
    assert "已恢复您上次的填写" not in fresh.text


async def test_autosave_endpoint_keeps_partial_answers(client, db) -> None:
    campaign = await open_campaign()
    page = await client.get(f"/s/{campaign.tokens[0]}")
    saved = await client.post(f"/s/{campaign.tokens[0]}/draft", data={
        "_csrf_token": csrf_from(page.text), "_section": "basic", "industry": "it"},
        headers={"x-csrftoken": csrf_from(page.text)})
    assert saved.json() == {"saved": True}
    draft = await Draft.select(Draft.answers).first()
    assert "it" in str(draft["answers"])


async def test_open_link_accepts_one_response_per_device(client, db) -> None:
    campaign = await open_campaign(code="resident-social-satisfaction")
    answers = simulate_answers(campaign.questionnaire, random.Random(5))
    page = await client.get(f"/o/{campaign.open_token}")
    assert page.status_code == 200
    fields = [("_csrf_token", csrf_from(page.text)),
              ("_submission_id", hidden_value(page.text, "_submission_id"))]
    for section in campaign.questionnaire.sections:
        fields += form_fields(campaign.questionnaire, answers, section.id)
    first = await post_fields(client, f"/o/{campaign.open_token}", fields)
    assert first.status_code == 200 and "谢谢您的参与" in first.text
    page = await client.get(f"/o/{campaign.open_token}")
    # Told on opening, not only at 提交问卷 (finding 3).
    assert page.status_code == 409 and "这台设备已经提交过本问卷" in page.text
    fields[1] = ("_submission_id", "y" * 24)
    second = await post_fields(client, f"/o/{campaign.open_token}", fields)
    assert second.status_code == 409 and "已经提交过" in second.text
    stored = await Response.select(Response.channel, Response.invitation)
    assert stored == [{"channel": "open", "invitation": None}]
