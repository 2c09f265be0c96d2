"""Request logging that never writes a bearer credential, and log lines that cannot be forged.

* One line per response: method, the ROUTE PATTERN (`/s/{token:str}`), status. Never the path
  or the query: invitation and open links carry their token in the path, and the data-entry
  search takes scanned links in its query (issue 17). uvicorn's own access log is off
  (cli.serve).
* `EscapingFilter` on every handler: control characters in a message (CR, LF, NUL, ESC …) are
  written as \\xNN escapes, so text from a request cannot start a fake log line.
"""

from __future__ import annotations

import logging
import re

from litestar.types import Message, Scope

log = logging.getLogger("survey_app.access")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_control(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


class EscapingFilter(logging.Filter):
    """Escape control characters in the formatted message (tracebacks are left as they are:
    they are formatted separately and come from our own code)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = escape_control(message)
        if escaped != message or record.args:
            record.msg, record.args = escaped, None
        return True


def install_log_escaping() -> None:
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, EscapingFilter) for f in handler.filters):
            handler.addFilter(EscapingFilter())


def route_pattern(scope: Scope) -> str:
    """The matched route's pattern; unmatched paths are not written at all."""
    template = scope.get("path_template")  # type: ignore[typeddict-item]
    return str(template) if template else "(no route)"


async def log_response(message: Message, scope: Scope) -> None:
    """A before_send hook: one access line per response."""
    if message["type"] == "http.response.start":
        log.info("%s %s %s", scope.get("method", "-"), route_pattern(scope), message["status"])
