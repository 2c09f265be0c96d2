"""Job handlers for sampling: roster import (a 200 000-row XLSX takes tens of seconds) and the
sample draw of a large frame."""

from __future__ import annotations

import base64
from typing import Any

from questionnaires.roster import RosterImportError
from survey_app.jobs.runner import JobContext, JobFailed, job_handler
from survey_app.services import campaign_draws, campaign_plans, campaigns, roster


@job_handler(roster.IMPORT_JOB_KIND)
async def import_roster(context: JobContext) -> dict[str, Any]:
    params = context.params
    data = base64.b64decode(params["data"])
    actor = roster.Actor(context.created_by, str(params["actor_name"]), str(params["ip"]))
    held = False
    try:
        summary = await roster.import_roster(
            data, str(params["kind"]), actor, max_bytes=int(params["max_bytes"]),
            progress=context.progress, confirmed=bool(params.get("confirmed")),
        )
        held = summary.needs_confirmation
    except RosterImportError as problem:
        raise JobFailed(str(problem)) from None
    finally:
        # The upload holds contact details: drop it from the job row whatever happened, unless
        # the import waits for the administrator to confirm its changes (confirm or cancel
        # drops it then).
        if not held:
            await roster.forget_upload(context.job_id, str(params["kind"]), len(data))
    return {"url": f"/roster/imports/{context.job_id}", "summary": summary.to_json()}


@job_handler(campaign_draws.DRAW_JOB_KIND)
async def draw_sample(context: JobContext) -> dict[str, Any]:
    params = context.params
    campaign_id = int(params["campaign_id"])
    actor = roster.Actor(context.created_by, str(params["actor_name"]), str(params["ip"]))
    await context.progress(10, "正在抽样")
    try:
        outcome = await campaign_draws.draw_campaign_sample(
            campaign_id, campaign_plans.PlanRequest.from_json(params["plan"]), actor,
            fingerprint=params.get("fingerprint"),
        )
    except campaigns.CampaignError as problem:
        raise JobFailed(str(problem)) from None
    return {"url": f"/campaigns/{campaign_id}", "sample_size": outcome.sample_size}
