"""Deny-by-default access control.

One app-level guard runs on every route. A route is reachable only if it says so in its `opt`:
`PUBLIC` (respondents, login, health, static) or `roles(...)` naming the roles allowed. A route
that declares neither is refused to everyone, so a forgotten declaration fails closed.
Unit scoping (a unit viewer sees only its unit) is checked by the services for each object.

Two more states are enforced here, for every route alike (pages, exports, /api/jobs):
* a session whose second factor is outstanding reaches only the routes that declare that step
  (`mfa_step`): entering a code when enrolled, enrolment when not; everything else answers
  303 to that step (403 for /api/ paths);
* routes declared `step_up=True` need the password or a code confirmed within the last
  SURVEY_STEP_UP_MINUTES; otherwise 303 to /account/confirm, which comes back afterwards.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from survey_app.services.auth import CurrentUser

PUBLIC: dict[str, Any] = {"public": True}


def roles(
    *allowed: str, allow_pending_password: bool = False, mfa_step: str | None = None,
    step_up: bool = False, step_up_back: str | None = None,
) -> dict[str, Any]:
    """`mfa_step`: "verify", "enrol" or "any" (logout): reachable before the second factor.
    `step_up`: needs a recent confirmation; `step_up_back` is the page to return to after it
    for a POST (formatted with the path parameters), a GET returns to itself."""
    assert mfa_step in (None, "verify", "enrol", "any")
    return {
        "roles": frozenset(allowed), "allow_pending_password": allow_pending_password,
        "mfa_step": mfa_step, "step_up": step_up, "step_up_back": step_up_back,
    }


class PasswordChangeRequired(Exception):
    """The user must set a new password before doing anything else."""


class SecondFactorRequired(Exception):
    """The password was right; the second factor (or enrolment) is still outstanding."""

    def __init__(self, step: str, next_path: str) -> None:
        super().__init__(step)
        self.step = step
        self.next_path = next_path


class StepUpRequired(Exception):
    """A sensitive action: confirm the password or a code first."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _here(connection: ASGIConnection) -> str:
    """Where to come back to: this page for a GET; a POST cannot be replayed by a redirect."""
    if connection.scope.get("method", "GET") != "GET":
        return "/"
    query = connection.url.query
    return connection.url.path + (f"?{query}" if query else "")


def _step_up_return(connection: ASGIConnection, handler: BaseRouteHandler) -> str:
    back = handler.opt.get("step_up_back")
    if back and connection.scope.get("method", "GET") != "GET":
        return str(back).format(**connection.path_params)
    return _here(connection)


def require_step_up(connection: ASGIConnection, back: str) -> None:
    """For actions that are sensitive only with some inputs (e.g. unmasked exports)."""
    user = current_user(connection)
    if user is None or not user.step_up_ok:
        raise StepUpRequired(back)


def current_user(connection: ASGIConnection) -> CurrentUser | None:
    user = connection.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # async: Litestar would run a plain function in a worker thread on every request
    if handler.opt.get("public") or connection.url.path.startswith("/schema"):
        # Public by design (README): the OpenAPI description lists only the API's own routes
        # (/api/v1, /api/jobs, /healthz; app.py), which need a token or a session anyway.
        return
    user = current_user(connection)
    if user is None:
        raise NotAuthorizedException("请先登录")
    if user.mfa_pending:  # first: a half-logged-in session learns nothing about other routes
        needed = "verify" if user.mfa_enrolled else "enrol"
        if handler.opt.get("mfa_step") not in (needed, "any"):
            raise SecondFactorRequired(needed, _here(connection))
    allowed = handler.opt.get("roles")
    if not allowed or user.role not in allowed:
        raise PermissionDeniedException("您没有访问此页面的权限")
    if user.must_change_password and not handler.opt.get("allow_pending_password"):
        raise PasswordChangeRequired
    if handler.opt.get("step_up") and not user.step_up_ok:
        raise StepUpRequired(_step_up_return(connection, handler))
