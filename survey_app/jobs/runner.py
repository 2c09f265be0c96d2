"""Runs long work (clustering, scoring, exports) off the request path.

Handlers register by kind. A worker claims one queued job at a time (atomically, see
db/queries/jobs.py), reports progress as it goes and stores a JSON result. The embedded default
runs one worker inside the web process; with PostgreSQL, `survey-app worker` processes can run
anywhere that reaches the database. CPU-heavy handlers use `asyncio.to_thread` so the web
process keeps answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries import jobs as job_queries
from survey_app.db.queries._rows import utcnow
from survey_app.services.job_queue import (
    JobContext,
    JobFailed,
    JobHandler,
    handler_for,
    job_handler,
    registered_kinds,
    submit_job,
    wake_event,
)

# Handlers and tests import these from here, where the work is run.
__all__ = [
    "JobContext", "JobFailed", "JobHandler", "PeriodicJob", "enqueue_due_jobs", "job_handler",
    "registered_kinds", "run_next_job", "submit_job", "worker_loop",
]

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=10)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_next_job(worker: str) -> bool:
    """Claim and run one job; False when the queue is empty."""
    job = await job_queries.claim_next_job(worker)
    if job is None:
        return False
    handler = handler_for(job.kind)
    if handler is None:
        await job_queries.fail_job(job.id, f"未知的任务类型：{job.kind}")
        return True
    context = JobContext(job_id=job.id, params=job.params, created_by=job.created_by)
    try:
        result = await handler(context)
    except JobFailed as failure:
        await job_queries.fail_job(job.id, str(failure))
    except Exception:
        log.exception("job %s (%s) crashed", job.id, job.kind)
        await job_queries.fail_job(job.id, "任务执行出错，请联系管理员查看日志")
    else:
        await job_queries.finish_job(job.id, result)
    return True


@dataclass(frozen=True)
class PeriodicJob:
    """A job every worker makes sure is queued once per `every`."""

    kind: str
    params: dict[str, Any]
    every: dt.timedelta


SCHEDULE_CHECK = dt.timedelta(minutes=10)


async def enqueue_due_jobs(periodic: Sequence[PeriodicJob], now: dt.datetime) -> list[int]:
    """Queue each periodic job not queued within its interval; returns the new job ids.

    Two workers checking at the same instant may both queue one: the periodic jobs are
    idempotent, so that costs a repeat run and nothing else.
    """
    queued = []
    for job in periodic:
        if not await job_queries.job_created_since(job.kind, now - job.every):
            queued.append(await submit_job(job.kind, job.params, None))
    return queued


async def worker_loop(
    stop: asyncio.Event,
    worker: str,
    poll_seconds: float = 2.0,
    periodic: Sequence[PeriodicJob] = (),
) -> None:
    wake = wake_event()
    checked: dt.datetime | None = None
    while not stop.is_set():
        try:
            if periodic and (checked is None or utcnow() - checked >= SCHEDULE_CHECK):
                checked = utcnow()
                await enqueue_due_jobs(periodic, checked)
            await job_queries.requeue_stale_jobs(utcnow() - STALE_AFTER)
            while not stop.is_set() and await run_next_job(worker):
                pass
        except Exception:  # the database may be restarting; keep the worker alive
            log.exception("worker %s: error while polling", worker)
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
