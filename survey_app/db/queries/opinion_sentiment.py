"""Opinions stored before their sentiment was computed, for the "opinions.sentiment" job.

A submission writes its opinions with sentiment NULL and, in the SAME transaction, makes sure
one such job is queued (`ENQUEUE_SQL`, used by queries/submissions.py): a crash after the
commit leaves both the opinions and the job in the database, and a job whose worker died is
re-queued (queries/jobs.requeue_stale_jobs). Pending opinions are found through the partial
index of migration 0017.
"""

from __future__ import annotations

from collections.abc import Sequence

from piccolo.querystring import QueryString

from survey_app.db.tables import Opinion

JOB_KIND = "opinions.sentiment"

# At most one queued job at a time: a burst of submissions makes one job, not one per response.
# A job already running does not count, so opinions committed after it read its batch get a
# job of their own. (Two concurrent PostgreSQL transactions may both insert one: harmless.)
ENQUEUE_SQL = (
    "INSERT INTO job (kind) SELECT CAST({} AS VARCHAR(64)) WHERE NOT EXISTS"
    " (SELECT 1 FROM job WHERE kind = {} AND status = 'queued')"
)
ENQUEUE_VALUES = (JOB_KIND, JOB_KIND)


async def pending_opinions(limit: int) -> list[tuple[int, str]]:
    """(id, masked text) of opinions without a sentiment, oldest first."""
    rows = await Opinion.raw(
        "SELECT id, text FROM opinion WHERE sentiment IS NULL ORDER BY id LIMIT {}", limit
    )
    return [(row["id"], row["text"]) for row in rows]


async def store_sentiments(scores: Sequence[tuple[int, float]]) -> None:
    """One UPDATE for the whole batch; a value set meanwhile (a themes run, an analyst's
    correction) is kept."""
    if not scores:
        return
    cases = " ".join("WHEN {} THEN CAST({} AS DOUBLE PRECISION)" for _ in scores)
    ids = ", ".join("{}" for _ in scores)
    sql = (f"UPDATE opinion SET sentiment = CASE id {cases} END"  # noqa: S608
           f" WHERE id IN ({ids}) AND sentiment IS NULL")
    values = [x for opinion_id, score in scores for x in (opinion_id, float(score))]
    await Opinion._meta.db.run_querystring(
        QueryString(sql, *values, *[opinion_id for opinion_id, _ in scores]))
