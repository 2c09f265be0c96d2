"""Deny-by-default access control.

One app-level guard runs on every route. A route is reachable only if it says so in its `opt`:
`PUBLIC` (respondents, login, health, static) or `roles(...)` naming the roles allowed. A route
that declares neither is refused to everyone, so a forgotten declaration fails closed.
Unit scoping (a unit viewer sees only its unit) is checked by the services for each object.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from survey_app.services.auth import CurrentUser

PUBLIC: dict[str, Any] = {"public": True}


def roles(*allowed: str, allow_pending_password: bool = False) -> dict[str, Any]:
    return {"roles": frozenset(allowed), "allow_pending_password": allow_pending_password}


class PasswordChangeRequired(Exception):
    """The user must set a new password before doing anything else."""


def current_user(connection: ASGIConnection) -> CurrentUser | None:
    user = connection.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # async: Litestar would run a plain function in a worker thread on every request
    if handler.opt.get("public") or connection.url.path.startswith("/schema"):
        return  # the OpenAPI description documents the API; it holds no data
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("请先登录")
    allowed = handler.opt.get("roles")
    if not allowed or user.role not in allowed:
        raise PermissionDeniedException("您没有访问此页面的权限")
    if user.must_change_password and not handler.opt.get("allow_pending_password"):
        raise PasswordChangeRequired
