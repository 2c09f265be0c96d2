"""ASGI middleware: who is logged in, and the security headers every response carries.

Also, before anything else (issue 17): a path with NUL or control characters is a 404; a
state-changing request whose Origin is another site is refused; a staff session's CSRF token
is bound to it (`bound_csrf_token`): a GET puts the session's token in place, a POST with any
other token is refused. A new login is a new session, so the token changes at every login.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_hash
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


CSRF_COOKIE = "csrftoken"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Bearer-token API: no cookies, so neither CSRF nor Origin applies (app.py excludes it too).
_NO_CSRF_PREFIXES = ("/api/v1/",)


def bound_csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token of one staff session, in Litestar's format (64 hex + its HMAC): derived
    from the session id, so it changes at every login and is worthless with another session."""
    seed = hmac.new(secret.encode(), f"csrf|{session_token}".encode(), hashlib.sha256)
    token = seed.hexdigest()
    return token + generate_csrf_hash(token=token, secret=secret)


def _invalid_path(path: str) -> bool:
    """NUL and other control characters never name a page or a file."""
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path)


def _origin_allowed(scope: Scope, settings: Settings) -> bool:
    """A state-changing request from a browser must come from this site: a foreign `Origin`,
    or `Sec-Fetch-Site: cross-site`, is refused. An absent or `null` Origin is allowed (with
    `Referrer-Policy: no-referrer`, which every page sends, Chromium posts same-site forms
    with `Origin: null`); the CSRF token still applies."""
    origin = host = fetch_site = None
    for key, value in scope.get("headers", []):
        if key == b"origin":
            origin = value.decode("latin-1").strip()
        elif key == b"host":
            host = value.decode("latin-1").strip()
        elif key == b"sec-fetch-site":
            fetch_site = value.decode("latin-1").strip().lower()
    if fetch_site == "cross-site":
        return False
    if origin is None or origin == "null":
        return True
    netloc = urlsplit(origin).netloc
    return bool(netloc) and (netloc == urlsplit(settings.base_url).netloc or netloc == host)


def _replace_cookie(scope: Scope, name: str, value: str) -> None:
    """Make the rest of the stack (Litestar's CSRF middleware) see `name=value`."""
    pairs = []
    for key, raw in scope.get("headers", []):
        if key != b"cookie":
            continue
        for part in raw.decode("latin-1").split(";"):
            k, _, v = part.strip().partition("=")
            if k and k != name:
                pairs.append(f"{k}={v}")
    pairs.append(f"{name}={value}")
    headers = [(k, v) for k, v in scope.get("headers", []) if k != b"cookie"]
    headers.append((b"cookie", "; ".join(pairs).encode("latin-1")))
    scope["headers"] = headers


def session_user_middleware(settings: Settings):  # type: ignore[no-untyped-def]
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            scope["user"] = None  # type: ignore[typeddict-unknown-key]
            path = scope.get("path", "")
            if _invalid_path(path):
                raise NotFoundException()
            unsafe = scope.get("method", "GET") in _UNSAFE
            if unsafe and not path.startswith(_NO_CSRF_PREFIXES) and not _origin_allowed(
                scope, settings
            ):
                raise PermissionDeniedException("CSRF: Origin is not this site")
            token = _cookie(scope, SESSION_COOKIE)
            if token and not path.startswith(_NO_SESSION_PREFIXES):
                user = await load_current_user(
                    token, settings.session_idle_minutes, mfa_roles=settings.mfa_roles,
                    step_up_minutes=settings.step_up_minutes,
                    max_hours=settings.session_max_hours,
                )
                scope["user"] = user  # type: ignore[typeddict-unknown-key]
                if user is not None and not path.startswith(_NO_CSRF_PREFIXES):
                    expected = bound_csrf_token(settings.secret_key, token)
                    if _cookie(scope, CSRF_COOKIE) != expected:
                        if unsafe:
                            raise PermissionDeniedException("CSRF token not of this session")
                        _replace_cookie(scope, CSRF_COOKIE, expected)
                        send = _setting_cookie(send, expected, settings.secure_cookies)
            await app(scope, receive, send)

        return middleware

    return factory


def _setting_cookie(send: Send, token: str, secure: bool) -> Send:
    cookie = Cookie(key=CSRF_COOKIE, value=token, path="/", secure=secure, httponly=True,
                    samesite="lax")

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message).add("set-cookie", cookie.to_header(header=""))
        await send(message)

    return wrapped


def security_headers(settings: Settings) -> list[tuple[str, str]]:
    """The headers every response carries (the fast paths send the same list)."""
    headers = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        # Invitation tokens are in survey URLs: never leak them as a Referer.
        ("referrer-policy", "no-referrer"),
    ]
    if settings.secure_cookies:
        headers.append(("strict-transport-security", "max-age=31536000"))
    return headers


def encoded_security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """`security_headers` as raw ASGI header pairs, for the fast paths that bypass the hook."""
    return [(name.encode(), value.encode()) for name, value in security_headers(settings)]


def security_headers_hook(settings: Settings):  # type: ignore[no-untyped-def]
    """A before_send hook (not middleware) so that router-level 404/405 responses get them too."""
    pairs = security_headers(settings)

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in pairs:
            headers[name] = value
        if not scope.get("path", "").startswith("/static/") and "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"

    return before_send


def valid_csrf_token(token: str | None, secret: str) -> bool:
    """A token as Litestar's CSRF middleware issues and checks it: 64 hex + their HMAC."""
    if not token or len(token) != 128:
        return False
    return hmac.compare_digest(token[64:], generate_csrf_hash(token=token[:64], secret=secret))


def csrf_tokens_match(form_token: str, cookie_token: str | None, secret: str) -> bool:
    """Litestar's CSRF check of a POST: both tokens validly signed, with the same secret part."""
    return (valid_csrf_token(form_token, secret) and valid_csrf_token(cookie_token, secret)
            and hmac.compare_digest(form_token[:64], (cookie_token or "")[:64]))
