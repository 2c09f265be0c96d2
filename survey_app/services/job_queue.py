"""The job queue as the services see it: job kinds, their handlers and submitting work.

Services queue long work here; survey_app.jobs registers the handlers and runs the workers
(jobs/runner.py), so no service depends on the code that runs its jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries import jobs as job_queries
from survey_app.errors import NotFound
from survey_app.roles import ADMIN
from survey_app.services.auth import CurrentUser


class JobFailed(Exception):
    """A handler's expected failure: its Chinese message is shown to the user as is."""


@dataclass
class JobContext:
    job_id: int
    params: dict[str, Any]
    created_by: int | None

    async def progress(self, percent: int, message: str = "") -> None:
        await job_queries.report_progress(self.job_id, percent, message)


JobHandler = Callable[[JobContext], Awaitable[dict[str, Any]]]
_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(handler: JobHandler) -> JobHandler:
        _HANDLERS[kind] = handler
        return handler

    return register


def handler_for(kind: str) -> JobHandler | None:
    return _HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)


async def submit_job(kind: str, params: dict[str, Any], created_by: int | None) -> int:
    if kind not in _HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job_id = await job_queries.enqueue_job(kind, params, created_by)
    wake_event().set()
    return job_id


_wake: asyncio.Event | None = None


def wake_event() -> asyncio.Event:
    global _wake
    if _wake is None:
        _wake = asyncio.Event()
    return _wake


async def visible_job(user: CurrentUser | None, job_id: int) -> job_queries.JobRecord:
    """Staff see their own jobs; admins see all. Another user's job is simply "not found"."""
    job = await job_queries.find_job(job_id)
    if job is None or user is None or (user.role != ADMIN and job.created_by != user.id):
        raise NotFound("任务不存在")
    return job
