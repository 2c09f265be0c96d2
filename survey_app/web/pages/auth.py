"""Login, logout and password change."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from survey_app.roles import ALL_ROLES
from survey_app.services import auth
from survey_app.web.auth_throttle import TOO_MANY, allow_attempt
from survey_app.web.guards import PUBLIC, current_user, roles
from survey_app.web.rendering import client_ip, page, safe_next, with_session_cookie


@get("/login", opt=PUBLIC)
async def login_form(request: Request, next: FromQuery[str] = "/") -> Template:
    return page(request, "auth/login.html", next=safe_next(next), error=None, username="")


@post("/login", opt=PUBLIC)
async def login_submit(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username", ""))[:64]
    password = str(form.get("password", ""))[:256]
    target = safe_next(str(form.get("next", "/")))
    settings = request.app.state.settings
    if not username or not password:
        outcome = auth.LoginOutcome(None, "请输入用户名和密码")
    elif not username.isprintable() or not password.isprintable():
        outcome = auth.LoginOutcome(None, "用户名或密码中含有无效字符")
    elif not await allow_attempt(request, username):
        return page(  # type: ignore[return-value]
            request, "auth/login.html", status_code=429, next=target, error=TOO_MANY,
            username=username,
        )
    else:
        outcome = await auth.log_in(
            username, password, client_ip(request),
            max_failures=settings.login_max_failures, lockout_minutes=settings.lockout_minutes,
            mfa_roles=settings.mfa_roles,
        )
    if outcome.session_token is None:
        return page(  # type: ignore[return-value]
            request, "auth/login.html", status_code=400, next=target, error=outcome.error,
            username=username,
        )
    if outcome.second_factor:
        step_page = "/account/mfa/verify" if outcome.second_factor == "verify" else "/account/mfa"
        response = Redirect(path=step_page, query_params={"next": target}, status_code=303)
    else:
        response = Redirect(path="/account/password" if outcome.must_change_password else target)
    return with_session_cookie(response, outcome.session_token, settings)


@post("/logout", opt=roles(*ALL_ROLES, allow_pending_password=True, mfa_step="any"))
async def logout(request: Request) -> Response:
    user = current_user(request)
    assert user is not None
    await auth.log_out(user, client_ip(request))
    response = Redirect(path="/login")
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


@get("/account/password", opt=roles(*ALL_ROLES, allow_pending_password=True))
async def password_form(request: Request) -> Template:
    return page(request, "auth/password.html", error=None, done=False)


@post("/account/password", opt=roles(*ALL_ROLES, allow_pending_password=True))
async def password_submit(request: Request) -> Template:
    user = current_user(request)
    assert user is not None
    form = await request.form()
    new, repeat = str(form.get("new_password", "")), str(form.get("repeat_password", ""))
    try:
        if new != repeat:
            raise auth.AccountError("两次输入的新密码不一致")
        await auth.change_password(user, str(form.get("current_password", "")), new,
                                   client_ip(request))
    except auth.AccountError as problem:
        return page(request, "auth/password.html", status_code=400, error=str(problem),
                    done=False)
    return page(request, "auth/password.html", error=None, done=True)


ROUTES = [login_form, login_submit, logout, password_form, password_submit]
