"""Sentiment after the commit: a submission stores its opinions unscored and queues the
"opinions.sentiment" job in the same transaction; the job scores them, survives a crash of its
worker, and readers before it cope with "not yet computed"."""

from __future__ import annotations

import datetime as dt
import random
import secrets

import pytest

import survey_app.jobs.handlers  # noqa: F401  (registers the job kinds, as the app does)
from analysis.sentiment import score_sentiment
from survey_app.db.queries import jobs
from survey_app.db.queries import themes as theme_queries
from survey_app.db.queries._rows import utcnow
from survey_app.db.tables import Job, Opinion, Response
from survey_app.demo.answers import simulate_answers
from survey_app.jobs.runner import run_next_job
from survey_app.services.opinion_sentiment import JOB_KIND
from survey_app.services.submissions import SubmissionRefused, submit_invitation_response
from survey_app.services.themes.common import prepare
from tests.support.campaigns import open_campaign

COMPLAINT = "窗口办事排队时间太长，跑了五趟都没办成，非常不满意"
PRAISE = "工作人员态度很好，一次就办成了，非常满意"


async def _submit(campaign, index: int, opinion: str | None) -> None:  # type: ignore[no-untyped-def]
    answers = simulate_answers(campaign.questionnaire, random.Random(index),
                               opinion_for=lambda unit: opinion)
    await submit_invitation_response(campaign.tokens[index], secrets.token_urlsafe(18), answers)


async def _queued() -> list[dict]:
    return await Job.select(Job.id, Job.status).where(Job.kind == JOB_KIND)


async def _opinions() -> list[dict]:
    return await Opinion.select(Opinion.id, Opinion.text, Opinion.sentiment).order_by(Opinion.id)


async def test_a_submission_stores_its_opinions_unscored_and_queues_one_job(db) -> None:
    campaign = await open_campaign(invitations=3)
    await _submit(campaign, 0, COMPLAINT)
    await _submit(campaign, 1, PRAISE)
    await _submit(campaign, 2, None)
    opinions = await _opinions()
    assert opinions and {o["sentiment"] for o in opinions} == {None}
    # A burst makes one queued job, not one per response.
    assert [j["status"] for j in await _queued()] == ["queued"]


async def test_the_job_is_written_with_the_response_or_not_at_all(db) -> None:
    campaign = await open_campaign(invitations=1)
    await _submit(campaign, 0, None)  # no opinion: no job
    assert await _queued() == []
    answers = simulate_answers(campaign.questionnaire, random.Random(5),
                               opinion_for=lambda unit: COMPLAINT)
    with pytest.raises(SubmissionRefused):  # a second response for the invitation: rolled back
        await submit_invitation_response(campaign.tokens[0], secrets.token_urlsafe(18), answers)
    assert await Response.count() == 1
    assert await Opinion.count() == 0
    assert await _queued() == []


async def test_after_the_job_every_opinion_has_its_sentiment(db) -> None:
    campaign = await open_campaign(invitations=2)
    await _submit(campaign, 0, COMPLAINT)
    await _submit(campaign, 1, PRAISE)
    assert await run_next_job("test")
    job = await jobs.find_job((await _queued())[0]["id"])
    assert job is not None and job.status == "done" and job.result["scored"] >= 2
    opinions = await _opinions()
    assert [o["sentiment"] for o in opinions] == pytest.approx(
        score_sentiment([o["text"] for o in opinions]))
    by_text = {o["text"]: o["sentiment"] for o in opinions}
    assert by_text[COMPLAINT] < 0 < by_text[PRAISE]
    assert not await run_next_job("test")  # nothing left queued


async def test_a_worker_crash_leaves_the_job_to_be_run_again(db) -> None:
    campaign = await open_campaign(invitations=1)
    await _submit(campaign, 0, COMPLAINT)
    claimed = await jobs.claim_next_job("worker-that-dies")
    assert claimed is not None and claimed.kind == JOB_KIND
    # The worker dies before scoring: the job stays "running" and its heartbeat ages.
    await Job.update({Job.heartbeat_at: utcnow() - dt.timedelta(hours=1)}).where(
        Job.id == claimed.id)
    assert not await run_next_job("other")  # nothing queued while it looks alive
    assert await jobs.requeue_stale_jobs(utcnow() - dt.timedelta(minutes=10)) == 1
    assert await run_next_job("other")
    opinions = await _opinions()
    assert opinions and {o["text"] for o in opinions} == {COMPLAINT}
    assert [o["sentiment"] for o in opinions] == pytest.approx(
        score_sentiment([COMPLAINT]) * len(opinions))


async def test_reading_before_the_job_gets_the_same_sentiments(db) -> None:
    campaign = await open_campaign(invitations=2)
    await _submit(campaign, 0, COMPLAINT)
    await _submit(campaign, 1, PRAISE)
    corpus = await theme_queries.corpus_opinions(None)
    assert {o.sentiment for o in corpus} == {None}  # not yet computed
    # A themes run before the job scores what is missing, as the job will.
    early = prepare(corpus, rescore=False).sentiments
    assert await run_next_job("test")
    stored = [o.sentiment for o in await theme_queries.corpus_opinions(None)]
    assert early == pytest.approx(stored)
