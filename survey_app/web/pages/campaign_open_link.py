"""A campaign's open link (公开链接) for posters: create, pause, resume, revoke, A4 poster."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN
from survey_app.services import campaigns, open_links
from survey_app.web.guards import roles
from survey_app.web.notices import notice_query, notice_text
from survey_app.web.pages.sampling_common import actor_of, campaign_or_404
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


async def _page(request: Request, campaign: campaigns.CampaignRecord, *, notice: str = "",
                error: str | None = None, status_code: int = 200) -> Template:
    link = await open_links.state(campaign.id)
    base_url = request.app.state.settings.base_url
    return page(request, "admin/campaign_open_link.html", status_code=status_code,
                campaign=campaign, link=link, error=error, notice=notice[:200],
                url=open_links.open_url(base_url, link.token) if link.token else "",
                statuses=campaigns.CAMPAIGN_STATUS_LABELS)


@get("/campaigns/{campaign_id:int}/open-link", opt=roles(ADMIN))
async def open_link_page(request: Request, campaign_id: RecordId,
                         notice: FromQuery[str] = "") -> Template:
    return await _page(request, await campaign_or_404(campaign_id), notice=notice_text(notice))


@post("/campaigns/{campaign_id:int}/open-link", opt=roles(ADMIN))
async def open_link_change(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    form = await request.form()
    op = str(form.get("op", ""))
    try:
        if op == "create":
            await open_links.create(campaign.id, actor_of(request))
        elif op in ("pause", "resume"):
            await open_links.set_paused(campaign.id, op == "pause", actor_of(request))
        elif op == "revoke":
            if str(form.get("confirm", "")) != "1":
                raise campaigns.CampaignError("作废后已印出的海报将无法使用：请勾选确认框后再作废")
            await open_links.revoke(campaign.id, actor_of(request))
        else:
            raise campaigns.CampaignError("未知的操作")
    except campaigns.CampaignError as problem:
        return await _page(request, campaign, error=str(problem), status_code=400)  # type: ignore[return-value]
    return Redirect(path=f"/campaigns/{campaign.id}/open-link",
                    query_params=notice_query(f"open_link_{op}"))


@get("/campaigns/{campaign_id:int}/open-link/poster", opt=roles(ADMIN))
async def open_link_poster(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    try:
        poster = await open_links.poster(campaign.id, request.app.state.settings.base_url,
                                         actor_of(request))
    except campaigns.CampaignError as problem:
        return await _page(request, campaign, error=str(problem), status_code=400)  # type: ignore[return-value]
    return page(request, "admin/campaign_poster.html", poster=poster)  # type: ignore[return-value]


ROUTES = [open_link_page, open_link_change, open_link_poster]
