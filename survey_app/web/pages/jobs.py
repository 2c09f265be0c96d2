"""Progress of long-running jobs."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template

from survey_app.db.queries import jobs
from survey_app.roles import ADMIN, ALL_ROLES
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


async def _visible_job(request: Request, job_id: RecordId) -> jobs.JobRecord:
    user = current_user(request)
    job = await jobs.find_job(job_id)
    # Staff see their own jobs; admins see all. Another user's job id is simply "not found".
    if job is None or user is None or (user.role != ADMIN and job.created_by != user.id):
        raise NotFoundException("任务不存在")
    return job


@get("/jobs/{job_id:int}", opt=roles(*ALL_ROLES))
async def job_page(request: Request, job_id: RecordId) -> Template:
    return page(request, "jobs/job.html", job=await _visible_job(request, job_id))


@get("/api/jobs/{job_id:int}", opt=roles(*ALL_ROLES))
async def job_status(request: Request, job_id: RecordId) -> dict[str, object]:
    job = await _visible_job(request, job_id)
    return {"id": job.id, "status": job.status, "progress": job.progress,
            "message": job.message, "result_url": job.result.get("url")}


ROUTES = [job_page, job_status]
