"""Liveness/readiness for load balancers and monitoring."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import HTTPException

from survey_app.services.system import database_answers
from survey_app.web.guards import PUBLIC


@get("/healthz", opt=PUBLIC, tags=["system"])
async def healthz() -> dict[str, str]:
    if not await database_answers():
        raise HTTPException(status_code=503, detail="数据库不可用")
    return {"status": "ok"}


ROUTES = [healthz]
