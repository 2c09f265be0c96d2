"""Account management for administrators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Request, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Response, Template

from survey_app.roles import ADMIN, ROLE_LABELS
from survey_app.services import accounts, auth, mfa, units
from survey_app.services import audit_log as audit_log_service
from survey_app.web.guards import current_user, roles
from survey_app.web.notices import notice_query, notice_text
from survey_app.web.params import RecordId
from survey_app.web.rendering import client_ip, page


async def _users_page(request: Request, error: str | None = None, status: int = 200,
                      notice: str | None = None, values: dict[str, str] | None = None,
                      temporary: tuple[str, str] | None = None) -> Template:
    return page(
        request, "admin/users.html", status_code=status, users=await accounts.list_users(),
        units=await units.list_units(), role_labels=ROLE_LABELS, error=error, notice=notice,
        mfa_roles=request.app.state.settings.mfa_roles, values=values or {},
        temporary=temporary, now=dt.datetime.now(dt.UTC),
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Account changes are sensitive: the page with the forms needs a recent confirmation, so a
# filled form is never lost to the redirect; the POSTs check it again.
ACCOUNTS = roles(ADMIN, step_up=True, step_up_back="/admin/users")


@get("/admin/users", opt=ACCOUNTS)
async def user_list(request: Request, notice: FromQuery[str] = "") -> Template:
    return await _users_page(request, notice=notice_text(notice) or None)


@post("/admin/users", opt=ACCOUNTS)
async def user_create(request: Request) -> Response:
    actor = current_user(request)
    form = await request.form()
    # Everything typed comes back after an error, except the password (never echoed).
    values = {key: str(form.get(key, ""))[:64]
              for key in ("username", "display_name", "role", "unit_code")}
    try:
        await auth.create_account(
            values["username"], str(form.get("password", "")), values["role"],
            display_name=values["display_name"], unit_code=values["unit_code"] or None,
            actor=actor, ip=client_ip(request),
        )
    except auth.AccountError as problem:
        return await _users_page(  # type: ignore[return-value]
            request, f"账号未创建：{problem}。其余内容已保留，请重新输入初始密码。", 400,
            values=values,
        )
    return Redirect(path="/admin/users", query_params=notice_query("account_created"))


@post("/admin/users/{user_id:int}/role", opt=ACCOUNTS)
async def user_change_role(request: Request, user_id: RecordId) -> Response:
    actor = current_user(request)
    assert actor is not None
    form = await request.form()
    try:
        changed = await auth.change_role(
            user_id, str(form.get("role", "")), str(form.get("unit_code", "")) or None,
            actor=actor, ip=client_ip(request),
        )
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)  # type: ignore[return-value]
    return Redirect(path="/admin/users",
                    query_params=notice_query("role_saved" if changed else "role_unchanged"))


@post("/admin/users/{user_id:int}/unlock", opt=ACCOUNTS)
async def user_unlock(request: Request, user_id: RecordId) -> Response:
    actor = current_user(request)
    assert actor is not None
    try:
        await accounts.unlock(user_id, actor=actor, ip=client_ip(request))
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)  # type: ignore[return-value]
    return Redirect(path="/admin/users", query_params=notice_query("account_unlocked"))


@post("/admin/users/{user_id:int}/password-reset", opt=ACCOUNTS)
async def user_reset_password(request: Request, user_id: RecordId) -> Template:
    actor = current_user(request)
    assert actor is not None
    try:
        username, temporary = await accounts.reset_password(user_id, actor=actor,
                                                            ip=client_ip(request))
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)
    # Shown once, on this page only: never put into a redirect URL or a log.
    return await _users_page(request, temporary=(username, temporary))


@post("/admin/users/{user_id:int}/active", opt=ACCOUNTS)
async def user_set_active(request: Request, user_id: RecordId) -> Response:
    actor = current_user(request)
    assert actor is not None
    active = str((await request.form()).get("active", "")) == "1"
    try:
        await accounts.set_active(user_id, active, actor=actor, ip=client_ip(request))
    except auth.AccountError as problem:
        return await _users_page(request, str(problem), 400)  # type: ignore[return-value]
    return Redirect(path="/admin/users",
                    query_params=notice_query("account_enabled" if active else "account_disabled"))


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


AuditPageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)]


def _audit_query(date_from: str, date_to: str, actor: str, type: str, action: str,
                 target: str) -> audit_log_service.AuditQuery:
    return audit_log_service.AuditQuery(
        date_from=date_from[:10], date_to=date_to[:10], actor=actor[:64], type=type[:32],
        action=action[:64], target=target[:128])


@get("/admin/audit", opt=roles(ADMIN))
async def audit_log(
    request: Request, date_from: FromQuery[str] = "", date_to: FromQuery[str] = "",
    actor: FromQuery[str] = "", type: FromQuery[str] = "", action: FromQuery[str] = "",
    target: FromQuery[str] = "", page_no: AuditPageNumber = 1,
) -> Template:
    query = _audit_query(date_from, date_to, actor, type, action, target)
    error = None
    try:
        listing = await audit_log_service.audit_page(query, page_no)
    except audit_log_service.AuditQueryError as problem:
        error = str(problem)
        listing = await audit_log_service.audit_page(audit_log_service.AuditQuery(), 1)
    return page(request, "admin/audit.html", status_code=400 if error else 200, listing=listing,
                query=query, error=error, **await audit_log_service.filter_choices())


@get("/admin/audit/export.xlsx", opt=roles(ADMIN))
async def audit_export(
    request: Request, date_from: FromQuery[str] = "", date_to: FromQuery[str] = "",
    actor: FromQuery[str] = "", type: FromQuery[str] = "", action: FromQuery[str] = "",
    target: FromQuery[str] = "",
) -> Response:
    user = current_user(request)
    assert user is not None
    query = _audit_query(date_from, date_to, actor, type, action, target)
    try:
        content = await audit_log_service.export_xlsx(query, user, client_ip(request))
    except audit_log_service.AuditQueryError as problem:
        return page(request, "admin/audit.html", status_code=400,  # type: ignore[return-value]
                    listing=await audit_log_service.audit_page(audit_log_service.AuditQuery(), 1),
                    query=query, error=str(problem), **await audit_log_service.filter_choices())
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="audit-log.xlsx"'})


ROUTES = [user_list, user_create, user_change_role, user_unlock, user_reset_password,
          user_set_active, user_reset_mfa, audit_log, audit_export]
