"""Campaign pages: list and create, the sampling plan with its allocation preview and draw,
opening and closing, replacements, the monitor and the sampling report.

Administrators act; the performance office (office) may look.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from questionnaires.roster import FRAME_FIELDS, RosterKind
from survey_app.roles import ADMIN, OFFICE
from survey_app.services import (
    campaign_draws,
    campaign_monitoring,
    campaign_plans,
    campaigns,
    distribution,
    lifecycle,
)
from survey_app.services.roster import ROSTER_KINDS
from survey_app.services.submissions import CHANNELS
from survey_app.web.guards import roles
from survey_app.web.notices import notice_query, notice_text
from survey_app.web.pages.sampling_common import (
    PageNumber,
    actor_of,
    campaign_or_404,
    form_lists,
    int_values,
    user_of,
)
from survey_app.web.params import RecordId
from survey_app.web.rendering import page

_LABELS: dict[str, Any] = {
    "statuses": campaigns.CAMPAIGN_STATUS_LABELS,
    "audiences": ROSTER_KINDS,
    "allocation_labels": campaign_plans.ALLOCATION_LABELS,
    "reasons": campaigns.REPLACEMENT_REASONS,
    "field_label": campaign_plans.field_label,
}


async def _list_page(
    request: Request, error: str | None = None, values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    versions = await campaigns.published_versions()
    return page(
        request, "admin/campaigns.html", status_code=status_code,
        campaigns=await campaigns.list_campaigns(), versions=versions, error=error,
        values=values or campaigns.new_campaign_defaults(versions), **_LABELS,
    )


@get("/campaigns", opt=roles(ADMIN, OFFICE))
async def campaign_list(request: Request) -> Template:
    return await _list_page(request)


@post("/campaigns", opt=roles(ADMIN))
async def campaign_create(request: Request) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, ""))[:200] for k in
              ("code", "name", "version_id", "audience", "period", "opens_on", "closes_on")}
    try:
        campaign_id = await campaigns.create_campaign(
            code=values["code"], name=values["name"],
            version_id=int(values["version_id"]) if values["version_id"].isdigit() else None,
            audience=values["audience"], period=values["period"], opens_on=values["opens_on"],
            closes_on=values["closes_on"], actor=actor_of(request),
        )
    except campaigns.CampaignError as problem:
        return await _list_page(request, str(problem), values, 400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign_id}")


async def _detail_page(
    request: Request, campaign: campaigns.CampaignRecord, *,
    plan: campaign_plans.PlanRequest | TypedPlan | None = None,
    preview: campaign_draws.DrawPreview | None = None,
    error: str | None = None, notice: str = "", status_code: int = 200,
) -> Template:
    recorded = campaign_draws.recorded_plan(campaign)
    kind = RosterKind(campaign.audience)
    return page(
        request, "admin/campaign.html", status_code=status_code, campaign=campaign,
        plan=plan or recorded or campaign_plans.PlanRequest.default(campaign.audience),
        recorded=recorded, allocations=campaign_draws.recorded_allocations(campaign),
        preview=preview, error=error, notice=notice[:200],
        frame_fields=[(name, campaign_plans.field_label(name)) for name in FRAME_FIELDS[kind]],
        choices=await campaign_plans.plan_choices(campaign.audience) if not campaign.drawn else {},
        can_act=user_of(request).role == ADMIN,
        job_threshold=campaign_draws.DRAW_INLINE_MAX_FRAME, **_LABELS,
    )


@get("/campaigns/{campaign_id:int}", opt=roles(ADMIN, OFFICE))
async def campaign_detail(
    request: Request, campaign_id: RecordId, notice: FromQuery[str] = "", a: FromQuery[str] = "0",
    b: FromQuery[str] = "0",
) -> Template:
    return await _detail_page(request, await campaign_or_404(campaign_id),
                              notice=notice_text(notice, a, b))


@dataclass(frozen=True)
class TypedPlan:
    """The plan form exactly as typed, to show again when it could not be parsed."""

    strata_keys: tuple[str, ...]
    size_mode: str
    rate_percent: str
    total_n: str
    allocation: str
    min_per_stratum: str
    exclude_recent: str
    seed: str
    population_filter: dict[str, tuple[str, ...]]
    stddev_text: str

    @classmethod
    def of(cls, form: dict[str, list[str]], kind: str) -> TypedPlan:
        def one(name: str) -> str:
            return (form.get(name) or [""])[0][:2000]

        fields = FRAME_FIELDS[RosterKind(kind)]
        return cls(
            strata_keys=tuple(form.get("strata") or ()), size_mode=one("size_mode") or "rate",
            rate_percent=one("rate_percent"), total_n=one("total_n"),
            allocation=one("allocation"), min_per_stratum=one("min_per_stratum"),
            exclude_recent=one("exclude_recent"), seed=one("seed"),
            population_filter={name: tuple(form.get(f"filter_{name}") or ()) for name in fields},
            stddev_text=one("stddevs"),
        )


@post("/campaigns/{campaign_id:int}/plan", opt=roles(ADMIN))
async def campaign_plan(request: Request, campaign_id: RecordId) -> Response:
    """The plan form: "preview" shows the allocation table and its fingerprint; "draw" (from the
    preview) draws exactly the previewed plan, checked against that fingerprint."""
    campaign = await campaign_or_404(campaign_id)
    form = form_lists(await request.form())
    plan: campaign_plans.PlanRequest | TypedPlan = TypedPlan.of(form, campaign.audience)
    try:
        plan = campaign_plans.parse_plan_form(form, campaign.audience)
        preview = await campaign_draws.preview_draw(campaign, plan)
        if (form.get("action") or [""])[0] != "draw":
            return await _detail_page(request, campaign, plan=plan, preview=preview)  # type: ignore[return-value]
        fingerprint = (form.get("fingerprint") or [""])[0].strip()
        if not fingerprint:
            raise campaigns.CampaignError("请先预览分配，核对分配表和方案指纹后再确认抽样")
        if await campaign_draws.draw_needs_job(campaign):
            if fingerprint != preview.fingerprint:
                raise campaigns.CampaignError(
                    f"抽样方案或样本框与预览时不一致（预览指纹 {fingerprint}，现在 "
                    f"{preview.fingerprint}），未抽样。请重新预览分配，核对后再确认抽样。")
            job_id = await campaign_draws.submit_draw(campaign, plan, actor_of(request), fingerprint)
            return Redirect(path=f"/jobs/{job_id}")
        outcome = await campaign_draws.draw_campaign_sample(campaign.id, plan, actor_of(request),
                                                       fingerprint=fingerprint)
    except campaigns.CampaignError as problem:
        return await _detail_page(  # type: ignore[return-value]
            request, campaign, plan=plan, error=str(problem), status_code=400
        )
    return Redirect(path=f"/campaigns/{campaign.id}",
                    query_params=notice_query("sampled", outcome.frame_size, outcome.sample_size))


@post("/campaigns/{campaign_id:int}/open", opt=roles(ADMIN))
async def campaign_open(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    try:
        await campaigns.open_campaign(campaign.id, actor_of(request))
    except campaigns.CampaignError as problem:
        return await _detail_page(request, campaign, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}", query_params=notice_query("opened"))


async def _monitor_page(
    request: Request, campaign: campaigns.CampaignRecord, page_no: int, *,
    error: str | None = None, notice: str = "", status_code: int = 200, filter_key: str = "all",
) -> Template:
    waiting = await lifecycle.follow_up_page(campaign.id, filter_key, page_no)
    return page(
        request, "admin/campaign_monitor.html", status_code=status_code, campaign=campaign,
        monitor=await campaign_monitoring.monitor(campaign), waiting=waiting,
        started_ids=await lifecycle.started_ids(campaign.id), filters=lifecycle.FILTERS,
        can_act=user_of(request).role == ADMIN, error=error, notice=notice[:200],
        channels=CHANNELS, **_LABELS,
    )


@get("/campaigns/{campaign_id:int}/monitor", opt=roles(ADMIN, OFFICE))
async def campaign_monitor(
    request: Request, campaign_id: RecordId, page_no: PageNumber = 1,
    notice: FromQuery[str] = "", a: FromQuery[str] = "0", b: FromQuery[str] = "0",
    filter: FromQuery[str] = "all",
) -> Template:
    return await _monitor_page(request, await campaign_or_404(campaign_id), page_no,
                               notice=notice_text(notice, a, b), filter_key=filter[:32])


@post("/campaigns/{campaign_id:int}/reminders", opt=roles(ADMIN))
async def campaign_reminders(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    form = form_lists(await request.form())
    try:
        count = await distribution.record_reminders(
            campaign.id, int_values(form.get("ids", [])), actor_of(request)
        )
    except campaigns.CampaignError as problem:
        return await _monitor_page(request, campaign, 1, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}/monitor",
                    query_params=notice_query("reminded", count))


@post("/campaigns/{campaign_id:int}/invitations/{invitation_id:int}/replace", opt=roles(ADMIN))
async def invitation_replace(
    request: Request, campaign_id: RecordId, invitation_id: RecordId
) -> Response:
    """Replaces at once, unless the respondent has started or been reminded: then a page shows
    what will happen (the draft, the reminders, the link going dead) and asks to confirm."""
    campaign = await campaign_or_404(campaign_id)
    form = await request.form()
    try:
        replacement = await campaign_draws.replace_invitation(
            campaign.id, invitation_id, str(form.get("reason", "")), actor_of(request),
            confirmed=str(form.get("confirm", ""))[:64],
        )
    except campaign_draws.ReplacementNeedsConfirmation as asked:
        return page(  # type: ignore[return-value]
            request, "admin/campaign_replace_confirm.html", status_code=409 if asked.changed else 200,
            campaign=campaign, preview=asked.preview,
            error=str(asked) if asked.changed else None, **_LABELS,
        )
    except campaigns.CampaignError as problem:
        return await _monitor_page(request, campaign, 1, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}/monitor",
                    query_params=notice_query("replaced", invitation_id, replacement.id))


@get("/campaigns/{campaign_id:int}/report", opt=roles(ADMIN, OFFICE))
async def campaign_report(request: Request, campaign_id: RecordId) -> Template:
    campaign = await campaign_or_404(campaign_id)
    rows, monitor = await campaign_monitoring.sampling_report(campaign)
    return page(request, "admin/campaign_report.html", campaign=campaign, rows=rows,
                monitor=monitor, plan=campaign_draws.recorded_plan(campaign), **_LABELS)


ROUTES = [campaign_list, campaign_create, campaign_detail, campaign_plan, campaign_open,
          campaign_monitor, campaign_reminders, invitation_replace,
          campaign_report]
