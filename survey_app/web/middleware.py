"""ASGI middleware: who is logged in, and the security headers every response carries."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from survey_app.config import Settings
from survey_app.services.auth import SESSION_COOKIE, load_current_user

# Respondent pages and static files never need the staff session; skip the lookup there.
_NO_SESSION_PREFIXES = ("/static/", "/healthz", "/s/", "/o/")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def session_user_middleware(settings: Settings):  # type: ignore[no-untyped-def]
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                scope["user"] = None  # type: ignore[typeddict-unknown-key]
                path = scope.get("path", "")
                token = _cookie(scope, SESSION_COOKIE)
                if token and not path.startswith(_NO_SESSION_PREFIXES):
                    scope["user"] = await load_current_user(  # type: ignore[typeddict-unknown-key]
                        token, settings.session_idle_minutes, mfa_roles=settings.mfa_roles,
                        step_up_minutes=settings.step_up_minutes,
                    )
            await app(scope, receive, send)

        return middleware

    return factory


def security_headers_hook(settings: Settings):  # type: ignore[no-untyped-def]
    """A before_send hook (not middleware) so that router-level 404/405 responses get them too."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        # Invitation tokens are in survey URLs: never leak them as a Referer.
        headers["Referrer-Policy"] = "no-referrer"
        if settings.secure_cookies:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if not scope.get("path", "").startswith("/static/") and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"

    return before_send
