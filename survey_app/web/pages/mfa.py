"""Two-step verification pages: enrolment and management (/account/mfa), the login's second
step (/account/mfa/verify) and recovery codes. The rules live in services/mfa.py."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from survey_app.roles import ALL_ROLES
from survey_app.services import mfa
from survey_app.services.auth import SESSION_COOKIE, CurrentUser
from survey_app.web.auth_throttle import TOO_MANY, allow_attempt
from survey_app.web.guards import current_user, require_step_up, roles
from survey_app.web.rendering import client_ip, page, safe_next, with_session_cookie

ENROL = roles(*ALL_ROLES, mfa_step="enrol", allow_pending_password=True)
VERIFY = roles(*ALL_ROLES, mfa_step="verify", allow_pending_password=True)
MANAGE = roles(*ALL_ROLES, step_up=True, step_up_back="/account/mfa")


def _user(request: Request) -> CurrentUser:
    user = current_user(request)
    assert user is not None  # the guard admits signed-in users only
    return user


def _no_store(response: Template) -> Template:
    response.headers["Cache-Control"] = "no-store"  # secrets and codes are shown once
    return response


async def _mfa_page(request: Request, next_path: str, *, error: str | None = None,
                    notice: str | None = None, status_code: int = 200) -> Template:
    user = _user(request)
    state = await mfa.status(user.id)
    enrolment = None
    # Outside the login's second step, setting up a factor is an account change: it needs a
    # recent confirmation like the other management actions (the login itself counts).
    may_enrol = user.mfa_pending or user.step_up_ok
    if may_enrol and (not state.enrolled or state.sealed_pending):
        enrolment = await mfa.pending_enrolment(user, request.app.state.settings)
    return _no_store(page(
        request, "auth/mfa.html", status_code=status_code, state=state, enrolment=enrolment,
        qr=Markup(enrolment.qr_svg) if enrolment else None,  # noqa: S704 (segno, our own URI)
        next=next_path, error=error, notice=notice, may_enrol=may_enrol,
    ))


@get("/account/mfa", opt=ENROL)
async def mfa_home(
    request: Request, next: FromQuery[str] = "/", recovery_left: FromQuery[int | None] = None
) -> Template:
    notice = None
    if recovery_left is not None:
        notice = (f"您刚用一个恢复码登录，还剩 {max(0, min(recovery_left, 99))} 个未用。"
                  "如果手机丢失，请在下方“更换验证器”，并重新生成恢复码。")
    return await _mfa_page(request, safe_next(next), notice=notice)


@post("/account/mfa/enrol", opt=ENROL)
async def mfa_enrol(request: Request) -> Template:
    if not _user(request).mfa_pending:
        require_step_up(request, "/account/mfa")
    form = await request.form()
    target = safe_next(str(form.get("next", "/")))
    settings = request.app.state.settings
    try:
        codes, token = await mfa.confirm_enrolment(
            _user(request), str(form.get("code", "")), settings, client_ip(request)
        )
    except mfa.MfaError as problem:
        return await _mfa_page(request, target, error=str(problem), status_code=400)
    response = _no_store(page(request, "auth/mfa_codes.html", codes=codes, next=target,
                              enrolled=True))
    return with_session_cookie(response, token, settings)


@get("/account/mfa/verify", opt=VERIFY)
async def mfa_verify_form(request: Request, next: FromQuery[str] = "/") -> Response:
    if not _user(request).mfa_pending:
        return Redirect(path=safe_next(next), status_code=303)
    return page(request, "auth/mfa_verify.html", next=safe_next(next), error=None)


@post("/account/mfa/verify", opt=VERIFY)
async def mfa_verify(request: Request) -> Response:
    form = await request.form()
    target = safe_next(str(form.get("next", "/")))
    settings = request.app.state.settings
    user = _user(request)
    if not user.mfa_pending:
        return Redirect(path=target, status_code=303)
    if not await allow_attempt(request, user.username):
        return page(request, "auth/mfa_verify.html", status_code=429, next=target, error=TOO_MANY)
    try:
        verified = await mfa.verify_second_factor(
            user, str(form.get("code", "")), settings, client_ip(request)
        )
    except mfa.AccountLocked as problem:
        locked = page(request, "auth/login.html", status_code=400, next=target,
                      error=str(problem), username=user.username, user=None)
        locked.delete_cookie(SESSION_COOKIE, path="/")
        return locked
    except mfa.MfaError as problem:
        return page(request, "auth/mfa_verify.html", status_code=400, next=target,
                    error=str(problem))
    if user.must_change_password:
        target = "/account/password"
    if verified.method == "recovery":
        target = f"/account/mfa?recovery_left={verified.codes_left}"
    response = Redirect(path=target, status_code=303)
    return with_session_cookie(response, verified.session_token, settings)


@post("/account/mfa/recovery-codes", opt=MANAGE)
async def mfa_recovery_codes(request: Request) -> Response:
    try:
        codes = await mfa.regenerate_recovery_codes(
            _user(request), request.app.state.settings, client_ip(request)
        )
    except mfa.MfaError as problem:
        return await _mfa_page(request, "/", error=str(problem), status_code=400)
    return _no_store(page(request, "auth/mfa_codes.html", codes=codes, next="/account/mfa",
                          enrolled=False))


@post("/account/mfa/renew", opt=MANAGE)
async def mfa_renew(request: Request) -> Response:
    try:
        await mfa.start_renewal(_user(request), request.app.state.settings, client_ip(request))
    except mfa.MfaError as problem:
        return await _mfa_page(request, "/", error=str(problem), status_code=400)
    return Redirect(path="/account/mfa", status_code=303)


@post("/account/mfa/disable", opt=MANAGE)
async def mfa_disable(request: Request) -> Response:
    try:
        await mfa.disable(_user(request), client_ip(request))
    except mfa.MfaError as problem:
        return await _mfa_page(request, "/", error=str(problem), status_code=400)
    return Redirect(path="/account/mfa", status_code=303)


ROUTES = [mfa_home, mfa_enrol, mfa_verify_form, mfa_verify, mfa_recovery_codes, mfa_renew,
          mfa_disable]
