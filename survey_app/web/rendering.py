"""Rendering pages with the context every page shares."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.response import Template

from survey_app.config import Settings
from survey_app.services.auth import SESSION_COOKIE
from survey_app.web.guards import current_user
from survey_app.web.middleware import CSRF_COOKIE, bound_csrf_token

R = TypeVar("R", bound=Response)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("user", current_user(request))
    context.setdefault("path", request.url.path)
    return Template(template_name=template, context=context, status_code=status_code)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths: a login link must not redirect to another site.

    Refused: other schemes and hosts, protocol-relative `//host`, backslashes (`/\\host`, which
    browsers read as `//host`), and whitespace or control characters (browsers drop tabs and
    newlines, so `/\t/host` would become `//host`)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target:
        return default
    if any(ch.isspace() or not ch.isprintable() for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def with_session_cookie(response: R, token: str, settings: Settings) -> R:
    """The new session's cookie, and its own CSRF token: a login always changes both."""
    secure = settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, bound_csrf_token(settings.secret_key, token), httponly=True,
        samesite="lax", secure=secure, path="/",
    )
    return response
