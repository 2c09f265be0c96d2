"""The ceiling for the phones of bench/submit_load.py: a bare Litestar app (same venv, same
uvicorn, 1 worker) that answers the phones' whole request sequence from memory with what the
real server answered one phone in the same run (bench/_clients.py `capture_walk`): GET
/s/{token}[?step=…] the page of that step, POST a section a 303 to the next step, POST the
last one the receipt page. Same bytes and headers on the wire; no database, no validation, no
template. bench/submit_load.py drives it with the same client processes, so the report can say
how many requests the client drives against a bare server beside what the real server did.

CEILING_WALK_FILE: the captured walk as JSON (pages by step, next step by section, headers).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from litestar import Litestar, Request, Response, get, post

_WALK = json.loads(Path(os.environ["CEILING_WALK_FILE"]).read_text())
_SECTION = re.compile(rb"(?:^|&)_section=([^&]*)")


def _response(page: list[object], status: int = 200, **extra: str) -> Response[bytes]:
    text, headers = page
    assert isinstance(text, str) and isinstance(headers, dict)
    headers = {**headers, **extra}
    # Litestar adds "; charset=utf-8" to text/* media types itself
    media_type = headers.pop("content-type", "text/html").removesuffix("; charset=utf-8")
    return Response(text.encode(), status_code=status, media_type=media_type, headers=headers)




@get("/healthz")
async def healthz() -> str:
    return "ok"


@get("/s/{token:str}")
async def page(step: str = "") -> Response[bytes]:
    return _response(_WALK["pages"][step])


@post("/s/{token:str}", status_code=200)
async def answer(request: Request, token: str) -> Response[bytes]:
    body = await request.body()
    if b"_action=submit" in body:
        return _response(_WALK["receipt"])
    found = _SECTION.search(body)
    assert found is not None
    following = _WALK["next"][found.group(1).decode()]
    return _response(_WALK["redirect"], 303, location=f"/s/{token}?step={following}")


app = Litestar(route_handlers=[healthz, page, answer])
