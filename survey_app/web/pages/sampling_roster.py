"""Roster (样本框) pages for administrators: browse with masked contacts, import, reveal one
contact on demand (audited), mark respondents closed or unreachable."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN
from survey_app.services import roster
from survey_app.web.guards import roles
from survey_app.web.notices import notice_query, notice_text
from survey_app.web.pages.sampling_common import (
    PageNumber,
    actor_of,
    attachment,
    form_lists,
    int_values,
)
from survey_app.web.params import RecordId
from survey_app.web.rendering import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 200


@get("/roster", opt=roles(ADMIN))
async def roster_list(
    request: Request, kind: FromQuery[str] = "enterprise", industry: FromQuery[str] = "",
    size: FromQuery[str] = "", place: FromQuery[str] = "", status: FromQuery[str] = "",
    q: FromQuery[str] = "", page_no: PageNumber = 1, notice: FromQuery[str] = "",
    a: FromQuery[str] = "0", label: FromQuery[str] = "",
) -> Template:
    kind = kind if kind in roster.ROSTER_KINDS else "enterprise"
    roster_filter = roster.RosterFilter(
        kind=kind, industry=industry[:64], size_class=size[:32], place=place[:64],
        status=status if status in roster.STATUS_LABELS else "", search=q.strip()[:64],
    )
    return page(
        request, "admin/roster.html", listing=await roster.roster_page(roster_filter, page_no),
        filter=roster_filter, kinds=roster.ROSTER_KINDS, statuses=roster.STATUS_LABELS,
        notice=notice_text(notice, a, label=label, labels=roster.STATUS_LABELS),
    )


@post("/roster/{respondent_id:int}/contact", opt=roles(ADMIN, step_up=True, step_up_back="/roster"))
async def roster_contact(request: Request, respondent_id: RecordId) -> Template:
    try:
        revealed = await roster.reveal_contact(respondent_id, actor_of(request))
    except roster.RosterError as problem:
        return page(request, "admin/roster_contact.html", status_code=404, revealed=None,
                    error=str(problem))
    return page(request, "admin/roster_contact.html", revealed=revealed, error=None)


@post("/roster/status", opt=roles(ADMIN))
async def roster_status(request: Request) -> Redirect:
    form = form_lists(await request.form())
    status = (form.get("status") or [""])[0]
    back = (form.get("kind") or ["enterprise"])[0]
    back = back if back in roster.ROSTER_KINDS else "enterprise"
    try:
        changed = await roster.mark_status(int_values(form.get("ids", [])), status,
                                           actor_of(request))
        notice = notice_query("status_set", changed, label=status)
    except roster.RosterError:
        notice = notice_query("status_failed")
    return Redirect(path="/roster", query_params={"kind": back, **notice})


@get("/roster/import", opt=roles(ADMIN))
async def roster_import_form(request: Request, error: FromQuery[str] = "") -> Template:
    return page(request, "admin/roster_import.html", kinds=roster.ROSTER_KINDS,
                error=error[:200] or None, max_mb=request.app.state.settings.max_upload_mb)


@post("/roster/import", opt=roles(ADMIN))
async def roster_import(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    max_mb = request.app.state.settings.max_upload_mb
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    try:
        job_id = await roster.submit_import(
            data, str(form.get("kind", "")), actor_of(request), max_bytes=max_mb * 1024 * 1024
        )
    except roster.RosterError as problem:
        return page(  # type: ignore[return-value]
            request, "admin/roster_import.html", status_code=400, kinds=roster.ROSTER_KINDS,
            error=str(problem), max_mb=max_mb,
        )
    return Redirect(path=f"/jobs/{job_id}")


@get("/roster/imports/{job_id:int}", opt=roles(ADMIN))
async def roster_import_result(request: Request, job_id: RecordId) -> Response:
    summary = await roster.import_result(job_id)
    if summary is None:  # still running, failed or not an import: the job page says which
        return Redirect(path=f"/jobs/{job_id}")
    return page(  # type: ignore[return-value]
        request, "admin/roster_import_result.html", summary=summary, job_id=job_id,
        shown_errors=summary.errors[:SHOWN_ERRORS], kinds=roster.ROSTER_KINDS,
    )


@get("/roster/imports/{job_id:int}/errors.xlsx", opt=roles(ADMIN))
async def roster_import_errors(request: Request, job_id: RecordId) -> Response:
    try:
        content = await roster.error_report_xlsx(job_id, actor_of(request))
    except roster.RosterError:
        return Redirect(path=f"/jobs/{job_id}")
    return Response(content, media_type=XLSX,
                    headers=attachment(f"roster-import-{job_id}-errors.xlsx"))


@post("/roster/imports/{job_id:int}/confirm", opt=roles(ADMIN))
async def roster_import_confirm(request: Request, job_id: RecordId) -> Redirect:
    try:
        new_job = await roster.confirm_import(job_id, actor_of(request))
    except roster.RosterError as problem:
        return Redirect(path="/roster/import", query_params={"error": str(problem)})
    return Redirect(path=f"/jobs/{new_job}")


@post("/roster/imports/{job_id:int}/cancel", opt=roles(ADMIN))
async def roster_import_cancel(request: Request, job_id: RecordId) -> Redirect:
    try:
        await roster.cancel_import(job_id, actor_of(request))
    except roster.RosterError as problem:
        return Redirect(path="/roster/import", query_params={"error": str(problem)})
    return Redirect(path="/roster", query_params=notice_query("import_cancelled"))


ROUTES = [roster_list, roster_contact, roster_status, roster_import_form, roster_import,
          roster_import_result, roster_import_errors, roster_import_confirm, roster_import_cancel]
