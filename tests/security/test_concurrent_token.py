"""Two devices, one invitation, the same instant: exactly one response is stored."""

from __future__ import annotations

import asyncio
import random
import re

import httpx

from survey_app.db.tables import Answer, Invitation, Response
from survey_app.demo.answers import simulate_answers
from survey_app.services.submissions import Receipt, SubmissionRefused, submit_invitation_response
from tests.conftest import csrf_from
from tests.support.campaigns import form_fields, hidden_value, open_campaign, post_fields

RECEIPT = re.compile(r"回执编号：<b>([^<]+)</b>")


async def _final_form(phone: httpx.AsyncClient, token: str, questionnaire, answers) -> list:  # type: ignore[no-untyped-def]
    """Walk every section but the last; return the last section's form, ready to submit."""
    page = await phone.get(f"/s/{token}")
    for _ in range(len(questionnaire.sections) + 1):
        section = hidden_value(page.text, "_section")
        data = [("_csrf_token", csrf_from(page.text)), ("_section", section),
                ("_submission_id", hidden_value(page.text, "_submission_id")),
                ("_started", hidden_value(page.text, "_started"))]
        data += form_fields(questionnaire, answers, section)
        if 'value="submit"' in page.text:
            return [*data, ("_action", "submit")]
        moved = await post_fields(phone, f"/s/{token}", [*data, ("_action", "next")])
        assert moved.status_code in (302, 303), moved.text[:300]
        page = await phone.get(moved.headers["location"])
    raise AssertionError("never reached the last section")


def _phone(app, host: str) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def test_two_phones_submitting_one_token_at_once_store_one_response(app, db) -> None:
    campaign = await open_campaign(invitations=1)
    token = campaign.tokens[0]
    async with _phone(app, "10.0.0.1") as first, _phone(app, "10.0.0.2") as second:
        forms = [
            await _final_form(phone, token, campaign.questionnaire,
                              simulate_answers(campaign.questionnaire, random.Random(seed)))
            for phone, seed in ((first, 1), (second, 2))
        ]
        results = await asyncio.gather(
            post_fields(first, f"/s/{token}", forms[0]),
            post_fields(second, f"/s/{token}", forms[1]),
        )
    statuses = sorted(r.status_code for r in results)
    accepted = [r for r in results if r.status_code == 200]
    assert len(accepted) == 1, statuses
    assert statuses[1] == 409 and "已经提交过" in next(r.text for r in results if r.status_code == 409)
    stored = await Response.select(Response.id, Response.submission_id)
    assert len(stored) == 1
    receipt = RECEIPT.search(accepted[0].text)
    assert receipt and receipt.group(1).startswith(f"{stored[0]['id']:06d}-")
    assert await Answer.count().where(Answer.response != stored[0]["id"]) == 0
    status = await Invitation.select(Invitation.status).where(Invitation.token == token).first()
    assert status is not None and status["status"] == "responded"


async def test_double_tap_with_one_submission_id_gets_one_receipt_twice(app, db) -> None:
    campaign = await open_campaign(invitations=1)
    token = campaign.tokens[0]
    answers = simulate_answers(campaign.questionnaire, random.Random(4))
    async with _phone(app, "10.0.0.3") as phone:
        form = await _final_form(phone, token, campaign.questionnaire, answers)
        results = await asyncio.gather(*(post_fields(phone, f"/s/{token}", form) for _ in range(3)))
    assert [r.status_code for r in results] == [200, 200, 200]
    codes = {m.group(1) for r in results if (m := RECEIPT.search(r.text))}
    assert len(codes) == 1
    assert await Response.count() == 1


async def test_many_concurrent_service_submissions_for_one_token_store_one(db) -> None:
    campaign = await open_campaign(invitations=1)
    token = campaign.tokens[0]

    async def attempt(i: int) -> Receipt | SubmissionRefused:
        answers = simulate_answers(campaign.questionnaire, random.Random(i))
        try:
            return await submit_invitation_response(token, f"device-{i:02d}-submission", answers)
        except SubmissionRefused as refusal:
            return refusal

    outcomes = await asyncio.gather(*(attempt(i) for i in range(8)))
    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    refusals = [o for o in outcomes if isinstance(o, SubmissionRefused)]
    assert len(receipts) == 1 and len(refusals) == 7
    assert {r.reason for r in refusals} <= {"used", "conflict"}
    assert await Response.count() == 1
    stored = await Response.select(Response.submission_id).first()
    assert stored is not None and stored["submission_id"] == receipts[0].submission_id
