"""Exactly-once submission under concurrency, on the engine under test."""

import asyncio
import random
import secrets

import pytest

from survey_app.db.tables import Answer, Response
from survey_app.demo.answers import simulate_answers
from survey_app.services.submissions import SubmissionRefused, submit_invitation_response
from tests.support.campaigns import open_campaign


async def test_fifty_distinct_plus_ten_duplicates_store_exactly_51(db) -> None:
    campaign = await open_campaign(invitations=51)
    rng = random.Random(7)
    answers = [simulate_answers(campaign.questionnaire, rng) for _ in range(51)]

    async def attempt(token: str, payload: dict) -> str:
        try:
            await submit_invitation_response(token, secrets.token_urlsafe(18), payload)
            return "ok"
        except SubmissionRefused as refusal:
            return refusal.reason

    distinct = [attempt(t, a) for t, a in zip(campaign.tokens[:50], answers[:50], strict=True)]
    duplicates = [attempt(campaign.tokens[50], answers[50]) for _ in range(10)]
    outcomes = await asyncio.gather(*distinct, *duplicates)
    assert outcomes[:50] == ["ok"] * 50
    assert sorted(outcomes[50:]) == ["ok"] + ["used"] * 9
    assert await Response.count() == 51
    rows = await Response.select(Response.invitation)
    assert len({r["invitation"] for r in rows}) == 51


async def test_same_submission_id_replays_and_other_payload_conflicts(db) -> None:
    campaign = await open_campaign(invitations=1)
    rng = random.Random(1)
    first_answers = simulate_answers(campaign.questionnaire, rng)
    other_answers = dict(first_answers, industry="it" if first_answers["industry"] != "it" else "trade")
    submission = secrets.token_urlsafe(18)
    receipts = await asyncio.gather(*[
        submit_invitation_response(campaign.tokens[0], submission, first_answers) for _ in range(5)
    ])
    assert len({r.receipt_code for r in receipts}) == 1
    assert sum(not r.replay for r in receipts) == 1
    with pytest.raises(SubmissionRefused) as conflict:
        await submit_invitation_response(campaign.tokens[0], submission, other_answers)
    assert conflict.value.reason == "conflict"
    assert await Response.count() == 1
    answer_rows = await Answer.count()
    assert answer_rows > 0


async def test_invalid_answers_are_refused_with_problems_and_nothing_stored(db) -> None:
    campaign = await open_campaign(invitations=1)
    with pytest.raises(SubmissionRefused) as refused:
        await submit_invitation_response(campaign.tokens[0], secrets.token_urlsafe(18),
                                         {"industry": "not-an-option"})
    assert refused.value.reason == "invalid"
    assert "industry" in refused.value.problems
    assert await Response.count() == 0


async def test_submissions_written_together_keep_their_own_rows(db) -> None:
    """Concurrent submissions share their group commit's statements (SQLite): each response
    must still get exactly its own answer, rating and opinion rows."""
    from questionnaires.answers import opinion_texts, scored_answers
    from survey_app.db.tables import Invitation, Opinion, UnitRating

    campaign = await open_campaign(invitations=12)
    questionnaire = campaign.questionnaire
    rng = random.Random(11)
    # Each opinion names its invitation by number: cleaning could rewrite a token's characters
    # (runs of "_" or "-"), but not "第3份".
    marks = {token: f"第{number}份" for number, token in enumerate(campaign.tokens)}
    answers = {token: simulate_answers(questionnaire, rng,
                                       opinion_for=lambda unit, t=token: f"意见{marks[t]}{unit}")
               for token in campaign.tokens}
    await asyncio.gather(*(submit_invitation_response(token, secrets.token_urlsafe(18), given)
                           for token, given in answers.items()))
    tokens = {r["id"]: r["token"] for r in await Invitation.select(Invitation.id, Invitation.token)}
    responses = {r["id"]: tokens[r["invitation"]]
                 for r in await Response.select(Response.id, Response.invitation)}
    assert len(responses) == 12
    stored: dict[int, set] = {}
    for row in await Answer.select(Answer.response, Answer.question, Answer.row, Answer.level):
        stored.setdefault(row["response"], set()).add((row["question"], row["row"], row["level"]))
    opinions: dict[int, set] = {}
    for row in await Opinion.select(Opinion.response, Opinion.text):
        opinions.setdefault(row["response"], set()).add(row["text"])
    ratings = {row["response"] for row in await UnitRating.select(UnitRating.response)}
    for response_id, token in responses.items():
        expected = {(a.question, a.row or "", None if a.unknown else a.level)
                    for a in scored_answers(questionnaire, answers[token])}
        assert stored[response_id] == expected
        texts = {o.text for o in opinion_texts(questionnaire, answers[token])}
        assert opinions.get(response_id, set()) == texts and all(marks[token] in t for t in texts)
        assert response_id in ratings


async def test_drafts_saved_together_keep_their_own_answers(db) -> None:
    """Drafts of one event-loop turn share one statement: each invitation keeps its own, and
    of two saves of one invitation in the same turn the later one wins."""
    from survey_app.db.tables import Draft, Invitation
    from survey_app.services.submissions import open_link, save_draft

    campaign = await open_campaign(invitations=6)
    states = [await open_link(token) for token in campaign.tokens]
    section = campaign.questionnaire.sections[0]
    choice = next(q for q in section.questions if q.type == "single_choice")
    values = [o.value for o in choice.options]
    saves = [save_draft(state, {choice.name: values[i % len(values)]}, section.id)
             for i, state in enumerate(states)]
    saves.append(save_draft(states[0], {choice.name: values[-1]}, section.id))  # later, same one
    assert await asyncio.gather(*saves) == [True] * 7
    ids = {r["id"]: r["token"] for r in await Invitation.select(Invitation.id, Invitation.token)}
    drafts = {ids[r["invitation"]]: r["answers"] for r in
              await Draft.select(Draft.invitation, Draft.answers).output(load_json=True)}
    expected = {token: {choice.name: values[i % len(values)]}
                for i, token in enumerate(campaign.tokens)}
    expected[campaign.tokens[0]] = {choice.name: values[-1]}
    assert drafts == expected
