"""Job handlers for themes: clustering runs, assigning new opinions, large edits."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from survey_app.jobs.runner import JobContext, JobFailed, job_handler
from survey_app.services import themes

T = TypeVar("T")


async def _reported(work: Awaitable[T]) -> T:
    """A theme error is the user's to read on the job page, not a crash."""
    try:
        return await work
    except themes.ThemeError as error:
        raise JobFailed(str(error)) from None


@job_handler("themes.discover")
async def discover(context: JobContext) -> dict[str, Any]:
    return await _reported(
        themes.run_discovery(
            context.params, context.progress, job_id=context.job_id,
            created_by=context.created_by,
        )
    )


@job_handler("themes.assign_new")
async def assign_new(context: JobContext) -> dict[str, Any]:
    return await _reported(themes.assign_new_opinions(context.progress))


@job_handler("themes.edit")
async def edit(context: JobContext) -> dict[str, Any]:
    url = await _reported(
        themes.apply_edit(
            themes.ThemeEdit.from_params(context.params), created_by=context.created_by,
            job_id=context.job_id, progress=context.progress,
        )
    )
    return {"url": url}
