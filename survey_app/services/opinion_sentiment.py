"""Scoring the sentiment of opinions after their submission was committed.

A submission stores its (masked) opinions with sentiment NULL and queues the
"opinions.sentiment" job in the same transaction (db/queries/submissions.py), so the respondent
does not wait for the scoring and a crash cannot lose it. Until the job has run, readers see
"not yet computed" (NULL): theme averages skip it, the themes run scores what is missing
(services/themes/common.prepare), exports leave the cell empty.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from analysis.sentiment import score_sentiment
from survey_app.db.queries import opinion_sentiment as queries

JOB_KIND = queries.JOB_KIND
BATCH = 100  # ~20 ms of scoring: the in-process worker shares the event loop with requests


async def score_pending_opinions(
    progress: Callable[[int], Awaitable[None]] | None = None, batch: int = BATCH
) -> int:
    """Score every opinion still without a sentiment, a batch at a time; returns how many.
    `progress(count)` after each batch (the job's heartbeat)."""
    done = 0
    while pending := await queries.pending_opinions(batch):
        scores = score_sentiment([text for _, text in pending])
        await queries.store_sentiments(
            [(opinion_id, score) for (opinion_id, _), score in zip(pending, scores, strict=True)])
        done += len(pending)
        if progress is not None:
            await progress(done)
    return done
