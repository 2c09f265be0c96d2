"""Error pages in Chinese (HTML) or JSON (API), never a stack trace."""

from __future__ import annotations

import logging
import re

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from survey_app.errors import Conflict, Forbidden, NotFound, ServiceError
from survey_app.web.access_log import route_pattern
from survey_app.web.guards import PasswordChangeRequired, SecondFactorRequired, StepUpRequired
from survey_app.web.rendering import page

log = logging.getLogger(__name__)

_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    409: "操作与当前状态冲突",
    413: "上传内容过大",
    429: "操作过于频繁",
    500: "系统出错了",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


_SOURCES = {
    "query": "查询参数", "path": "路径参数", "body": "请求内容", "header": "请求头", "cookie": "Cookie",
}


_MISSING = re.compile(r"Missing required (\w+) parameter '([^']+)'")


def _named_parameters(exc: HTTPException) -> str:
    """"参数 period（查询参数）缺少或格式不正确" for a validation error naming its parameters."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    named = [
        f"{e['key']}（{_SOURCES.get(str(getattr(e.get('source'), 'value', e.get('source'))), '参数')}）"
        for e in extra
        if isinstance(e, dict) and e.get("key")
    ]
    missing = _MISSING.search(str(exc.detail or ""))  # Litestar names a missing one in English
    if missing:
        named.append(f"{missing.group(2)}（{_SOURCES.get(missing.group(1), '参数')}）")
    return f"参数 {'、'.join(dict.fromkeys(named))}缺少或格式不正确" if named else ""


def _message(exc: HTTPException) -> str:
    detail = str(exc.detail or "")
    if exc.status_code == 400 and not _is_chinese(detail) and _named_parameters(exc):
        return _named_parameters(exc)
    if exc.status_code == 403 and "CSRF" in detail:
        return "页面已过期或表单来源无法验证，请刷新页面后重试。"
    if exc.status_code == 404:
        return "您访问的页面不存在或已被删除。"
    if exc.status_code == 400 and not _is_chinese(detail):
        return "提交的内容格式不正确，请检查后重试。"
    if exc.status_code == 405:
        return "该地址不支持此操作。"
    return detail if _is_chinese(detail) else _TITLES.get(exc.status_code, "请求无法完成")


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _names_no_possible_record(exc: HTTPException) -> bool:
    """A path whose id fails validation (e.g. beyond 32 bits) names nothing: that is a 404."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    return exc.status_code == 400 and any(
        isinstance(e, dict) and e.get("source") == "path" for e in extra
    )


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if _names_no_possible_record(exc):
        exc = NotFoundException()
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        return Redirect(path=f"/login?next={request.url.path}")
    message = _message(exc)
    if _wants_json(request):
        detail = str(exc.detail or "")
        if exc.status_code == 404 and _is_chinese(detail):
            message = detail  # the API says which record or period it does not know
        return _json_error(message, exc.status_code)
    return page(  # type: ignore[return-value]
        request,
        "errors/error.html",
        status_code=exc.status_code,
        title=_TITLES.get(exc.status_code, "请求无法完成"),
        message=message,
        code=exc.status_code,
    )


def service_error_handler(request: Request, exc: ServiceError) -> Response:
    """The one place where the services' errors become HTTP statuses."""
    http: HTTPException
    if isinstance(exc, NotFound):
        http = NotFoundException(str(exc))
    elif isinstance(exc, Forbidden):
        http = PermissionDeniedException(str(exc))
    elif isinstance(exc, Conflict):
        http = ClientException(str(exc), status_code=409)
    else:
        http = ClientException(str(exc))
    return http_exception_handler(request, http)


def _json_error(message: str, status: int) -> Response:
    # `detail` and `status_code` are what the OpenAPI description documents for errors.
    return Response(
        {"error": message, "detail": message, "status": status, "status_code": status},
        status_code=status,
        media_type=MediaType.JSON,
    )


def bad_value_handler(request: Request, exc: Exception) -> Response:
    """Values no database can hold (an id beyond 32 bits, a NUL character) are bad requests."""
    message = "提交的内容含有无效的数值或字符"
    if _wants_json(request):
        return _json_error(message, 400)
    return page(  # type: ignore[return-value]
        request, "errors/error.html", status_code=400, title=_TITLES[400], message=message,
        code=400,
    )


def is_bad_value_error(exc: BaseException) -> bool:
    """asyncpg's DataError (out-of-range int, NUL in text) and Python's OverflowError."""
    return isinstance(exc, OverflowError) or type(exc).__name__ in {
        "DataError", "CharacterNotInRepertoireError", "UntranslatableCharacterError",
        "NumericValueOutOfRangeError",
    }


def password_change_handler(request: Request, exc: PasswordChangeRequired) -> Response:
    return Redirect(path="/account/password")


def _redirect_with_next(path: str, next_path: str) -> Response:
    query = {"next": next_path} if next_path and next_path != "/" else None
    return Redirect(path=path, query_params=query, status_code=303)


def second_factor_handler(request: Request, exc: SecondFactorRequired) -> Response:
    if _wants_json(request):
        return _json_error("请先完成两步验证", 403)
    target = "/account/mfa/verify" if exc.step == "verify" else "/account/mfa"
    return _redirect_with_next(target, exc.next_path)


def step_up_handler(request: Request, exc: StepUpRequired) -> Response:
    if _wants_json(request):
        return _json_error("此操作需要先确认身份", 403)
    return _redirect_with_next("/account/confirm", exc.next_path)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if is_bad_value_error(exc):
        return bad_value_handler(request, exc)
    # The route pattern, never the path: survey links carry bearer tokens.
    log.exception("unhandled error on %s %s", request.method, route_pattern(request.scope))
    if _wants_json(request):
        return _json_error("服务器内部错误", HTTP_500_INTERNAL_SERVER_ERROR)
    return page(  # type: ignore[return-value]
        request,
        "errors/error.html",
        status_code=500,
        title=_TITLES[500],
        message="服务器处理请求时出错，已记录。请稍后重试；如果问题持续，请联系管理员。",
        code=500,
    )
