"""The rectification pages of handed-over themes: the list and each theme's thread; units see
only their own and reply, the analyst or the office accepts or returns. A form returned with
an error keeps what was typed in it (`typed`)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN, ANALYST, OFFICE, UNIT_VIEWER
from survey_app.services import themes
from survey_app.services.auth import CurrentUser
from survey_app.web import rendering
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip

READERS = (ADMIN, ANALYST, OFFICE)


def _user(request: Request) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the guard let only signed-in users through
    return user


@get("/themes/assigned", opt=roles(*READERS, UNIT_VIEWER))
async def assigned_list(request: Request, page: FromQuery[int] = 1) -> Template:
    return rendering.page(request, "analysis/assigned.html",
                          listing=await themes.handed_over(_user(request), page),
                          status_labels=themes.STATUS_LABELS)


async def _render_assigned(
    request: Request, theme_id: int, page_no: int, *, error: str | None = None,
    status_code: int = 200, typed: dict[str, str] | None = None,
) -> Template:
    handed = await themes.handed_over_detail(_user(request), theme_id, page_no)
    return rendering.page(request, "analysis/assigned_theme.html", status_code=status_code,
                          error=error, typed=typed or {}, detail=handed.detail,
                          thread=handed.thread, can_review=handed.can_review,
                          thread_labels=themes.THREAD_LABELS,
                          status_labels=themes.STATUS_LABELS,
                          channel_labels=themes.CHANNEL_LABELS)


@get("/themes/assigned/{theme_id:int}", opt=roles(*READERS, UNIT_VIEWER))
async def assigned_page(
    request: Request, theme_id: RecordId, page: FromQuery[int] = 1
) -> Template:
    return await _render_assigned(request, theme_id, page)


@post("/themes/assigned/{theme_id:int}/reply", opt=roles(UNIT_VIEWER))
async def reply(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()
    try:
        await themes.reply(_user(request), client_ip(request), theme_id,
                           str(form.get("status", "")), str(form.get("reply", "")))
    except themes.ThemeError as problem:
        return await _render_assigned(request, theme_id, 1, error=str(problem), status_code=400,
                                      typed={"form": "reply", "reply": str(form.get("reply", "")),
                                             "status": str(form.get("status", ""))})
    return Redirect(path=f"/themes/assigned/{theme_id}")


@post("/themes/assigned/{theme_id:int}/review", opt=roles(*READERS))
async def review_rectification(request: Request, theme_id: RecordId) -> Response | Template:
    """The analyst or the office accepts (验收) or returns (退回) a unit's report."""
    form = await request.form()
    try:
        await themes.review_rectification(_user(request), client_ip(request), theme_id,
                                          str(form.get("decision", "")),
                                          str(form.get("comment", "")))
    except themes.ThemeError as problem:
        return await _render_assigned(request, theme_id, 1, error=str(problem), status_code=400,
                                      typed={"form": "review",
                                             "comment": str(form.get("comment", ""))})
    # the same form sits on the analyst's theme page: go back to the page it was sent from
    back = f"/themes/{theme_id}" if form.get("back") == "theme" else f"/themes/assigned/{theme_id}"
    return Redirect(path=back)


ROUTES = [assigned_list, assigned_page, reply, review_rectification]
