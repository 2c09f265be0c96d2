"""The ceiling for the respondent page: a bare Litestar app (same venv, same uvicorn) that
returns pages' gzip bytes held in memory. bench/survey_page.py serves it beside the real server
and reports the real page as a ratio of it.

CEILING_PAGES_DIR holds one file per page (`<name>.html`); GET /<name> returns its gzip bytes.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from litestar import Litestar, Response, get

_PAGES = {
    path.stem: gzip.compress(path.read_bytes(), compresslevel=6)
    for path in Path(os.environ["CEILING_PAGES_DIR"]).glob("*.html")
}


@get("/healthz")
async def healthz() -> str:
    return "ok"


@get("/{name:str}")
async def page(name: str) -> Response[bytes]:
    return Response(_PAGES[name], media_type="text/html; charset=utf-8",
                    headers={"content-encoding": "gzip", "cache-control": "no-store"})


app = Litestar(route_handlers=[healthz, page])
