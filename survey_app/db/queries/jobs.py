"""The job queue. Claiming is one atomic UPDATE, so two workers never take the same job."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import Job


@dataclass(frozen=True)
class JobRecord:
    id: int
    kind: str
    params: dict[str, Any]
    status: str
    progress: int
    message: str
    result: dict[str, Any]
    created_by: int | None
    created_at: dt.datetime | None
    finished_at: dt.datetime | None


def _record(row: dict) -> JobRecord:
    return JobRecord(
        id=row["id"],
        kind=row["kind"],
        params=json_value(row.get("params"), {}),
        status=row.get("status", "running"),
        progress=row.get("progress", 0),
        message=row.get("message", ""),
        result=json_value(row.get("result"), {}),
        created_by=row.get("created_by"),
        created_at=aware(row.get("created_at")),
        finished_at=aware(row.get("finished_at")),
    )


async def enqueue_job(kind: str, params: dict[str, Any], created_by: int | None) -> int:
    rows = await Job.insert(Job(kind=kind, params=params, created_by=created_by)).returning(
        Job.id
    )
    return int(rows[0]["id"])


async def job_created_since(kind: str, since: dt.datetime) -> bool:
    """Whether a job of this kind was queued at or after `since` (whatever became of it)."""
    return bool(await Job.exists().where((Job.kind == kind) & (Job.created_at >= since)))


async def claim_next_job(worker: str) -> JobRecord | None:
    engine_type = Job._meta.db.engine_type
    # SKIP LOCKED lets PostgreSQL workers pass over a row another worker is claiming; on SQLite
    # the single UPDATE statement holds the database write lock, which is just as exclusive.
    lock = "FOR UPDATE SKIP LOCKED" if engine_type == "postgres" else ""
    # The only interpolation is the constant `lock`; values go in as parameters.
    sql = (
        "UPDATE job SET status = 'running', worker = {}, started_at = {}, heartbeat_at = {}, "  # noqa: S608
        "attempts = attempts + 1 WHERE status = 'queued' AND id = "
        f"(SELECT id FROM job WHERE status = 'queued' ORDER BY id LIMIT 1 {lock}) "
        "RETURNING id, kind, params, created_by"
    )
    rows = await Job.raw(sql, worker, utcnow(), utcnow())
    return _record(rows[0]) if rows else None


async def report_progress(job_id: int, progress: int, message: str) -> None:
    await Job.update(
        {Job.progress: max(0, min(100, progress)), Job.message: message[:256],
         Job.heartbeat_at: utcnow()}
    ).where(Job.id == job_id)


async def finish_job(job_id: int, result: dict[str, Any]) -> None:
    # Round-trip through JSON so a result that cannot be stored fails here, not later.
    await Job.update(
        {Job.status: "done", Job.progress: 100, Job.result: json.loads(json.dumps(result)),
         Job.finished_at: utcnow()}
    ).where(Job.id == job_id)


async def fail_job(job_id: int, message: str) -> None:
    await Job.update(
        {Job.status: "failed", Job.message: message[:256], Job.finished_at: utcnow()}
    ).where(Job.id == job_id)


async def requeue_stale_jobs(heartbeat_before: dt.datetime, max_attempts: int = 3) -> int:
    """Jobs whose worker died (no heartbeat) go back to the queue, a few times at most."""
    stale = await Job.select(Job.id, Job.attempts).where(
        (Job.status == "running") & (Job.heartbeat_at < heartbeat_before)
    )
    for row in stale:
        if row["attempts"] >= max_attempts:
            await fail_job(row["id"], "多次执行中断，已停止重试")
        else:
            await Job.update({Job.status: "queued", Job.worker: ""}).where(
                (Job.id == row["id"]) & (Job.status == "running")
            )
    return len(stale)


async def find_job(job_id: int) -> JobRecord | None:
    row = await Job.select().where(Job.id == job_id).first()
    return _record(row) if row else None


async def recent_jobs(limit: int = 50, created_by: int | None = None) -> list[JobRecord]:
    query = Job.select().order_by(Job.id, ascending=False).limit(limit)
    if created_by is not None:
        query = query.where(Job.created_by == created_by)
    return [_record(r) for r in await query]
