"""Job handlers for scores: quality flags of the period's campaigns, then the unit indices."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from survey_app.db.queries import scores as queries
from survey_app.jobs.runner import JobContext, JobFailed, job_handler
from survey_app.services import score_runs, scores, scores_quality


@job_handler("scores.compute")
async def compute_scores_job(context: JobContext) -> dict[str, Any]:
    try:
        options = scores.ScoreOptions.from_params(context.params)
        await context.progress(2, "检查答卷质量（答题过快、整齐划一）")
        campaigns = await queries.campaigns_in_period(options.period, options.audience)
        await scores_quality.refresh_quality_flags([c.id for c in campaigns])
        run_id = await score_runs.compute_scores(
            options,
            actor_id=context.created_by,
            actor_name=str(context.params.get("actor_name", "")),
            job_id=context.job_id,
            progress=context.progress,
        )
    except scores.ScoresError as error:
        raise JobFailed(str(error)) from None
    query = urlencode({"period": options.period, "run": run_id})
    return {"url": f"/scores?{query}", "run": run_id}
