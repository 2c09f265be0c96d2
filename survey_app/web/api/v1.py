"""Public API v1 for the appraisal system (bearer tokens).

The routes are PUBLIC for the session guard (machines have no session) and carry their own
guard: `bearer_guard` checks `Authorization: Bearer <token>` against the stored SHA-256, the
token's expiry, revocation and the route's scope, and audits every call. Pages are keyset
paginated: `next_cursor` is passed back as `?after=` until it is null.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter
from litestar.response import Template

from survey_app.services import api_tokens, scores
from survey_app.services.appraisal_publication import published_units
from survey_app.web.guards import PUBLIC
from survey_app.web.rendering import page

MAX_LIMIT = 500
AUTH_NOTE = "需要 API 令牌：请求头 Authorization: Bearer <令牌>，令牌由系统管理员创建。"


async def bearer_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    scope = handler.opt["token_scope"]
    try:
        await api_tokens.authorise(
            connection.headers.get("authorization"),
            scope,
            ip=connection.client.host if connection.client else "",
            path=connection.url.path,
        )
    except api_tokens.ApiAuthError as refused:
        if refused.status == 401:
            raise NotAuthorizedException(refused.message) from None
        raise PermissionDeniedException(refused.message) from None


def _token(scope: str) -> dict[str, Any]:
    return {**PUBLIC, "token_scope": scope}


def _encode(value: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, ensure_ascii=False).encode()).decode()


def _decode(cursor: str | None, shape: tuple[type, ...]) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        value = None
    if not (
        isinstance(value, list)
        and len(value) == len(shape)
        and all(isinstance(v, t) and _in_range(v) for v, t in zip(value, shape, strict=True))
    ):
        raise ValidationException("分页游标 after 无效，请使用上一页返回的 next_cursor")
    return value


def _in_range(value: object) -> bool:
    """Cursor parts must fit the database columns (32-bit ids, 32-character unit codes)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0 <= value <= 2_147_483_647
    return isinstance(value, str) and len(value) <= 32


Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="每页条数（1–500）")]
After = Annotated[str | None, Parameter(description="上一页返回的 next_cursor")]


@dataclass(frozen=True)
class UnitScoreItem:
    unit_code: str
    unit_name: str
    category: str
    period: str
    audience: str  # enterprise | resident
    run_id: int
    computed_at: str
    inputs_hash: str
    n: int
    index: float | None  # null when suppressed (样本不足不发布)
    std_error: float | None
    margin: float | None
    ci_low: float | None
    ci_high: float | None
    satisfied_rate: float | None
    awareness: float | None
    rank: int | None  # within the unit's category, competition ranking
    flags: list[str]


@dataclass(frozen=True)
class ScoresPage:
    period: str
    items: list[UnitScoreItem]
    next_cursor: str | None


@get(
    "/api/v1/scores",
    opt=_token("scores:read"),
    guards=[bearer_guard],
    tags=["api v1"],
    summary="各单位满意度得分（按期间）",
    description=AUTH_NOTE + "权限范围 scores:read。每个评价对象取该期间最近一次计算结果。",
)
async def api_scores(
    period: Annotated[str, Parameter(description="期间，如 2026-Q3")],
    after: After = None,
    limit: Limit = 100,
) -> ScoresPage:
    position = _decode(after, (int, str))
    runs = {run.id: run for run in await scores.latest_runs(period)}
    if not runs:
        known = "、".join((await scores.period_choices())[:12]) or "无"
        raise NotFoundException(f"期间「{period[:32]}」没有满意度得分；有得分的期间：{known}")
    rows = await scores.scores_after(
        sorted(runs), (position[0], position[1]) if position else None, limit + 1
    )
    items = [_score_item(row, runs[row.run_id]) for row in rows[:limit]]
    more = len(rows) > limit
    return ScoresPage(
        period, items, _encode([rows[limit - 1].run_id, rows[limit - 1].unit_code]) if more else None
    )


def _score_item(row: scores.UnitScoreRecord, run: scores.ScoreRunRecord) -> UnitScoreItem:
    ci = row.details.get("ci") or (None, None)
    return UnitScoreItem(
        unit_code=row.unit_code,
        unit_name=row.unit_name,
        category=row.category,
        period=row.period,
        audience=run.audience,
        run_id=run.id,
        computed_at=run.created_at.isoformat() if run.created_at else "",
        inputs_hash=run.inputs_hash,
        n=row.n,
        index=row.index_value,
        std_error=row.std_error,
        margin=row.margin,
        ci_low=ci[0],
        ci_high=ci[1],
        satisfied_rate=row.satisfied_rate,
        awareness=row.awareness,
        rank=row.details.get("rank"),
        flags=list(row.flags),
    )


@dataclass(frozen=True)
class AppraisalItem:
    unit_code: str
    unit_name: str
    unit_class: str
    year: int
    total: float | None
    rank: int | None
    grade: str  # the final grade: the override when there is one
    computed_grade: str
    overridden: bool
    card: str  # 黄牌 | 红牌 | ""
    card_reason: str
    needs_review: bool
    override_reason: str
    quota_reason: str  # why an override breaks the forced distribution, if it does


@dataclass(frozen=True)
class AppraisalPage:
    year: int
    scheme_name: str | None
    scheme_version: int | None
    computed_at: str | None
    items: list[AppraisalItem]
    next_cursor: str | None


@get(
    "/api/v1/appraisal",
    opt=_token("appraisal:read"),
    guards=[bearer_guard],
    tags=["api v1"],
    summary="年度考核得分、排名和等次",
    description=AUTH_NOTE
    + "权限范围 appraisal:read。只返回该年度最近一次发布的考核结果（草稿不返回）；computed_at 为发布时间。",
)
async def api_appraisal(
    year: Annotated[int, Parameter(ge=1900, le=2999, description="考核年度，如 2026")],
    after: After = None,
    limit: Limit = 100,
) -> AppraisalPage:
    position = _decode(after, (str,))
    run, published = await published_units(year)
    if run is None:
        raise NotFoundException(f"{year} 年度还没有发布的考核结果")
    ordered = sorted(published, key=lambda u: u["unit_code"])
    rows = [u for u in ordered if position is None or u["unit_code"] > position[0]][: limit + 1]
    items = [
        AppraisalItem(
            unit_code=u["unit_code"],
            unit_name=u["unit_name"],
            unit_class=u["class"],
            year=year,
            total=u["total"],
            rank=u["rank"],
            grade=u["final_grade"],
            computed_grade=u["grade"],
            overridden=bool(u["override_grade"]),
            card=u["card"],
            card_reason=u.get("card_reason", ""),
            needs_review=bool(u["needs_review"]),
            override_reason=u.get("override_reason", ""),
            quota_reason=u.get("quota_reason", ""),
        )
        for u in rows[:limit]
    ]
    return AppraisalPage(
        year=year,
        scheme_name=run.scheme_name,
        scheme_version=run.scheme_version,
        computed_at=run.published_at.isoformat() if run.published_at else None,
        items=items,
        next_cursor=_encode([rows[limit - 1]["unit_code"]]) if len(rows) > limit else None,
    )


@get("/api/v1/docs", opt=PUBLIC, include_in_schema=False)
async def api_docs(request: Request) -> Template:
    """The API described for people, from the same OpenAPI document as /schema (served here,
    nothing from a CDN)."""
    document = request.app.openapi_schema.to_schema()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, item in sorted(document.get("paths", {}).items())
        for method, operation in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    ]
    return page(request, "api_docs.html", operations=operations, document=document)


ROUTES: list[Any] = [api_scores, api_appraisal, api_docs]
