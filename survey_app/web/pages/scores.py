"""Satisfaction scores and appraisal pages: the period list, unit cards with trends and a
printable report, response quality review, exports, the appraisal with its scheme editor and
grade overrides (the API tokens are in pages/api_tokens.py). Handlers only translate HTTP to
the services (services/scores.py, services/appraisal.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from analysis.scoring.mapping import MAPPINGS
from survey_app.jobs.runner import submit_job
from survey_app.roles import ADMIN, ANALYST, OFFICE, UNIT_VIEWER
from survey_app.services import (
    appraisal,
    appraisal_overrides,
    appraisal_publication,
    scores,
    scores_exports,
    scores_quality,
    units,
)
from survey_app.services.auth import CurrentUser
from survey_app.services.themes import CHANNEL_LABELS
from survey_app.web.charts import RankedValue, bars_svg, distribution_svg, ranking_svg
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page

VIEWERS = (ADMIN, ANALYST, OFFICE, UNIT_VIEWER)
READERS = (ADMIN, ANALYST, OFFICE)
OFFICE_ROLES = (ADMIN, OFFICE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _user(request: Request) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the guard admits signed-in users only
    return user


def _actor(request: Request) -> dict[str, Any]:
    user = _user(request)
    return {"actor_id": user.id, "actor_name": user.username, "ip": client_ip(request)}


def _download(content: bytes, filename: str) -> Response:
    media = XLSX if filename.endswith(".xlsx") else "text/csv; charset=utf-8"
    return Response(
        content,
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


# --- trend chart: inline SVG drawn here, no script and nothing from the network -----------

# Drawn at its natural size like the other unit-page charts (see web/charts.py): 12 px text,
# 320 px wide for up to four periods (fits a phone), wider (scrolling in its card) for more.
HEIGHT, LEFT, RIGHT, TOP, BOTTOM, PERIOD_STEP, MIN_WIDTH = 220, 40, 16, 24, 34, 66, 320


def trend_svg(points: Sequence[scores.TrendPoint], title: str) -> Markup:
    """Index per period with its confidence interval as a whisker; suppressed periods are
    shown as gaps. Every text is escaped; the result is safe to insert as markup."""
    values = [v for p in points for v in (p.value, p.low, p.high) if v is not None]
    if not values:
        return Markup("")
    span = max(values) - min(values) + 4
    step = 5 if span <= 20 else 10 if span <= 40 else 20  # round ticks: 60, 65, 70 …
    low = max(0.0, math.floor((min(values) - 2) / step) * step)
    high = min(100.0, math.ceil((max(values) + 2) / step) * step)
    if high - low < 2 * step:
        low, high = max(0.0, high - 2 * step), max(high, low + 2 * step)
    width = max(MIN_WIDTH, LEFT + RIGHT + PERIOD_STEP * len(points))
    spacing = (width - LEFT - RIGHT) / max(len(points), 1)

    def x(i: int) -> float:
        return LEFT + (i + 0.5) * spacing

    def y(v: float) -> float:
        return TOP + (high - v) / (high - low) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg class="trend" width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in range(round((high - low) / step) + 1):
        v = low + tick * step
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'stroke="#d9dee4" stroke-width="1"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#6b7785">{v:g}</text>'
        )
    line: list[tuple[float, float]] = []
    for i, p in enumerate(points):
        parts.append(
            f'<text class="axis" x="{x(i):.1f}" y="{HEIGHT - 10}" text-anchor="middle" '
            f'font-size="12" fill="#6b7785">{escape(p.period)}</text>'
        )
        if p.low is not None and p.high is not None:
            parts.append(
                f'<line class="ci" x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(p.low):.1f}" '
                f'y2="{y(p.high):.1f}" stroke="#8e1515" stroke-width="2" stroke-opacity="0.45"/>'
            )
        if p.value is None:
            if line:
                parts.append(_polyline(line))
            line = []
            continue
        line.append((x(i), y(p.value)))
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="4" fill="#b71c1c"/>'
            f'<text x="{x(i):.1f}" y="{y(p.value) - 9:.1f}" text-anchor="middle" font-size="12" '
            f'fill="#1f2933">{p.value:.2f}</text>'
        )
    if line:
        parts.append(_polyline(line))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (built here from numbers and escaped text)


def _polyline(points: list[tuple[float, float]]) -> str:
    coordinates = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
    return f'<polyline points="{coordinates}" fill="none" stroke="#b71c1c" stroke-width="2"/>'


async def _grades(period: str | None) -> dict[int, dict[str, Any]]:
    """Published appraisal results of the period's year by unit id (drafts are never shown here)."""
    year = period[:4] if period else ""
    return await appraisal_publication.published_by_unit(int(year)) if year.isdigit() else {}


def _rankings(runs: Sequence[scores.RunScores]) -> list[tuple[str, Markup]]:
    """One ranking chart per audience and unit class, with interval whiskers."""
    charts = []
    for r in runs:
        classes: dict[str, list[RankedValue]] = {}
        for row in r.rows:
            low, high = (row.details.get("ci") or (None, None))[:2]
            point = RankedValue(row.unit_name, row.index_value, low, high)
            classes.setdefault(row.category, []).append(point)
        for category, values in classes.items():
            title = f"{r.audience_label} · {category}：满意度指数与 95% 区间"
            charts.append((title, ranking_svg(values, title)))
    return charts


# --- the period list ------------------------------------------------------------------------


async def _scores_page(
    request: Request,
    period: str | None,
    *,
    error: str | None = None,
    notice: str | None = None,
    compute_form: dict[str, str] | None = None,
    compute_problem: str | None = None,
    status_code: int = 200,
) -> Template:
    user = _user(request)
    viewer = user.role == UNIT_VIEWER
    periods = await scores.period_choices()
    period = period if period in periods else await scores.default_period(periods)
    runs = await scores.period_scores(period, user.unit_id if viewer else None) if period else []
    grades = await _grades(period)
    campaigns = await scores.campaigns_in_period(period) if period and not viewer else []
    return page(
        request,
        "scores/index.html",
        status_code=status_code,
        period=period,
        periods=periods,
        runs=runs,
        grades=grades,
        quality=await scores_quality.quality_summaries(campaigns),
        rankings=[] if viewer else _rankings(runs),
        audiences=scores.AUDIENCES,
        mappings=MAPPINGS,
        can_compute=user.role in OFFICE_ROLES,
        can_export=user.role in READERS,
        is_viewer=viewer,
        flag_labels=scores.flag_labels,
        error=error,
        notice=notice,
        compute_form=compute_form or {},
        compute_problem=compute_problem,
    )


@get("/scores", opt=roles(*VIEWERS))
async def score_list(
    request: Request, period: FromQuery[str | None] = None, run: FromQuery[int | None] = None
) -> Template:
    notice = f"计算完成（计算编号 {run}）" if run else None
    return await _scores_page(request, period, notice=notice)


@post("/scores/compute", opt=roles(*OFFICE_ROLES))
async def score_compute(request: Request) -> Response | Template:
    user = _user(request)
    form = await request.form()
    typed = {name: str(form.get(name, "")) for name in ("period", "audience", "mapping", "dimension_weights")}
    period = typed["period"].strip()
    try:
        weights = scores.parse_dimension_weights(typed["dimension_weights"])
    except scores.ScoresError as problem:  # shown at the field too, with the typed text kept
        return await _scores_page(request, period or None, error=str(problem), compute_form=typed,
                                  compute_problem=str(problem), status_code=400)  # fmt: skip
    try:
        options = scores.ScoreOptions(
            period=period,
            audience=typed["audience"],
            mapping_key=typed["mapping"] or "nbs",
            dimension_weights=weights,
        )
    except scores.ScoresError as problem:
        return await _scores_page(request, period or None, error=str(problem), compute_form=typed,
                                  status_code=400)  # fmt: skip
    job_id = await submit_job("scores.compute", {**options.as_params(), "actor_name": user.username}, user.id)
    return Redirect(path=f"/jobs/{job_id}")


@get("/scores/export", opt=roles(*READERS))
async def score_export(request: Request, period: FromQuery[str], format: FromQuery[str] = "xlsx") -> Response:
    try:
        content, filename = await scores_exports.export_scores(
            period, "csv" if format == "csv" else "xlsx", **_actor(request)
        )
    except scores.ScoresError as problem:
        raise NotFoundException(str(problem)) from None
    return _download(content, filename)


# --- unit cards -----------------------------------------------------------------------------


def _distributions(view: Any) -> list[tuple[str, Any]]:
    """Chart rows named by dimension when each item has its own (short, and the table beside
    pairs it with the question), else by the question text."""
    items = view.score.details.get("items", []) if view.score else []
    dimensions = [item.get("dimension") for item in items]
    by_dimension = all(dimensions) and len(set(dimensions)) == len(dimensions)
    return [(item["dimension"] if by_dimension else item["label"], item["distribution"]) for item in items]


async def _unit_context(request: Request, unit_id: int, period: str | None) -> dict[str, Any]:
    unit = await units.find_visible_unit(_user(request), unit_id)
    period, periods, views = await scores.unit_scores(unit_id, period)
    grades = await _grades(period)
    lines = appraisal_publication.result_lines(grades[unit_id]) if unit_id in grades else []
    components = [
        (str(name).removesuffix("（年度）"), value)
        for name, value in lines
        if str(name).endswith("（年度）") and isinstance(value, int | float)
    ]
    return {
        "unit": unit,
        "period": period,
        "periods": periods,
        "views": views,
        "charts": {v.audience: trend_svg(v.trend, f"{unit.name}{v.label}指数趋势") for v in views},
        "result": grades.get(unit_id),
        "result_lines": appraisal_publication.result_lines(grades[unit_id]) if unit_id in grades else [],
        "flag_labels": scores.flag_labels,
        "components": components,
        "components_chart": bars_svg(components, f"{unit.name}年度考核各指标得分"),
        "distribution_charts": {
            v.audience: distribution_svg(_distributions(v), f"{unit.name}{v.label}各题回答分布")
            for v in views
        },
        "override_history": await appraisal_overrides.history(unit_id)
        if _user(request).role in OFFICE_ROLES
        else [],
    }


@get("/scores/reports", opt=roles(*READERS))
async def all_reports(request: Request, period: FromQuery[str | None] = None) -> Template:
    """Every unit's report of the period, one after another with page breaks: one print job."""
    periods = await scores.period_choices()
    period = period if period in periods else await scores.default_period(periods)
    runs = await scores.period_scores(period) if period else []
    unit_ids = sorted({row.unit_id for r in runs for row in r.rows})
    reports = [await _unit_context(request, unit_id, period) for unit_id in unit_ids]
    return page(request, "scores/report_all.html", printing=True, reports=reports, period=period)


@get("/scores/units/{unit_id:int}", opt=roles(*VIEWERS))
async def unit_card(request: Request, unit_id: RecordId, period: FromQuery[str | None] = None) -> Template:
    return page(request, "scores/unit.html", **await _unit_context(request, unit_id, period))


@get("/scores/units/{unit_id:int}/report", opt=roles(*VIEWERS))
async def unit_report(request: Request, unit_id: RecordId, period: FromQuery[str | None] = None) -> Template:
    context = await _unit_context(request, unit_id, period)
    return page(request, "scores/report.html", printing=True, **context)


# --- response quality -----------------------------------------------------------------------


async def _quality_page(
    request: Request,
    campaign_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    receipt: str = "",
    typed: dict[str, Any] | None = None,
) -> Template:
    campaign = await scores_quality.campaign_to_review(campaign_id)
    [summary] = await scores_quality.quality_summaries([campaign])
    found, lookup_error = None, None
    if receipt:
        try:
            found = await scores_quality.find_by_receipt(receipt)
        except scores.ScoresError as problem:
            lookup_error = str(problem)
    return page(
        request,
        "scores/quality.html",
        status_code=status_code,
        campaign=campaign,
        summary=summary,
        responses=await scores_quality.flagged_responses(campaign_id),
        quality_labels=scores_quality.quality_labels,
        channel_labels=CHANNEL_LABELS,
        reviewed=scores_quality.REVIEWED,
        error=error,
        receipt=receipt,
        found=found,
        lookup_error=lookup_error,
        typed=typed or {},
    )


@get("/scores/quality/{campaign_id:int}", opt=roles(*OFFICE_ROLES))
async def quality_list(
    request: Request, campaign_id: RecordId, receipt: FromQuery[str | None] = None
) -> Template:
    return await _quality_page(request, campaign_id, receipt=(receipt or "").strip()[:40])


@post("/scores/quality/responses/{response_id:int}", opt=roles(*OFFICE_ROLES))
async def quality_review(request: Request, response_id: RecordId) -> Response | Template:
    form = await request.form()
    decision, reason = str(form.get("decision", "")), str(form.get("reason", ""))
    receipt = str(form.get("receipt", "")).strip()[:40]
    try:
        reviewed = await scores_quality.review_response(
            response_id, decision, reason, receipt=receipt, **_actor(request)
        )
    except scores.ScoresError as problem:
        campaign_id = await scores_quality.campaign_of_response(response_id)
        typed = {"response": response_id, "decision": decision, "reason": reason}
        return await _quality_page(
            request, campaign_id, error=str(problem), status_code=400, receipt=receipt, typed=typed
        )
    query = {"receipt": scores_quality.normalise_receipt(receipt)} if receipt else None
    return Redirect(path=f"/scores/quality/{reviewed.campaign_id}", query_params=query)


# --- appraisal schemes (results, 计算 and 发布 are in pages/appraisal.py) ------------------


async def _schemes_page(
    request: Request,
    text: str,
    *,
    selected: appraisal.SchemeRecord | None = None,
    error: str | None = None,
    notice: str | None = None,
    warning: str | None = None,
    note: str = "",
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "scores/schemes.html",
        status_code=status_code,
        text=text,
        note=note,
        warning=warning,
        selected=selected,
        rules=appraisal.describe_scheme(selected) if selected else "",
        versions=await appraisal.scheme_versions(),
        error=error,
        notice=notice,
    )


@get("/appraisal/schemes", opt=roles(*OFFICE_ROLES))
async def scheme_editor(request: Request, version: FromQuery[int | None] = None) -> Template:
    selected = await appraisal.find_scheme(version) if version else None
    if selected is None:
        existing = await appraisal.scheme_versions()
        selected = existing[0] if existing else None
    notice = "已保存为新版本" if version and selected else None
    text = selected.yaml_text if selected else appraisal.example_yaml()
    return await _schemes_page(request, text, selected=selected, notice=notice)


@post("/appraisal/schemes", opt=roles(*OFFICE_ROLES))
async def scheme_save(request: Request) -> Response | Template:
    form = await request.form()
    text = str(form.get("definition", ""))
    note = str(form.get("note", ""))
    try:
        scheme_id, _ = await appraisal.save_scheme(text, note, **_actor(request))
    except appraisal.SchemeUnchanged as same:
        return await _schemes_page(request, text, warning=str(same), note=note)
    except appraisal.AppraisalFailed as problem:
        return await _schemes_page(request, text, error=str(problem), note=note, status_code=400)
    return Redirect(path=f"/appraisal/schemes?{urlencode({'version': scheme_id})}")


ROUTES = [
    score_list,
    score_compute,
    score_export,
    unit_card,
    unit_report,
    all_reports,
    quality_list,
    quality_review,
    scheme_editor,
    scheme_save,
]
