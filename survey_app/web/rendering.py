"""Rendering pages with the context every page shares."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from survey_app.web.guards import current_user


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("user", current_user(request))
    context.setdefault("path", request.url.path)
    return Template(template_name=template, context=context, status_code=status_code)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths: a login link must not redirect to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default
