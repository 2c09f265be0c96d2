"""/account/confirm: confirm the password (or a code) before a sensitive action, then go back."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ALL_ROLES
from survey_app.services import mfa, reauth
from survey_app.services.auth import SESSION_COOKIE
from survey_app.web.auth_throttle import TOO_MANY, allow_attempt
from survey_app.web.guards import current_user, roles
from survey_app.web.rendering import client_ip, page, safe_next

STAFF = roles(*ALL_ROLES)


def _form(request: Request, next_path: str, error: str | None = None,
          status_code: int = 200) -> Template:
    return page(request, "auth/confirm.html", status_code=status_code, next=next_path,
                error=error, minutes=request.app.state.settings.step_up_minutes)


@get("/account/confirm", opt=STAFF)
async def confirm_form(request: Request, next: FromQuery[str] = "/") -> Template:
    return _form(request, safe_next(next))


@post("/account/confirm", opt=STAFF)
async def confirm_submit(request: Request) -> Response:
    user = current_user(request)
    assert user is not None
    form = await request.form()
    target = safe_next(str(form.get("next", "/")))
    if not await allow_attempt(request, user.username):
        return _form(request, target, TOO_MANY, 429)
    try:
        await reauth.confirm_identity(user, str(form.get("credential", ""))[:256],
                                      request.app.state.settings, client_ip(request))
    except mfa.AccountLocked as problem:
        response = page(request, "auth/login.html", status_code=400, next=target,
                        error=str(problem), username=user.username, user=None)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    except mfa.MfaError as problem:
        return _form(request, target, str(problem), 400)
    return Redirect(path=target, status_code=303)


ROUTES = [confirm_form, confirm_submit]
