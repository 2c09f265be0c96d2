"""ASGI fast path for what respondents' phones ask for: GET /s/{token}, /o/{token}, /static/….

These are the requests of a burst (a district posts its links into WeChat groups). Profiled, a
cached page spent most of its server CPU in Litestar's generic work around the handler (routing,
the middleware stack, guards, parameter parsing, CSRF cookie building, response objects and
before_send hooks), so these requests go from uvicorn straight to the page cache and the
in-memory assets. The response carries what the Litestar handlers send (tests/web/
test_fast_path.py compares the two): the same security headers, the same CSRF double-submit
cookie (kept when the browser already has a valid one, issued otherwise), the same device
cookie on open links, the same access log line. The link's state is read from the database on
every request, so a closed campaign or a used link is never served from the cache.

Anything else falls through to Litestar, which renders it as before: a refused link (used,
closed, unknown: a message page), a query other than `?step=`, a missing asset, an error.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar._parsers import parse_cookie_string
from litestar.datastructures import Cookie
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, HTTPScope, Send

from survey_app.config import Settings
from survey_app.services import open_links, submissions
from survey_app.web.access_log import log
from survey_app.web.middleware import CSRF_COOKIE, encoded_security_headers, valid_csrf_token
from survey_app.web.pages.survey import cached_step_body, new_request_values, resume_section
from survey_app.web.pages.survey_open import DEVICE_COOKIE, OPEN_INTRO, _open_views
from survey_app.web.static_assets import find_asset

_LINK = re.compile(r"/([so])/([A-Za-z0-9_-]{16,64})")  # services.submissions.LINK_TOKEN
_STEP = re.compile(rb"step=([A-Za-z0-9_-]{1,64})")
_ROUTES = {"s": "/s/{token}", "o": "/o/{token}"}  # as the access log names them
_HTML = b"text/html; charset=utf-8"
# Set-Cookie headers are built once with a placeholder value, replaced per request (the values
# are hex or URL-safe base64: never quoted).
_PLACEHOLDER = "COOKIEVALUEPLACEHOLDER"


class FastPath:
    def __init__(self, settings: Settings, environment: Any) -> None:
        self.settings = settings
        self.environment = environment  # the app's Jinja environment (pages compiled on a miss)
        secured = encoded_security_headers(settings)
        self.page_headers = [(b"vary", b"accept-encoding"), *secured,
                             (b"cache-control", b"no-store")]
        self.static_headers = [(b"vary", b"accept-encoding"), *secured]
        self.csrf_cookie = Cookie(key=CSRF_COOKIE, value=_PLACEHOLDER, path="/",
                                  secure=settings.secure_cookies, httponly=True,
                                  samesite="lax").to_header(header="")
        # survey_open._with_cookie: Secure when the site says so or the request came by https
        self.device_cookie = {secure: Cookie(
            key=DEVICE_COOKIE, value=_PLACEHOLDER, max_age=365 * 86400, httponly=True,
            samesite="lax", path="/o/", secure=secure).to_header(header="")
            for secure in (False, True)}

    async def __call__(self, scope: HTTPScope, send: Send) -> bool:
        """Serve the request and return True, or return False (Litestar serves it)."""
        if scope["method"] != "GET":
            return False
        path = scope["path"]
        if path.startswith("/static/"):
            return await self._static(scope, send, path[len("/static/"):])
        match = _LINK.fullmatch(path)
        if match is None:
            return False
        query = scope.get("query_string", b"")
        step = None
        if query:
            wanted = _STEP.fullmatch(query)
            if wanted is None:
                return False
            step = wanted.group(1).decode()
        kind, token = match.groups()
        headers = request_headers(scope)
        cookies = parse_cookie_string(headers.get(b"cookie", b"").decode("latin-1"))
        gzipped = b"gzip" in headers.get(b"accept-encoding", b"")
        extra: list[tuple[bytes, bytes]] = []  # the handler's cookies, then the CSRF one
        csrf = cookies.get(CSRF_COOKIE, "")
        new_csrf = not valid_csrf_token(csrf, self.settings.secret_key)
        if new_csrf:
            csrf = generate_csrf_token(self.settings.secret_key)
        try:
            if kind == "s":
                body = await self._invitation(token, step, csrf, gzipped)
            else:
                body = await self._open(scope, token, step, csrf, gzipped, cookies, extra)
        except Exception:  # a refusal (message page) or a failure: Litestar renders it
            return False
        if body is None:
            return False
        if new_csrf:
            extra.append((b"set-cookie", self.csrf_cookie.replace(_PLACEHOLDER, csrf).encode()))
        response_headers = [(b"content-type", _HTML), (b"content-length", str(len(body)).encode()),
                            *extra, *self.page_headers]
        if gzipped:
            response_headers.append((b"content-encoding", b"gzip"))
        await _respond(send, response_headers, body)
        log.info("%s %s %s", "GET", _ROUTES[kind], 200)
        return True

    async def _invitation(self, token: str, step: str | None, csrf: str,
                          gzipped: bool) -> bytes | None:
        state = await submissions.open_link(token)
        section_id, restored = resume_section(state, step)
        return cached_step_body(self.environment, state, section_id, state.draft,
                                new_request_values(csrf), gzipped, restored)

    async def _open(self, scope: HTTPScope, token: str, step: str | None, csrf: str, gzipped: bool,
                    cookies: dict[str, str], extra: list[tuple[bytes, bytes]]) -> bytes | None:
        client = scope.get("client")
        if not _open_views.allow(client[0] if client else ""):
            return None  # Litestar answers 429 (a refused hit is not counted twice)
        device = cookies.get(DEVICE_COOKIE)
        fresh = None if device else secrets.token_urlsafe(16)  # as survey_open._device
        state, _ = await open_links.open_for_device(token, self.settings.secret_key,
                                                    device or fresh or "", new_device=bool(fresh))
        section_id, _restored = resume_section(state, step)
        body = cached_step_body(self.environment, state, section_id, state.draft,
                                new_request_values(csrf), gzipped,
                                open_intro=OPEN_INTRO.format(campaign=state.context.campaign_name))
        if body is not None and fresh:
            secure = self.settings.secure_cookies or scope.get("scheme") == "https"
            extra.append((b"set-cookie",
                          self.device_cookie[secure].replace(_PLACEHOLDER, fresh).encode()))
        return body

    async def _static(self, scope: HTTPScope, send: Send, name: str) -> bool:
        gzipped = b"gzip" in request_headers(scope).get(b"accept-encoding", b"")
        found = find_asset(name, gzipped)
        if found is None:
            return False
        body, media_type, cache_control, encoded = found
        headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode()),
                   (b"cache-control", cache_control), *self.static_headers]
        if encoded:
            headers.append((b"content-encoding", b"gzip"))
        await _respond(send, headers, body)
        log.info("%s %s %s", "GET", "/static/{name}", 200)
        return True


async def _respond(send: Send, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": 200,
                                     "headers": headers}
    await send(start)
    message: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body,
                                      "more_body": False}
    await send(message)


def request_headers(scope: HTTPScope) -> dict[bytes, bytes]:
    """The request's headers by (lower-case) name; the first of repeated ones, as Litestar."""
    found: dict[bytes, bytes] = {}
    for key, value in scope["headers"]:
        found.setdefault(key, value)
    return found
