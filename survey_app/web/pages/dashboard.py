"""The landing page: what each role does next."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from survey_app.roles import ALL_ROLES
from survey_app.services import appraisal_cards, dashboard
from survey_app.web.guards import current_user, roles
from survey_app.web.rendering import page


@get("/", opt=roles(*ALL_ROLES))
async def home(request: Request) -> Template:
    user = current_user(request)
    assert user is not None
    return page(
        request,
        "dashboard/home.html",
        summary=await dashboard.summary_for(user),
        appraisal_panel=await appraisal_cards.panel_for(user),
    )


ROUTES = [home]
