"""unit_rating rows: written with every submission, equal to what its answer rows say, and
rebuilt from answer rows by migration 0009's backfill."""

from __future__ import annotations

import random
import secrets

from questionnaires.ratings import rated_items, rating_strings
from survey_app.db.migrations import survey_0009_unit_rating_data
from survey_app.db.tables import Answer, Response, UnitRating
from survey_app.demo.answers import simulate_answers
from survey_app.services.submissions import submit_invitation_response
from tests.support.campaigns import open_campaign


async def _stored_ratings() -> set[tuple]:
    rows = await UnitRating.select(
        UnitRating.response, UnitRating.campaign, UnitRating.unit_code, UnitRating.stratum,
        UnitRating.weight, UnitRating.levels,
    )
    return {tuple(r.values()) for r in rows}


async def _ratings_from_answers(items) -> set[tuple]:  # type: ignore[no-untyped-def]
    by_response: dict[int, list[dict]] = {}
    for a in await Answer.select().order_by(Answer.id):
        by_response.setdefault(a["response"], []).append(a)
    expected = set()
    for response_id, answers in by_response.items():
        first = answers[0]
        ratings = ((a["unit_code"], a["question"], a["row"], a["level"]) for a in answers)
        strings = rating_strings(items, ratings)
        expected |= {
            (response_id, first["campaign"], code, first["stratum"], first["weight"], levels)
            for code, levels in strings.items()
        }
    return expected


async def test_submissions_write_the_rating_strings_their_answers_give(db) -> None:
    campaign = await open_campaign(invitations=12)
    rng = random.Random(5)
    for token in campaign.tokens:
        answers = simulate_answers(campaign.questionnaire, rng)
        await submit_invitation_response(token, secrets.token_urlsafe(18), answers)
    items = rated_items(campaign.questionnaire)
    stored = await _stored_ratings()
    assert await Response.count() == 12
    assert len(stored) > 12  # the enterprise questionnaire rates several units per response
    assert stored == await _ratings_from_answers(items)
    assert all(len(levels) == len(items[code]) for _, _, code, _, _, levels in stored)
    # a response's answers rate its units somewhere: no string is all gaps
    assert all(set(levels) != {"-"} for *_, levels in stored)


async def test_backfill_rebuilds_the_rows_from_answers(db) -> None:
    campaign = await open_campaign(invitations=5)
    rng = random.Random(9)
    for token in campaign.tokens:
        answers = simulate_answers(campaign.questionnaire, rng)
        await submit_invitation_response(token, secrets.token_urlsafe(18), answers)
    written = await _stored_ratings()
    await UnitRating.delete(force=True)
    await survey_0009_unit_rating_data.backfill()
    rebuilt = await _stored_ratings()
    assert rebuilt == written and len(rebuilt) > 5
