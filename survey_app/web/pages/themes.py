"""Theme analysis pages: the theme list and each theme's opinions (analysts; the performance
office reads), curation forms, hand-over to units, export. The units' rectification pages are
in themes_assigned.py.

A curation form returned with an error shows everything that was typed in it: the handler
passes `typed` ({"form": its name, field: value …}) and the page fills that form from it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN, ANALYST, OFFICE
from survey_app.services import themes
from survey_app.services.auth import CurrentUser
from survey_app.web import rendering
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip

EDITORS = (ADMIN, ANALYST)
READERS = (ADMIN, ANALYST, OFFICE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ID = re.compile(r"[0-9]{1,9}")


def _user(request: Request) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the guard let only signed-in users through
    return user


def _scope(request: Request) -> themes.OpinionFilter:
    """The filter form's fields from the query string (theme list, theme pages, export):
    "" (the form's "all") and a campaign that is not a number mean all."""

    def field(name: str, size: int) -> str:
        return str(request.query_params.get(name, "")).strip()[:size]

    campaign = field("campaign", 10)
    return themes.OpinionFilter(
        campaign_ids=(int(campaign),) if _ID.fullmatch(campaign) else (),
        unit_code=field("unit", 32), question=field("question", 64),
        channel=field("channel", 16), period=field("period", 16),
        industry=field("industry", 64), size_class=field("size_class", 32),
        street=field("street", 64),
    )


def _query_string(scope: themes.OpinionFilter) -> str:
    """The filters as a query string, for links that must keep them."""
    pairs = {
        "campaign": scope.campaign_ids[0] if scope.campaign_ids else "",
        "unit": scope.unit_code,
        "question": scope.question,
        "channel": scope.channel,
        "period": scope.period,
        **scope.attributes,
    }
    return urlencode({key: value for key, value in pairs.items() if value})


def _common(request: Request, scope: themes.OpinionFilter) -> dict[str, Any]:
    return {
        "scope": scope,
        "qs": _query_string(scope),
        "can_edit": _user(request).role in EDITORS,
        "status_labels": themes.STATUS_LABELS,
        "channel_labels": themes.CHANNEL_LABELS,
    }


# --- The theme list -------------------------------------------------------------------------


async def _render_list(
    request: Request, scope: themes.OpinionFilter, page_no: int, *, error: str | None = None,
    status_code: int = 200,
) -> Template:
    return rendering.page(
        request, "analysis/themes.html", status_code=status_code, error=error,
        overview=await themes.overview(scope, page_no), choices=await themes.search_choices(),
        charts=await themes.charts(themes.search_filter_of(scope)),
        attribute_labels=themes.ATTRIBUTE_LABELS, pending_review=await themes.pending_review(),
        **_common(request, scope),
    )


@get("/themes", opt=roles(*READERS))
async def theme_list(request: Request, page: FromQuery[int] = 1) -> Template:
    return await _render_list(request, _scope(request), page)


@post("/themes/run", opt=roles(*EDITORS))
async def run_clustering(request: Request) -> Response | Template:
    form = await request.form()
    try:
        wanted = themes.parse_discovery_form(
            [str(v) for v in form.getall("campaign", [])], str(form.get("unit", "")),
            str(form.get("question", "")), str(form.get("channel", "")),
            str(form.get("k", "")), str(form.get("seed", "")),
        )
        job_id = await themes.submit_discovery(_user(request), client_ip(request), wanted)
    except themes.ThemeError as problem:
        return await _render_list(request, themes.OpinionFilter(), 1, error=str(problem),
                                  status_code=400)
    return Redirect(path=f"/jobs/{job_id}")


# --- Reviewing a run before it applies --------------------------------------------------------


async def _render_review(
    request: Request, run_id: int, *, error: str | None = None, status_code: int = 200
) -> Template:
    found = await themes.review(run_id)
    if found is None:
        raise NotFoundException("聚类结果不存在")
    return rendering.page(request, "analysis/review.html", status_code=status_code,
                          error=error, review=found)


@get("/themes/review/{run_id:int}", opt=roles(*READERS))
async def review_page(request: Request, run_id: RecordId) -> Template:
    return await _render_review(request, run_id)


@post("/themes/review/{run_id:int}", opt=roles(*EDITORS))
async def review_decision(request: Request, run_id: RecordId) -> Response | Template:
    form = await request.form()
    decision = str(form.get("decision", ""))
    try:
        if decision == "confirm":
            await themes.confirm_run(_user(request), client_ip(request), run_id)
        elif decision == "discard":
            await themes.discard_run(_user(request), client_ip(request), run_id)
        else:
            raise themes.ThemeError("请选择确认采用或放弃")
    except themes.ThemeError as problem:
        return await _render_review(request, run_id, error=str(problem), status_code=400)
    return Redirect(path="/themes" if decision == "confirm" else f"/themes/review/{run_id}")


@post("/themes/assign-new", opt=roles(*EDITORS))
async def assign_new(request: Request) -> Response | Template:
    try:
        job_id = await themes.submit_assign_new(_user(request), client_ip(request))
    except themes.ThemeError as problem:
        return await _render_list(request, themes.OpinionFilter(), 1, error=str(problem),
                                  status_code=400)
    return Redirect(path=f"/jobs/{job_id}")


@get("/themes/export.xlsx", opt=roles(*READERS))
async def export_report(request: Request) -> Response:
    data = await themes.export_report(_user(request), client_ip(request), _scope(request))
    return Response(
        data, media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="themes.xlsx"',
                 "Cache-Control": "no-store"},
    )


# --- One theme ---------------------------------------------------------------------------------


async def _render_detail(
    request: Request, theme_id: int | None, scope: themes.OpinionFilter, page_no: int, *,
    error: str | None = None, status_code: int = 200, typed: dict[str, Any] | None = None,
) -> Template:
    detail = await themes.theme_detail(theme_id, scope, page_no)
    theme = detail.theme
    return rendering.page(
        request, "analysis/theme.html", status_code=status_code, error=error, typed=typed or {},
        detail=detail,
        can_review=bool(theme and themes.reviews_rectification(_user(request), theme.status)),
        proposals=await themes.new_issue_proposals() if theme_id is None else [],
        sentiment_labels=themes.SENTIMENT_LABELS,
        units=await themes.active_units(),
        default_deadline=themes.default_deadline().isoformat(),
        working_days=themes.DEFAULT_HANDOVER_WORKING_DAYS,
        **_common(request, scope),
    )


@get("/themes/{theme_id:int}", opt=roles(*READERS))
async def theme_page(request: Request, theme_id: RecordId, page: FromQuery[int] = 1) -> Template:
    return await _render_detail(request, theme_id, _scope(request), page)


@get("/themes/unassigned", opt=roles(*READERS))
async def unassigned_page(request: Request, page: FromQuery[int] = 1) -> Template:
    return await _render_detail(request, None, _scope(request), page)


async def _edit(
    request: Request, theme_id: int, action: Callable[[], Awaitable[str | None]],
    typed: dict[str, Any] | None = None,
) -> Response | Template:
    """Run one curation action; a Chinese problem re-renders the theme page with it and with
    what was typed into the form (`typed`)."""
    try:
        target = await action()
    except themes.ThemeError as problem:
        return await _render_detail(request, theme_id, themes.OpinionFilter(), 1, error=str(problem),
                                    status_code=400, typed=typed)
    return Redirect(path=target or f"/themes/{theme_id}")


@post("/themes/{theme_id:int}/rename", opt=roles(*EDITORS))
async def rename_theme(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()

    async def action() -> None:
        await themes.rename(_user(request), client_ip(request), theme_id,
                            str(form.get("label", "")))

    return await _edit(request, theme_id, action,
                       {"form": "rename", "label": str(form.get("label", ""))})


@post("/themes/{theme_id:int}/merge", opt=roles(*EDITORS))
async def merge_themes(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()

    async def action() -> str:
        try:
            others = tuple(int(v) for v in form.getall("absorb", []))
        except ValueError:
            raise themes.ThemeError("要并入的主题选择有误，请刷新页面后重试") from None
        edit = themes.ThemeEdit("merge", theme_id, others=others, label=str(form.get("label", "")))
        return (await themes.request_edit(_user(request), client_ip(request), edit)).url

    return await _edit(request, theme_id, action, {
        "form": "merge", "absorb": [str(v) for v in form.getall("absorb", [])],
        "label": str(form.get("label", "")),
    })


@post("/themes/{theme_id:int}/split", opt=roles(*EDITORS))
async def split_theme(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()

    async def action() -> str:
        k = themes.parse_split_count(str(form.get("k", "")))
        labels = themes.parse_split_labels(str(form.get("labels", "")), k)
        edit = themes.ThemeEdit("split", theme_id, k=k, labels=labels)
        return (await themes.request_edit(_user(request), client_ip(request), edit)).url

    return await _edit(request, theme_id, action, {
        "form": "split", "k": str(form.get("k", "")), "labels": str(form.get("labels", "")),
    })


@post("/themes/{theme_id:int}/pin", opt=roles(*EDITORS))
async def pin_keyword(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()

    async def action() -> str:
        edit = themes.ThemeEdit("pin", theme_id, keyword=str(form.get("keyword", "")))
        return (await themes.request_edit(_user(request), client_ip(request), edit)).url

    return await _edit(request, theme_id, action,
                       {"form": "pin", "keyword": str(form.get("keyword", ""))})


@post("/themes/{theme_id:int}/unpin", opt=roles(*EDITORS))
async def unpin_keyword(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()

    async def action() -> None:
        await themes.unpin(_user(request), client_ip(request), theme_id,
                           str(form.get("keyword", "")))

    return await _edit(request, theme_id, action)


@post("/themes/move", opt=roles(*EDITORS))
async def move_opinions(request: Request) -> Response | Template:
    """Move opinions ticked on a theme's page (`source`; empty: the unassigned page)."""
    form = await request.form()
    source = str(form.get("source", ""))
    source_id = int(source) if _ID.fullmatch(source) else None
    back = f"/themes/{source_id}" if source_id else "/themes/unassigned"
    try:
        try:
            opinion_ids = [int(v) for v in form.getall("opinion", [])]
            target = int(str(form.get("target", "") or 0))
        except ValueError:
            raise themes.ThemeError("请勾选要移动的意见并选择目标主题") from None
        if str(form.get("action", "")) == "exclude":
            await themes.exclude_opinions(_user(request), client_ip(request), opinion_ids)
        else:
            await themes.move_opinions(_user(request), client_ip(request), opinion_ids, target)
    except themes.ThemeError as problem:
        typed = {"form": "move", "opinion": [str(v) for v in form.getall("opinion", [])],
                 "target": str(form.get("target", ""))}
        return await _render_detail(request, source_id, themes.OpinionFilter(), 1, error=str(problem),
                                    status_code=400, typed=typed)
    return Redirect(path=back)


# --- Opinions set aside: listed and restored ---------------------------------------------------


async def _render_set_aside(
    request: Request, reason: str, page_no: int, *, error: str | None = None,
    status_code: int = 200,
) -> Template:
    return rendering.page(
        request, "analysis/set_aside.html", status_code=status_code, error=error,
        found=await themes.set_aside_page(reason, page_no), reasons=themes.SET_ASIDE_REASONS,
        **_common(request, themes.OpinionFilter()),
    )


@get("/themes/set-aside", opt=roles(*READERS))
async def set_aside_page(
    request: Request, reason: FromQuery[str] = "excluded", page: FromQuery[int] = 1
) -> Template:
    return await _render_set_aside(request, reason, page)


@post("/themes/set-aside/restore", opt=roles(*EDITORS))
async def restore_opinions(request: Request) -> Response | Template:
    form = await request.form()
    reason = str(form.get("reason", "excluded"))
    try:
        try:
            opinion_ids = [int(v) for v in form.getall("opinion", [])]
        except ValueError:
            raise themes.ThemeError("请先勾选要恢复的意见") from None
        await themes.restore_opinions(_user(request), client_ip(request), opinion_ids)
    except themes.ThemeError as problem:
        return await _render_set_aside(request, reason, 1, error=str(problem), status_code=400)
    return Redirect(path=f"/themes/set-aside?{urlencode({'reason': reason})}")


@post("/themes/{theme_id:int}/handover", opt=roles(*EDITORS))
async def hand_over(request: Request, theme_id: RecordId) -> Response | Template:
    form = await request.form()

    async def action() -> None:
        try:
            unit_id = int(str(form.get("unit_id", "")))
        except ValueError:
            raise themes.ThemeError("请选择承办单位") from None
        deadline = themes.parse_deadline(str(form.get("deadline", "")))
        await themes.hand_over(_user(request), client_ip(request), theme_id, unit_id, deadline,
                               str(form.get("note", "")))

    return await _edit(request, theme_id, action, {
        "form": "handover", "unit_id": str(form.get("unit_id", "")),
        "deadline": str(form.get("deadline", "")), "note": str(form.get("note", "")),
    })


# --- Search and charts -------------------------------------------------------------------------


@get("/themes/search", opt=roles(*READERS))
async def search_page(
    request: Request, q: FromQuery[str] = "", period: FromQuery[str] = "",
    campaign: FromQuery[str] = "", unit: FromQuery[str] = "", question: FromQuery[str] = "",
    channel: FromQuery[str] = "", industry: FromQuery[str] = "", size_class: FromQuery[str] = "",
    street: FromQuery[str] = "", page: FromQuery[int] = 1,
) -> Template:
    params = {"q": q, "period": period, "campaign": campaign, "unit": unit,
              "question": question, "channel": channel, "industry": industry,
              "size_class": size_class, "street": street}
    error = None
    result = charts = None
    try:
        wanted = themes.parse_search(q, period, campaign, unit, question, channel, industry,
                                     size_class, street)
        result = await themes.search(wanted, page)
        charts = None if result.suppressed else await themes.charts(wanted)
    except themes.ThemeError as problem:
        error = str(problem)
    return rendering.page(
        request, "analysis/search.html", status_code=400 if error else 200, error=error,
        params=params, qs=urlencode({k: v for k, v in params.items() if v}),
        result=result, charts=charts, choices=await themes.search_choices(),
        attribute_labels=themes.ATTRIBUTE_LABELS, channel_labels=themes.CHANNEL_LABELS,
    )


# --- New issues, sentiment corrections, word lists --------------------------------------------


@post("/themes/new-issue", opt=roles(*EDITORS))
async def accept_new_issue(request: Request) -> Response | Template:
    form = await request.form()
    try:
        theme_id = await themes.create_theme_from_issue(
            _user(request), client_ip(request), str(form.get("word", ""))[:40])
    except themes.ThemeError as problem:
        return await _render_detail(request, None, themes.OpinionFilter(), 1, error=str(problem),
                                    status_code=400)
    return Redirect(path=f"/themes/{theme_id}")


@post("/themes/opinions/{opinion_id:int}/sentiment", opt=roles(*EDITORS))
async def correct_sentiment(request: Request, opinion_id: RecordId) -> Response | Template:
    form = await request.form()
    back = str(form.get("back", ""))
    back = back if re.fullmatch(r"/themes(/[0-9a-z/]*)?", back) else "/themes"
    try:
        await themes.correct_sentiment(_user(request), client_ip(request), opinion_id,
                                       str(form.get("label", "")))
    except themes.ThemeError as problem:
        return await _render_list(request, themes.OpinionFilter(), 1, error=str(problem),
                                  status_code=400)
    return Redirect(path=back)


async def _render_lexicon(
    request: Request, *, error: str | None = None, typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return rendering.page(request, "analysis/lexicon.html", status_code=status_code,
                          error=error, lists=await themes.word_lists(), typed=typed or {})


@get("/themes/lexicon", opt=roles(*READERS))
async def lexicon_page(request: Request) -> Template:
    return await _render_lexicon(request)


@post("/themes/lexicon", opt=roles(*EDITORS))
async def save_lexicon(request: Request) -> Response | Template:
    form = await request.form()
    kind = str(form.get("kind", ""))
    text = str(form.get("entries", ""))[:200_000]
    try:
        await themes.save_list(_user(request), client_ip(request), kind, text)
    except themes.ThemeError as problem:
        return await _render_lexicon(request, error=str(problem), typed={kind: text},
                                     status_code=400)
    return Redirect(path="/themes/lexicon")


ROUTES = [
    theme_list, run_clustering, assign_new, export_report, theme_page, unassigned_page,
    rename_theme, merge_themes, split_theme, pin_keyword, unpin_keyword, move_opinions,
    hand_over, review_page, review_decision, accept_new_issue, correct_sentiment, lexicon_page,
    save_lexicon, search_page, set_aside_page, restore_opinions,
]
