"""Liveness/readiness for load balancers and monitoring."""

from __future__ import annotations

from litestar import get
from litestar.exceptions import HTTPException

from survey_app.db.queries import units
from survey_app.web.guards import PUBLIC


@get("/healthz", opt=PUBLIC, tags=["system"])
async def healthz() -> dict[str, str]:
    try:
        await units.count_units()
    except Exception as error:  # the database is the one dependency worth reporting
        raise HTTPException(status_code=503, detail="数据库不可用") from error
    return {"status": "ok"}


ROUTES = [healthz]
