"""Helpers shared by the sampling pages (roster, campaigns, distribution, paper entry)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.params import QueryParameter

from survey_app.services import campaigns
from survey_app.services.auth import CurrentUser
from survey_app.services.roster import Actor
from survey_app.web.guards import current_user
from survey_app.web.rendering import client_ip

# `?page=2`: the handler argument cannot be called `page` (that is the rendering function).
PageNumber = Annotated[int, QueryParameter(name="page")]


def form_lists(form: Any) -> dict[str, list[str]]:
    """Every field of a submitted form with all its values (checkbox groups repeat a name)."""
    return {key: [str(v) for v in form.getall(key)] for key in form}


def int_values(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def user_of(request: Request) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the guard has let only signed-in users through
    return user


def actor_of(request: Request) -> Actor:
    return Actor.of(user_of(request), client_ip(request))


async def campaign_or_404(campaign_id: int) -> campaigns.CampaignRecord:
    try:
        return await campaigns.require_campaign(campaign_id)
    except campaigns.CampaignError:
        raise NotFoundException("调查批次不存在") from None


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
