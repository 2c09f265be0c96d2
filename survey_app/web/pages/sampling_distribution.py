"""Distribution pages (administrators): the contact list with links (XLSX/CSV), the message
template for SMS/WeChat, and the printable QR sheet."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Template
from markupsafe import Markup

from survey_app.roles import ADMIN
from survey_app.services import distribution
from survey_app.services.campaigns import CampaignError, CampaignRecord
from survey_app.web.guards import require_step_up, roles
from survey_app.web.pages.sampling_common import PageNumber, actor_of, attachment, campaign_or_404
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


def _base_url(request: Request) -> str:
    return str(request.app.state.settings.base_url)


def _distribution_page(
    request: Request, campaign: CampaignRecord, *, template: str = distribution.DEFAULT_MESSAGE,
    error: str | None = None, status_code: int = 200,
) -> Template:
    example_link = distribution.invitation_url(_base_url(request), "（每个对象各自的链接）")
    return page(
        request, "admin/campaign_distribution.html", status_code=status_code, campaign=campaign,
        message_template=template, placeholders=distribution.PLACEHOLDERS, error=error,
        example=distribution.render_message(template, name="江城精密机械有限公司",
                                            campaign=campaign, link=example_link)
        if distribution.LINK_PLACEHOLDER in template else "",
    )


@get("/campaigns/{campaign_id:int}/distribution", opt=roles(ADMIN))
async def campaign_distribution(request: Request, campaign_id: RecordId) -> Template:
    return _distribution_page(request, await campaign_or_404(campaign_id))


@post("/campaigns/{campaign_id:int}/links", opt=roles(ADMIN))
async def campaign_links_export(request: Request, campaign_id: RecordId) -> Response:
    campaign = await campaign_or_404(campaign_id)
    form = await request.form()
    template = str(form.get("template", ""))
    full_contacts = form.get("full_contacts") == "1"
    if full_contacts:  # unmasked names and phones: a recent confirmation is needed
        require_step_up(request, f"/campaigns/{campaign.id}/distribution")
    try:
        exported = await distribution.export_links(
            campaign, fmt=str(form.get("format", "xlsx")),
            full_contacts=full_contacts, template=template,
            base_url=_base_url(request), actor=actor_of(request),
        )
    except CampaignError as problem:
        return _distribution_page(  # type: ignore[return-value]
            request, campaign, template=template[:distribution.MAX_MESSAGE_CHARS * 2],
            error=str(problem), status_code=400,
        )
    return Response(exported.content, media_type=exported.media_type, status_code=200,
                    headers=attachment(exported.filename))


@get("/campaigns/{campaign_id:int}/qr", opt=roles(ADMIN))
async def campaign_qr_sheet(
    request: Request, campaign_id: RecordId, page_no: PageNumber = 1
) -> Template:
    campaign = await campaign_or_404(campaign_id)
    sheet = await distribution.qr_sheet(campaign, _base_url(request), page_no, actor_of(request))
    # The SVG is made by segno from our own URL (no user data in it), so it may be inlined.
    return page(request, "admin/campaign_qr.html", campaign=campaign, sheet=sheet,
                svgs={card.invitation_id: Markup(card.svg) for card in sheet.cards})  # noqa: S704


ROUTES = [campaign_distribution, campaign_links_export, campaign_qr_sheet]
