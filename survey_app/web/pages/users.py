"""Account management for administrators."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Response, Template

from survey_app.db.queries import audit, units, users
from survey_app.roles import ADMIN, ROLE_LABELS
from survey_app.services import auth, mfa
from survey_app.web.guards import current_user, roles
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page


async def _users_page(request: Request, error: str | None = None, status: int = 200,
                      notice: str | None = None) -> Template:
    return page(
        request, "admin/users.html", status_code=status, users=await users.list_users(),
        units=await units.list_units(), role_labels=ROLE_LABELS, error=error, notice=notice,
        mfa_roles=request.app.state.settings.mfa_roles,
    )


# Account changes are sensitive: the page with the forms needs a recent confirmation, so a
# filled form is never lost to the redirect; the POSTs check it again.
ACCOUNTS = roles(ADMIN, step_up=True, step_up_back="/admin/users")


@get("/admin/users", opt=ACCOUNTS)
async def user_list(request: Request) -> Template:
    return await _users_page(request)


@post("/admin/users", opt=ACCOUNTS)
async def user_create(request: Request) -> Response:
    actor = current_user(request)
    form = await request.form()
    try:
        await auth.create_account(
            str(form.get("username", "")), str(form.get("password", "")),
            str(form.get("role", "")), display_name=str(form.get("display_name", ""))[:64],
            unit_code=str(form.get("unit_code", "")) or None, actor=actor, ip=client_ip(request),
        )
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)  # type: ignore[return-value]
    return Redirect(path="/admin/users")


@post("/admin/users/{user_id:int}/role", opt=ACCOUNTS)
async def user_change_role(request: Request, user_id: RecordId) -> Response:
    actor = current_user(request)
    assert actor is not None
    form = await request.form()
    try:
        await auth.change_role(
            user_id, str(form.get("role", "")), str(form.get("unit_code", "")) or None,
            actor=actor, ip=client_ip(request),
        )
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)  # type: ignore[return-value]
    return Redirect(path="/admin/users")


@post("/admin/users/{user_id:int}/mfa-reset", opt=ACCOUNTS)
async def user_reset_mfa(request: Request, user_id: RecordId) -> Response:
    actor = current_user(request)
    form = await request.form()
    try:
        username = await mfa.reset_for_user(
            user_id, str(form.get("reason", "")), actor=actor, ip=client_ip(request)
        )
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)  # type: ignore[return-value]
    return await _users_page(  # type: ignore[return-value]
        request, notice=f"已重置 {username} 的两步验证：其会话已结束，下次登录时需重新设置。"
    )


@get("/admin/audit", opt=roles(ADMIN))
async def audit_log(request: Request, action: FromQuery[str | None] = None) -> Template:
    return page(request, "admin/audit.html", entries=await audit.recent_events(300, action),
                action=action or "")


ROUTES = [user_list, user_create, user_change_role, user_reset_mfa, audit_log]
