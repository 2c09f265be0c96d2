"""Finding 3 (issue 17): personal information is masked before anything is written: every
free-text answer of a response (opinion or not), every draft, and, by migration, what was
stored before. Drafts are validated and bounded like submissions (finding 4)."""

from __future__ import annotations

import json
import secrets

from survey_app.db.tables import Campaign, Draft, Invitation, Opinion, Response
from survey_app.services.questionnaires import create_questionnaire, parse_text, publish
from survey_app.services.submissions import submit_invitation_response
from tests.conftest import csrf_from

DEFINITION = """
id: pii-check
title: 个人信息测试问卷
version: "1"
sections:
  - id: s1
    title: 一、基本情况
    questions:
      - name: kind
        type: single_choice
        label: 您的身份
        options:
          - {value: a, label: 企业}
          - {value: b, label: 群众}
      - name: note
        type: text
        label: 其他说明
        max_length: 200
      - name: advice
        type: textarea
        label: 您有什么意见和建议？
        opinion: true
        max_length: 500
"""
RAW = ("加我VX13812345678，身份证110101900307123，座机62345678，"
       "车牌粤b12345，手机一三八一二三四五六七八，138.1234.5678")
DIGITS = ("13812345678", "110101900307123", "62345678", "b12345", "一三八一二三四五六七八",
          "138.1234.5678")


async def _campaign() -> tuple[int, list[str]]:
    questionnaire = parse_text(DEFINITION)
    version_id = await create_questionnaire(questionnaire, "enterprise", None)
    await publish(version_id, None)
    rows = await Campaign.insert(Campaign(
        code=f"T-{secrets.token_hex(3)}", name="测试调查", version=version_id,
        audience="enterprise", period="2026-Q3", status="open",
    )).returning(Campaign.id)
    tokens = [secrets.token_urlsafe(24) for _ in range(2)]
    await Invitation.insert(*[Invitation(campaign=rows[0]["id"], token=t) for t in tokens])
    return rows[0]["id"], tokens


def _text(raw: object) -> str:
    """A JSON column as readable text, whatever the driver returned."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return json.dumps(value, ensure_ascii=False)


def _assert_masked(stored: str) -> None:
    for raw in DIGITS:
        assert raw not in stored, raw
    for placeholder in ("【手机号】", "【身份证号】", "【固定电话】", "【车牌号】"):
        assert placeholder in stored


async def test_every_free_text_answer_is_stored_masked(db) -> None:
    _, tokens = await _campaign()
    await submit_invitation_response(
        tokens[0], "s" * 24, {"kind": "a", "note": RAW, "advice": RAW}
    )
    row = await Response.select(Response.answers).first()
    assert row is not None
    stored = _text(row["answers"])
    _assert_masked(stored)  # the non-opinion text answer too
    opinion = await Opinion.select(Opinion.text).first()
    assert opinion is not None
    _assert_masked(opinion["text"])


async def test_a_replayed_submission_still_gets_its_receipt(db) -> None:
    _, tokens = await _campaign()
    answers = {"kind": "a", "note": RAW}
    first = await submit_invitation_response(tokens[0], "r" * 24, answers)
    again = await submit_invitation_response(tokens[0], "r" * 24, answers)
    assert again.replay and again.receipt_code == first.receipt_code


async def test_drafts_are_stored_masked(client, db) -> None:
    _, tokens = await _campaign()
    page = await client.get(f"/s/{tokens[0]}")
    token = csrf_from(page.text)
    saved = await client.post(f"/s/{tokens[0]}/draft", data={
        "_csrf_token": token, "_section": "s1", "kind": "a", "note": RAW[:200], "advice": RAW},
        headers={"x-csrftoken": token})
    assert saved.json() == {"saved": True}
    draft = await Draft.select(Draft.answers).first()
    assert draft is not None
    assert '"kind": "a"' in _text(draft["answers"])
    _assert_masked(_text(draft["answers"]))


async def test_drafts_are_validated_and_bounded_like_submissions(client, db) -> None:
    _, tokens = await _campaign()
    page = await client.get(f"/s/{tokens[0]}")
    token = csrf_from(page.text)
    saved = await client.post(f"/s/{tokens[0]}/draft", data={
        "_csrf_token": token, "_section": "s1", "kind": "not-an-option",
        "note": "很长" * 400_000, "advice": "窗口排队时间长"},
        headers={"x-csrftoken": token})
    assert saved.status_code == 200
    draft = await Draft.select(Draft.answers).first()
    assert draft is not None
    stored = _text(draft["answers"])
    assert "窗口排队时间长" in stored  # the valid answer is kept
    assert "很长" not in stored and "not-an-option" not in stored  # 1.6 MB and a bad code: not
    assert len(stored) < 1000


async def test_the_migration_masks_what_was_stored_before(db) -> None:
    from survey_app.db.migrations import survey_0011_mask_stored_text as migration
    from survey_app.db.tables import Theme

    _, tokens = await _campaign()
    await submit_invitation_response(tokens[0], "m" * 24, {"kind": "b", "note": "x", "advice": "y"})
    # what the old code wrote: raw text in answers, drafts, opinions, theme keywords
    await Response.update({Response.answers: {"kind": "b", "note": RAW, "advice": RAW}}).where(
        Response.submission_id == "m" * 24)
    await Opinion.update({Opinion.text: RAW}).where(Opinion.id > 0)
    invitation = await Invitation.select(Invitation.id).where(Invitation.token == tokens[1]).first()
    assert invitation is not None
    await Draft.insert(Draft(invitation=invitation["id"], answers={"kind": "a", "note": RAW}))
    await Theme.insert(Theme(label="加VX13812345678", keywords=["排队", "13812345678"]))

    await migration.forwards_steps()

    response = await Response.select(Response.answers).first()
    assert response is not None
    stored = _text(response["answers"])
    _assert_masked(stored)
    assert '"kind": "b"' in stored  # codes are left alone
    opinion = await Opinion.select(Opinion.text).first()
    assert opinion is not None
    _assert_masked(opinion["text"])
    draft = await Draft.select(Draft.answers).first()
    assert draft is not None
    _assert_masked(_text(draft["answers"]))
    theme = await Theme.select(Theme.label, Theme.keywords).first()
    assert theme is not None
    assert "13812345678" not in theme["label"] + _text(theme["keywords"])
    assert "排队" in _text(theme["keywords"])
