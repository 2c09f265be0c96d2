"""The red/yellow card register: the office sees and reviews all cards, a unit its own and
submits its rectification plans. Handlers only translate HTTP to services/appraisal_cards.py."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN, OFFICE, UNIT_VIEWER
from survey_app.services import appraisal_cards
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page


async def _cards_page(
    request: Request, year: int | None = None, *, error: str | None = None, status_code: int = 200
) -> Template:
    user = current_user(request)
    assert user is not None
    unit_id = user.unit_id if user.role == UNIT_VIEWER else None
    if user.role == UNIT_VIEWER and unit_id is None:
        raise NotFoundException("账号未关联单位")
    lines = await appraisal_cards.register(year, unit_id)
    return page(request, "appraisal/cards.html", status_code=status_code, lines=lines, year=year,
                is_unit=user.role == UNIT_VIEWER, error=error)  # fmt: skip


@get("/cards", opt=roles(ADMIN, OFFICE, UNIT_VIEWER))
async def card_register(request: Request, year: FromQuery[int | None] = None) -> Template:
    return await _cards_page(request, year)


@post("/cards/{card_id:int}/plan", opt=roles(UNIT_VIEWER))
async def card_plan(request: Request, card_id: RecordId) -> Response | Template:
    user = current_user(request)
    assert user is not None
    form = await request.form()
    try:
        await appraisal_cards.submit_plan(card_id, str(form.get("plan", "")), user, client_ip(request))
    except appraisal_cards.CardNotFound:
        raise NotFoundException("预警记录不存在或无权查看") from None
    except appraisal_cards.AppraisalFailed as problem:
        return await _cards_page(request, error=str(problem), status_code=400)
    return Redirect(path="/cards")


@post("/cards/{card_id:int}/review", opt=roles(ADMIN, OFFICE))
async def card_review(request: Request, card_id: RecordId) -> Response | Template:
    user = current_user(request)
    assert user is not None
    form = await request.form()
    try:
        await appraisal_cards.review(
            card_id, str(form.get("decision", "")), str(form.get("note", "")), user, client_ip(request)
        )
    except appraisal_cards.CardNotFound:
        raise NotFoundException("预警记录不存在") from None
    except appraisal_cards.AppraisalFailed as problem:
        return await _cards_page(request, error=str(problem), status_code=400)
    return Redirect(path="/cards")


ROUTES = [card_register, card_plan, card_review]
