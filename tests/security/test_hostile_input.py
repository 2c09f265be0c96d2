"""Hostile and odd input on the respondent path and the login form: never a 500, never markup.

Long text is refused with a clear message above the question's limit and stored intact within
it; emoji, right-to-left marks and HTML are kept as text and escaped wherever shown; control
characters are dropped before storage (PostgreSQL text cannot even hold NUL).
"""

from __future__ import annotations

import random
import re
import secrets

import httpx
import pytest

from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import from_canonical_dict
from questionnaires.model import Questionnaire
from questionnaires.shipped import shipped_questionnaires
from survey_app.db.queries._rows import json_value
from survey_app.db.tables import Campaign, Draft, Invitation, Opinion, Response
from survey_app.demo.answers import simulate_answers
from survey_app.services.questionnaires import create_questionnaire, publish
from tests.conftest import csrf_from
from tests.support.campaigns import form_fields, hidden_value, open_campaign, post_fields

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RTL = "\u202e\u200f"  # right-to-left override and mark: "Trojan Source" style text
EMOJI = "👍🏻👨‍👩‍👧"
CONTROL = "\x00\x07\x1b"
LONG_LIMIT = 10_000


async def _long_text_campaign() -> tuple[Questionnaire, str]:
    """The shipped enterprise questionnaire with a 10,000-character general opinion."""
    definition = to_canonical_dict(shipped_questionnaires()["enterprise-business-environment"])
    definition["id"] = "enterprise-long-text"
    for section in definition["sections"]:
        for question in section["questions"]:
            if question["name"] == "general_opinion":
                question["max_length"] = LONG_LIMIT
    questionnaire = from_canonical_dict(definition)
    version_id = await create_questionnaire(questionnaire, "enterprise", None)
    await publish(version_id, None)
    rows = await Campaign.insert(
        Campaign(code=f"L-{secrets.token_hex(3)}", name="长文本测试调查", version=version_id,
                 audience="enterprise", period="2026-Q3", status="open")
    ).returning(Campaign.id)
    token = secrets.token_urlsafe(24)
    await Invitation.insert(Invitation(campaign=rows[0]["id"], token=token))
    return questionnaire, token


async def _walk_to_last(client, token: str, questionnaire: Questionnaire, answers: dict) -> str:  # type: ignore[no-untyped-def]
    page = await client.get(f"/s/{token}")
    while 'value="submit"' not in page.text:
        section = hidden_value(page.text, "_section")
        data = [("_csrf_token", csrf_from(page.text)), ("_section", section), ("_action", "next"),
                ("_submission_id", hidden_value(page.text, "_submission_id"))]
        moved = await post_fields(client, f"/s/{token}",
                                  data + form_fields(questionnaire, answers, section))
        assert moved.status_code in (302, 303), moved.text[:300]
        page = await client.get(moved.headers["location"])
    return page.text


async def _submit_last(client, token: str, page: str, questionnaire, answers: dict,  # type: ignore[no-untyped-def]
                       opinion: str) -> httpx.Response:
    section = hidden_value(page, "_section")
    fields = [(k, v) for k, v in form_fields(questionnaire, answers, section)
              if k != "general_opinion"]
    data = [("_csrf_token", csrf_from(page)), ("_section", section), ("_action", "submit"),
            ("_submission_id", hidden_value(page, "_submission_id")), ("general_opinion", opinion),
            *fields]
    return await post_fields(client, f"/s/{token}", data)


async def test_ten_thousand_characters_within_the_limit_are_stored_intact(client, db) -> None:
    questionnaire, token = await _long_text_campaign()
    answers = simulate_answers(questionnaire, random.Random(7))
    body = ("营商环境" + EMOJI + RTL + SCRIPT + "مرحبا" + "\n")
    opinion = (body * (LONG_LIMIT // len(body) + 1))[: LONG_LIMIT - 1] + "止"
    assert len(opinion) == LONG_LIMIT
    page = await _walk_to_last(client, token, questionnaire, answers)
    done = await _submit_last(client, token, page, questionnaire, answers, opinion)
    assert done.status_code == 200 and "回执编号" in done.text
    stored = await Response.select(Response.answers).first()
    assert stored is not None
    # Byte for byte: nothing cut or mangled.
    assert json_value(stored["answers"], {})["general_opinion"] == opinion
    texts = [o["text"] for o in await Opinion.select(Opinion.text)]
    # The opinion copy is normalised (zero-width joiners dropped) but keeps the markup as text.
    assert any(SCRIPT in t and "营商环境👍🏻" in t and "مرحبا" in t for t in texts)


async def test_text_over_the_limit_is_refused_with_the_count_and_kept_escaped(client, db) -> None:
    questionnaire, token = await _long_text_campaign()
    answers = simulate_answers(questionnaire, random.Random(7))
    page = await _walk_to_last(client, token, questionnaire, answers)
    opinion = (SCRIPT * (LONG_LIMIT // len(SCRIPT) + 2))[: LONG_LIMIT + 1]
    refused = await _submit_last(client, token, page, questionnaire, answers, opinion)
    assert refused.status_code == 400
    assert f"不能超过 {LONG_LIMIT} 个字（现有 {LONG_LIMIT + 1} 个）" in refused.text
    assert "<script>alert" not in refused.text and "<img src=x" not in refused.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in refused.text
    assert await Response.count() == 0


async def test_markup_rtl_emoji_and_control_characters_in_a_draft(client, db) -> None:
    campaign = await open_campaign()
    token = campaign.tokens[0]
    answers = simulate_answers(campaign.questionnaire, random.Random(3))
    page = await _walk_to_last(client, token, campaign.questionnaire, answers)
    hostile = f"{SCRIPT}{RTL}{EMOJI}{CONTROL}办事难"
    response = await post_fields(client, f"/s/{token}", [
        ("_csrf_token", csrf_from(page)), ("_section", "overall"), ("_action", "prev"),
        ("_submission_id", hidden_value(page, "_submission_id")), ("general_opinion", hostile)])
    assert response.status_code in (302, 303)
    draft = await Draft.select(Draft.answers).first()
    assert draft is not None
    saved = json_value(draft["answers"], {})["general_opinion"]
    assert saved == f"{SCRIPT}{RTL}{EMOJI}办事难"  # control characters dropped, the rest kept
    shown = await client.get(f"/s/{token}?step=overall")
    assert shown.status_code == 200
    assert "<script>alert" not in shown.text and "onerror=alert(1)>" not in shown.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown.text
    assert EMOJI in shown.text and RTL in shown.text


@pytest.mark.parametrize("junk", [
    "%00" * 20,
    "‮" * 20,
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "'; DROP TABLE invitation; --xx",
    "a" * 65,
    "%F0%9F%91%8D" * 6,
])
async def test_junk_tokens_get_a_clear_page_not_a_crash(client, db, junk: str) -> None:
    await open_campaign(invitations=1)
    for path in (f"/s/{junk}", f"/o/{junk}"):
        page = await client.get(path)
        assert page.status_code in (400, 404), (path, page.status_code)
        assert "链接无效" in page.text or "页面不存在" in page.text
        posted = await client.post(path, data={"_section": "basic"})
        assert posted.status_code < 500, (path, posted.status_code)
    assert await Invitation.count() == 1


async def test_invalid_utf8_and_odd_fields_in_a_form_are_refused_cleanly(client, db) -> None:
    campaign = await open_campaign()
    token = campaign.tokens[0]
    page = await client.get(f"/s/{token}")
    csrf = csrf_from(page.text)
    bodies = [
        f"_csrf_token={csrf}&_section=basic&_action=next&industry=%ff%fe%00",
        f"_csrf_token={csrf}&_section=%00&_action=submit",
        f"_csrf_token={csrf}&_section=basic&_action=submit&_submission_id=%00%00",
        f"_csrf_token={csrf}&_section=basic&_action=next&_started=99999999999999999999",
        f"_csrf_token={csrf}&_section=basic&_action=next&{'x' * 5000}=1",
        f"_csrf_token={csrf}&_section=basic&" + "&".join(f"industry={i}" for i in range(2000)),
    ]
    for body in bodies:
        response = await client.post(
            f"/s/{token}", content=body.encode("latin-1"),
            headers={"content-type": "application/x-www-form-urlencoded"})
        assert response.status_code < 500, (body[:80], response.status_code, response.text[:200])
    assert await Response.count() == 0


async def test_nul_and_overlong_login_fields_do_not_crash(client, db, make_user) -> None:
    await make_user("admin1", "admin")
    page = await client.get("/login")
    for username, password in (("\x00admin1", "x"), ("admin1", "\x00" * 10),
                               ("管" * 5000, "p" * 100_000), ("<script>", "' OR 1=1 --")):
        response = await client.post("/login", data={
            "username": username, "password": password, "_csrf_token": csrf_from(page.text)})
        assert response.status_code < 500, (username[:10], response.status_code)
        assert "<script>" not in response.text


def test_opinion_cleaning_drops_bidirectional_override_characters() -> None:
    """FAILS until analysis/text/normalize.py drops U+202A–U+202E and U+2066–U+2069.

    `_INVISIBLE` already drops U+200B–U+200F (so the RLM of the same text goes) but keeps the
    embedding/override/isolate controls, which reorder how a quote reads on the theme pages
    and in exports ("Trojan Source", CVE-2021-42574).
    """
    from analysis.text import clean_opinion

    cleaned = clean_opinion("退款\u202e0001\u202c元，\u2066审批\u2069太慢")
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", cleaned), repr(cleaned)
