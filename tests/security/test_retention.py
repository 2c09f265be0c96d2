"""retention.purge: roster links and drafts go after the retention period; answers stay."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from survey_app.db.queries import jobs as job_queries
from survey_app.db.queries._rows import utcnow
from survey_app.db.tables import Answer, AuditLog, Campaign, Draft, Invitation, Respondent, Response
from survey_app.demo.answers import simulate_answers
from survey_app.jobs.retention import JOB_KIND, daily_purge
from survey_app.jobs.runner import enqueue_due_jobs, run_next_job, submit_job
from survey_app.services.submissions import open_link, submit_invitation_response
from tests.support.campaigns import OpenCampaign, open_campaign


async def _campaign_with_roster(final_days_ago: int | None) -> OpenCampaign:
    campaign = await open_campaign(invitations=3)
    for i, token in enumerate(campaign.tokens):
        rows = await Respondent.insert(
            Respondent(kind="enterprise", key=f"K{campaign.campaign_id}-{i}", name=f"企业{i}")
        ).returning(Respondent.id)
        await Invitation.update({Invitation.respondent: rows[0]["id"]}).where(
            Invitation.token == token)
    answers = simulate_answers(campaign.questionnaire, random.Random(1))
    await submit_invitation_response(campaign.tokens[0], "s" * 20 + str(campaign.campaign_id),
                                     answers)
    state = await open_link(campaign.tokens[1])
    await Draft.insert(Draft(invitation=state.context.invitation_id, answers={"industry": "it"}))
    if final_days_ago is not None:
        await Campaign.update({
            Campaign.status: "closed",
            Campaign.results_final_at: utcnow() - dt.timedelta(days=final_days_ago),
        }).where(Campaign.id == campaign.campaign_id)
    return campaign


async def _linked(campaign_id: int) -> int:
    return await Invitation.count().where(
        (Invitation.campaign == campaign_id) & Invitation.respondent.is_not_null())


async def _drafts(campaign_id: int) -> int:
    ids = [r["id"] for r in await Invitation.select(Invitation.id).where(
        Invitation.campaign == campaign_id)]
    return await Draft.count().where(Draft.invitation.is_in(ids))


async def _run(params: dict) -> job_queries.JobRecord:
    job_id = await submit_job(JOB_KIND, params, None)
    assert await run_next_job("test")
    job = await job_queries.find_job(job_id)
    assert job is not None
    return job


async def test_old_final_campaign_loses_roster_links_and_drafts_but_keeps_answers(db) -> None:
    old = await _campaign_with_roster(final_days_ago=200)
    recent = await _campaign_with_roster(final_days_ago=10)
    running = await _campaign_with_roster(final_days_ago=None)
    answers_before = await Answer.count()
    response_before = await Response.select(Response.stratum, Response.design_weight,
                                            Response.answers).where(
        Response.campaign == old.campaign_id).first()

    job = await _run({"actor_name": "admin", "ip": "10.0.0.1"})

    assert job.status == "done", job.message
    assert await _linked(old.campaign_id) == 0 and await _drafts(old.campaign_id) == 0
    for kept in (recent, running):
        assert await _linked(kept.campaign_id) == 3 and await _drafts(kept.campaign_id) == 1
    assert await Answer.count() == answers_before
    after = await Response.select(Response.stratum, Response.design_weight,
                                  Response.answers).where(Response.campaign == old.campaign_id).first()
    assert after == response_before and after is not None and after["stratum"] == "制造业|规上"
    assert await Respondent.count() == 9  # the roster itself is not this job's business
    assert job.result["purged"] == [{"campaign": (await _code(old.campaign_id)), "days": 180,
                                     "unlinked_invitations": 3, "deleted_drafts": 1}]
    event = await AuditLog.select().where(AuditLog.action == JOB_KIND).first()
    assert event is not None and event["actor_name"] == "admin"
    assert event["target"] == f"campaign:{await _code(old.campaign_id)}"


async def _code(campaign_id: int) -> str:
    row = await Campaign.select(Campaign.code).where(Campaign.id == campaign_id).first()
    assert row is not None
    return str(row["code"])


async def test_days_parameter_moves_the_cutoff_and_rerun_changes_nothing(db) -> None:
    campaign = await _campaign_with_roster(final_days_ago=40)
    assert (await _run({"days": 60})).result["purged"] == []
    assert await _linked(campaign.campaign_id) == 3
    first = await _run({"days": 30})
    assert first.result["purged"][0]["unlinked_invitations"] == 3
    again = await _run({"days": 30})
    assert again.status == "done" and again.result["purged"] == []
    assert await AuditLog.count().where(AuditLog.action == JOB_KIND) == 1


async def test_bad_days_parameter_fails_with_a_chinese_message(db) -> None:
    await _campaign_with_roster(final_days_ago=400)
    for bad, words in (("半年", "不是整数"), (0, "超出允许范围"), (99999, "超出允许范围")):
        job = await _run({"days": bad})
        assert job.status == "failed" and words in job.message
    assert await AuditLog.count().where(AuditLog.action == JOB_KIND) == 0


async def test_workers_queue_the_purge_once_a_day_with_the_configured_period(db, settings) -> None:
    periodic = [daily_purge(dataclasses.replace(settings, retention_days=30))]
    now = utcnow()
    first = await enqueue_due_jobs(periodic, now)
    assert len(first) == 1
    job = await job_queries.find_job(first[0])
    assert job is not None and job.kind == JOB_KIND and job.params == {"days": 30}
    # another worker (or the next check) within the day queues nothing more
    assert await enqueue_due_jobs(periodic, now + dt.timedelta(hours=23)) == []
    # a day after the last one, the next purge is queued, and it runs like any job
    second = await enqueue_due_jobs(periodic, now + dt.timedelta(days=1, minutes=1))
    assert len(second) == 1 and second[0] != first[0]
    campaign = await _campaign_with_roster(final_days_ago=31)
    assert await run_next_job("test") and await run_next_job("test")
    assert await _linked(campaign.campaign_id) == 0
