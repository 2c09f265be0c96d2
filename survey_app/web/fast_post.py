"""ASGI fast path for what respondents' phones post: POST /s/{token}, a step of an invitation.

A district's links go out at once, so the answers come back in bursts too. Profiled, a complete
40-question submission spent a third of the server's CPU around the handler: Litestar's
middleware stack, its form parser, the response and template objects. This path takes the
common outcomes straight from uvicorn: 下一页 / 上一页 (the draft saved, a redirect to the next
step) and the final 提交问卷 (the submission stored, the "thank you" page from the page cache).
It decides with the same function as the Litestar handler (questionnaires.steps.decide_step) and
sends the same headers and access log line (tests/web/test_fast_path.py compares the two).

Everything else goes on to Litestar with the body replayed, decided BEFORE anything is written:
a CSRF failure, a refused link, a page with problems, the last-step notice, the notice naming
answers that the page's own answers skip (questionnaires.steps), an unexpected form.
A submission that the database refuses (a replay, a conflict) goes on to Litestar too, which
finds the link used and answers as it always has.
"""

from __future__ import annotations

import re

from litestar._parsers import parse_cookie_string
from litestar.types import HTTPScope, Receive, ReceiveMessage, Send

from questionnaires.steps import decide_step
from survey_app.config import Settings
from survey_app.services import submissions
from survey_app.web.access_log import log
from survey_app.web.fast_path import request_headers
from survey_app.web.middleware import CSRF_COOKIE, csrf_tokens_match, encoded_security_headers
from survey_app.web.pages.survey import parse_started, thanks_body

_STEP_POST = re.compile(r"/s/([A-Za-z0-9_-]{16,64})")  # services.submissions.LINK_TOKEN
_FORM = b"application/x-www-form-urlencoded"
MAX_BODY = 1024 * 1024  # a step's form is a few KB; anything larger goes to Litestar's limits
_ROUTE = "/s/{token}"  # as the access log names it
_PLAIN = b"text/plain; charset=utf-8"  # what Litestar's Redirect says of its empty body


def parse_form(body: bytes) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body, exactly as Litestar parses it (latin-1, then
    percent-escapes as UTF-8 with U+FFFD for bad bytes, blank values kept), several times
    faster: most fields of a questionnaire page are plain ASCII, and the escapes of a Chinese
    opinion are decoded run by run, not one by one."""
    fields: dict[str, list[str]] = {}
    for pair in body.decode("latin-1").split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        fields.setdefault(_unquote_plus(name), []).append(_unquote_plus(value))
    return fields


# Runs of escapes. Decoding a run at a time gives what urllib's unquote gives (it decodes each
# ASCII stretch at once): UTF-8 never continues a character across an ASCII byte.
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decoded_run(match: re.Match[str]) -> str:
    return bytes.fromhex(match.group().replace("%", "")).decode("utf-8", "replace")


def _unquote_plus(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    return _ESCAPES.sub(_decoded_run, text) if "%" in text else text


def _first(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name)
    return values[0] if values else ""


class FastPost:
    def __init__(self, settings: Settings, environment: object) -> None:
        self.settings = settings
        self.environment = environment  # the app's Jinja environment (the thanks page)
        secured = encoded_security_headers(settings)
        self.headers = [*secured, (b"cache-control", b"no-store")]

    async def __call__(self, scope: HTTPScope, receive: Receive, send: Send) -> Receive | None:
        """Serve the POST and return None, or return the `receive` Litestar must use (the
        body read so far replayed first)."""
        match = _STEP_POST.fullmatch(scope["path"])
        if match is None or scope.get("query_string"):
            return receive
        headers = request_headers(scope)
        if not headers.get(b"content-type", b"").startswith(_FORM) or b"x-csrftoken" in headers:
            return receive
        messages, body = await _read_body(receive)
        again = _replay(messages, receive)
        if body is None:
            return again
        fields = parse_form(body)
        cookies = parse_cookie_string(headers.get(b"cookie", b"").decode("latin-1"))
        if not csrf_tokens_match(_first(fields, "_csrf_token"), cookies.get(CSRF_COOKIE),
                                 self.settings.secret_key):
            return again  # Litestar refuses it (403)
        gzipped = b"gzip" in headers.get(b"accept-encoding", b"")
        try:
            served = await self._step(match.group(1), fields, gzipped)
        except Exception:  # a refusal or a failure: Litestar answers (what is written is
            return again   # idempotent: a stored submission makes the link "used")
        if served is None:
            return again
        status, extra, content = served
        await send({"type": "http.response.start", "status": status,
                    "headers": [*extra, (b"content-length", str(len(content)).encode()),
                                *self.headers]})
        await send({"type": "http.response.body", "body": content, "more_body": False})
        log.info("%s %s %s", "POST", _ROUTE, status)
        return None

    async def _step(
        self, token: str, fields: dict[str, list[str]], gzipped: bool
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """(status, headers, body) of a redirect or a thank-you page; None: Litestar decides."""
        state = await submissions.open_link(token)
        section_id = _first(fields, "_section")
        if state.questionnaire.find_section(section_id) is None:
            return None
        decision = decide_step(state.questionnaire, state.draft, fields, section_id,
                               _first(fields, "_action") or "next")
        if decision.kind in ("prev", "next"):
            await submissions.save_draft(state, decision.answers, decision.target)
            location = f"/s/{token}?step={decision.target}".encode()
            return 302, [(b"location", location), (b"content-type", _PLAIN)], b""
        if decision.kind != "submit":
            return None
        receipt = await submissions.submit_invitation_response(
            token, _first(fields, "_submission_id"), decision.answers,
            started_at=parse_started(_first(fields, "_started")), state=state)
        body = thanks_body(self.environment, state.context.campaign_name, receipt.receipt_code,
                           gzipped)
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"vary", b"accept-encoding")]
        if gzipped:
            headers.append((b"content-encoding", b"gzip"))
        return 200, headers, body


async def _read_body(receive: Receive) -> tuple[list[ReceiveMessage], bytes | None]:
    """The request's messages and its body; None when too large or the client left."""
    messages: list[ReceiveMessage] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return messages, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def _replay(messages: list[ReceiveMessage], receive: Receive) -> Receive:
    """A receive that gives back the messages already read, then reads on."""
    pending = list(messages)

    async def replayed() -> ReceiveMessage:
        return pending.pop(0) if pending else await receive()

    return replayed
