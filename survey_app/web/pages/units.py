"""Appraised units: the list (staff) and each unit's page (a unit viewer: only its own)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN, ALL_ROLES, ANALYST, OFFICE, UNIT_VIEWER
from survey_app.services import units
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import page


@get("/units", opt=roles(*ALL_ROLES))
async def unit_list(request: Request) -> Template | Redirect:
    user = current_user(request)
    assert user is not None
    if user.role == UNIT_VIEWER:
        return Redirect(path=f"/units/{user.unit_id}")
    return page(request, "admin/units.html", units=await units.list_units())


@get("/units/{unit_id:int}", opt=roles(ADMIN, ANALYST, OFFICE, UNIT_VIEWER))
async def unit_detail(request: Request, unit_id: RecordId) -> Template:
    user = current_user(request)
    assert user is not None
    return page(request, "admin/unit.html", unit=await units.find_visible_unit(user, unit_id))


ROUTES = [unit_list, unit_detail]
