"""Progress of long-running jobs."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from survey_app.roles import ALL_ROLES
from survey_app.services.job_queue import visible_job
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


@get("/jobs/{job_id:int}", opt=roles(*ALL_ROLES))
async def job_page(request: Request, job_id: RecordId) -> Template:
    return page(request, "jobs/job.html", job=await visible_job(current_user(request), job_id))


@get("/api/jobs/{job_id:int}", opt=roles(*ALL_ROLES))
async def job_status(request: Request, job_id: RecordId) -> dict[str, object]:
    job = await visible_job(current_user(request), job_id)
    return {"id": job.id, "status": job.status, "progress": job.progress,
            "message": job.message, "result_url": job.result.get("url")}


ROUTES = [job_page, job_status]
