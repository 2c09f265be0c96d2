"""Job "opinions.sentiment": score the opinions stored without a sentiment.

Queued by every submission that has opinions, in the same transaction as the response
(at most one queued at a time); see services/opinion_sentiment.py. A worker that dies while
running it leaves it "running" without heartbeat: the runner re-queues it (requeue_stale_jobs)
and the opinions still without a sentiment are scored then.
"""

from __future__ import annotations

from typing import Any

from survey_app.jobs.runner import JobContext, job_handler
from survey_app.services import opinion_sentiment


@job_handler(opinion_sentiment.JOB_KIND)
async def score_opinions(context: JobContext) -> dict[str, Any]:
    async def heartbeat(done: int) -> None:
        await context.progress(0, f"已计算 {done} 条意见的情感倾向")

    return {"scored": await opinion_sentiment.score_pending_opinions(heartbeat)}
