"""The ceiling for the respondent page: a bare Litestar app (same venv, same uvicorn) that
returns pages' bytes held in memory. bench/survey_page.py serves it beside the real server and
reports the real page as a ratio of it.

CEILING_PAGES_DIR holds, per page, `<name>.body` (the gzip body exactly as the real server sent
it) and `<name>.headers` (its response headers as JSON, less date, server and length): GET /<name>
returns the same bytes with the same headers, so both servers put the same bytes on the wire.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from litestar import Litestar, Response, get

_FOLDER = Path(os.environ["CEILING_PAGES_DIR"])
_PAGES: dict[str, tuple[bytes, str, dict[str, str]]] = {}
for path in _FOLDER.glob("*.body"):
    headers = json.loads(path.with_suffix(".headers").read_text())
    # Litestar adds "; charset=utf-8" to text/* media types itself
    media_type = headers.pop("content-type").removesuffix("; charset=utf-8")
    _PAGES[path.stem] = (path.read_bytes(), media_type, headers)


@get("/healthz")
async def healthz() -> str:
    return "ok"


@get("/{name:str}")
async def page(name: str) -> Response[bytes]:
    body, media_type, headers = _PAGES[name]
    return Response(body, media_type=media_type, headers=headers)


app = Litestar(route_handlers=[healthz, page])
