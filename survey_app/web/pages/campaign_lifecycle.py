"""Closing (confirmed, with counts), reopening, publishing results, and the follow-up of
non-respondents (filters, select all, reminder batch XLSX) for a campaign."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN
from survey_app.services import campaigns, lifecycle
from survey_app.services.distribution import DEFAULT_MESSAGE, PLACEHOLDERS
from survey_app.web.guards import roles
from survey_app.web.notices import notice_query
from survey_app.web.pages.sampling_common import (
    actor_of,
    attachment,
    campaign_or_404,
    form_lists,
    int_values,
)
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


async def _close_page(request: Request, campaign: campaigns.CampaignRecord, *,
                      error: str | None = None, status_code: int = 200) -> Template:
    return page(request, "admin/campaign_close.html", status_code=status_code,
                campaign=campaign, summary=await lifecycle.close_summary(campaign), error=error,
                results_published=await lifecycle.results_published(campaign.id),
                statuses=campaigns.CAMPAIGN_STATUS_LABELS)


@get("/campaigns/{campaign_id:int}/close", opt=roles(ADMIN))
async def close_form(request: Request, campaign_id: RecordId) -> Template:
    return await _close_page(request, await campaign_or_404(campaign_id))


@post("/campaigns/{campaign_id:int}/close", opt=roles(ADMIN))
async def close(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    form = await request.form()
    if str(form.get("confirm", "")) != "1":
        return await _close_page(request, campaign, status_code=400,  # type: ignore[return-value]
                                 error="请勾选确认框后再结束调查")
    try:
        summary = await lifecycle.close(campaign.id, str(form.get("token", "")),
                                        actor_of(request))
    except campaigns.CampaignError as problem:
        return await _close_page(request, campaign, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}",
                    query_params=notice_query("campaign_closed", summary.awaiting))


@post("/campaigns/{campaign_id:int}/reopen", opt=roles(ADMIN))
async def reopen(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    try:
        await lifecycle.reopen(campaign.id, str((await request.form()).get("reason", "")),
                               actor_of(request))
    except campaigns.CampaignError as problem:
        return await _close_page(request, campaign, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}",
                    query_params=notice_query("campaign_reopened"))


@post("/campaigns/{campaign_id:int}/results-final", opt=roles(ADMIN))
async def results_final(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    if str((await request.form()).get("confirm", "")) != "1":
        return await _close_page(request, campaign, status_code=400,  # type: ignore[return-value]
                                 error="请勾选确认框后再标记结果已公布")
    try:
        await lifecycle.publish_results(campaign.id, actor_of(request))
    except campaigns.CampaignError as problem:
        return await _close_page(request, campaign, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}",
                    query_params=notice_query("results_final"))


async def _batch_page(request: Request, campaign: campaigns.CampaignRecord, *, filter_key: str,
                      ids: list[int], select_all: bool, template: str,
                      error: str | None = None, status_code: int = 200) -> Template:
    template = template or DEFAULT_MESSAGE
    sample = lifecycle.sample_message(campaign, template, request.app.state.settings.base_url)
    return page(request, "admin/campaign_reminders.html", status_code=status_code,
                campaign=campaign, filters=lifecycle.FILTERS, filter_key=filter_key, ids=ids,
                select_all=select_all, message_template=template, placeholders=PLACEHOLDERS,
                error=error, sample=sample)


@post("/campaigns/{campaign_id:int}/reminders/batch", opt=roles(ADMIN))
async def reminder_batch_form(request: Request, campaign_id: RecordId) -> Template:
    """From the monitor's selection: the message template and the export button."""
    campaign = await campaign_or_404(campaign_id)
    form = form_lists(await request.form())
    return await _batch_page(
        request, campaign, filter_key=(form.get("filter") or ["all"])[0],
        ids=int_values(form.get("ids", [])), select_all=(form.get("select_all") or [""])[0] == "1",
        template=(form.get("template") or [""])[0][:1000],
    )


@post("/campaigns/{campaign_id:int}/reminders/batch.xlsx",
      opt=roles(ADMIN, step_up=True, step_up_back="/campaigns/{campaign_id}/monitor"))
async def reminder_batch(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    form = form_lists(await request.form())
    filter_key = (form.get("filter") or ["all"])[0]
    ids = int_values(form.get("ids", []))
    select_all = (form.get("select_all") or [""])[0] == "1"
    template = (form.get("template") or [""])[0][:1000]
    try:
        content, _preview = await lifecycle.reminder_batch(
            campaign, ids=ids, select_all=select_all, filter_key=filter_key, template=template,
            base_url=request.app.state.settings.base_url,
            mark_reminded=(form.get("mark") or [""])[0] == "1", actor=actor_of(request),
        )
    except campaigns.CampaignError as problem:
        return await _batch_page(request, campaign, filter_key=filter_key, ids=ids,  # type: ignore[return-value]
                                 select_all=select_all, template=template, error=str(problem),
                                 status_code=400)
    return Response(content, media_type=lifecycle.XLSX, status_code=200,
                    headers=attachment(f"{campaign.code}-reminders.xlsx"))


ROUTES = [close_form, close, reopen, results_final, reminder_batch_form, reminder_batch]
