"""The administrators' and the office's API tokens: list, create (shown once), revoke after a
confirmation that shows which token and what stops working. Handlers only translate HTTP to
services/api_tokens.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from survey_app.roles import ADMIN, OFFICE
from survey_app.services import api_tokens
from survey_app.services.auth import CurrentUser
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page

PAGE = "/admin/api-tokens"


@dataclass(frozen=True)
class TokenForm:
    """What was typed into the creation form, returned with an error exactly as typed."""

    name: str = ""
    days: str = ""
    scopes: tuple[str, ...] = field(default_factory=tuple)


def _actor(request: Request) -> dict[str, Any]:
    user: CurrentUser | None = current_user(request)
    assert user is not None  # the guard admits signed-in users only
    return {"actor_id": user.id, "actor_name": user.username, "ip": client_ip(request)}


async def _tokens_page(
    request: Request,
    *,
    form: TokenForm | None = None,
    issued: api_tokens.IssuedToken | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    response = page(
        request,
        "scores/api_tokens.html",
        status_code=status_code,
        tokens=await api_tokens.list_tokens(),
        scopes=api_tokens.SCOPES,
        form=form or TokenForm(),
        issued=issued,
        error=error,
    )
    response.headers["Cache-Control"] = "no-store"  # the page may show a token once
    return response


@get(PAGE, opt=roles(ADMIN, OFFICE, step_up=True))
async def token_list(request: Request) -> Template:
    return await _tokens_page(request)


@post(PAGE, opt=roles(ADMIN, OFFICE, step_up=True, step_up_back=PAGE))
async def token_create(request: Request) -> Template:
    data = await request.form()
    form = TokenForm(
        name=str(data.get("name", "")),
        days=str(data.get("days", "")),
        scopes=tuple(str(s) for s in data.getall("scopes", [])),
    )
    days = form.days.strip()
    try:
        if days and not days.isdigit():
            raise api_tokens.TokenError("有效期应填写天数（整数），留空表示不过期")
        issued = await api_tokens.create_token(
            form.name, list(form.scopes), int(days) if days else None, **_actor(request)
        )
    except api_tokens.TokenError as problem:
        return await _tokens_page(request, form=form, error=str(problem), status_code=400)
    return await _tokens_page(request, issued=issued)


async def _revoke_page(
    request: Request, token_id: int, *, error: str | None = None, status_code: int = 200
) -> Template:
    try:
        token = await api_tokens.find_token(token_id)
    except api_tokens.TokenNotFound as missing:
        return await _tokens_page(request, error=str(missing), status_code=404)
    return page(
        request,
        "scores/api_token_revoke.html",
        status_code=status_code,
        token=token,
        scopes=api_tokens.SCOPES,
        error=error,
    )


@get(f"{PAGE}/{{token_id:int}}/revoke", opt=roles(ADMIN, OFFICE))
async def token_revoke_confirm(request: Request, token_id: RecordId) -> Template:
    return await _revoke_page(request, token_id)


@post(f"{PAGE}/{{token_id:int}}/revoke", opt=roles(ADMIN, OFFICE))
async def token_revoke(request: Request, token_id: RecordId) -> Response | Template:
    data = await request.form()
    if data.get("confirm") != "1":
        # A bare post (an old page, a script) revokes nothing: show what would stop working.
        return await _revoke_page(
            request, token_id, error="请核对下面的令牌后点击「确认撤销」", status_code=400
        )
    try:
        await api_tokens.revoke_token(token_id, **_actor(request))
    except api_tokens.TokenNotFound as missing:
        return await _tokens_page(request, error=str(missing), status_code=404)
    except api_tokens.TokenError as problem:
        return await _revoke_page(request, token_id, error=str(problem), status_code=409)
    return Redirect(path=PAGE)


ROUTES = [token_list, token_create, token_revoke_confirm, token_revoke]
