"""Error pages in Chinese (HTML) or JSON (API), never a stack trace."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.response import Redirect
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from survey_app.web.guards import PasswordChangeRequired
from survey_app.web.rendering import page

log = logging.getLogger(__name__)

_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    413: "上传内容过大",
    429: "操作过于频繁",
    500: "系统出错了",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _message(exc: HTTPException) -> str:
    detail = str(exc.detail or "")
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


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not _wants_json(request):
        return Redirect(path=f"/login?next={request.url.path}")
    message = _message(exc)
    if _wants_json(request):
        return Response(
            {"error": message, "status": exc.status_code},
            status_code=exc.status_code,
            media_type=MediaType.JSON,
        )
    return page(  # type: ignore[return-value]
        request,
        "errors/error.html",
        status_code=exc.status_code,
        title=_TITLES.get(exc.status_code, "请求无法完成"),
        message=message,
        code=exc.status_code,
    )


def password_change_handler(request: Request, exc: PasswordChangeRequired) -> Response:
    return Redirect(path="/account/password")


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    if _wants_json(request):
        return Response(
            {"error": "服务器内部错误", "status": 500},
            status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return page(  # type: ignore[return-value]
        request,
        "errors/error.html",
        status_code=500,
        title=_TITLES[500],
        message="服务器处理请求时出错，已记录。请稍后重试；如果问题持续，请联系管理员。",
        code=500,
    )
