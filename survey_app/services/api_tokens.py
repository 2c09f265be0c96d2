"""API tokens: created by admins and shown once, stored as SHA-256, checked on every call.

Every use is audited, the refused ones too (with the token's name when it is known, never the
token itself). Expired and revoked tokens answer 401 like unknown ones; a valid token without
the route's scope answers 403.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from survey_app.db.queries import api_tokens as queries
from survey_app.db.queries import audit
from survey_app.db.queries._rows import utcnow
from survey_app.errors import InvalidInput

SCOPES: dict[str, str] = {"scores:read": "读取满意度得分", "appraisal:read": "读取考核结果"}
TOKEN_PREFIX = "sat_"  # noqa: S105 (a visible prefix so leaked tokens are recognisable)
MAX_DAYS = 3650
# last_used_at is written at most this often: every call is in the audit log anyway.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


class TokenError(InvalidInput):
    """A Chinese message about a token request (creation form)."""


class TokenNotFound(TokenError):
    """The token id names no token."""


class ApiAuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # shown once, never stored


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def create_token(
    name: str, scopes: list[str], days: int | None, *, actor_id: int, actor_name: str, ip: str
) -> IssuedToken:
    name = name.strip()
    if not 2 <= len(name) <= 64:
        raise TokenError("请填写令牌名称（2–64 个字），如「考核系统」")
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(SCOPES))
    if unknown or not chosen:
        # Named as the form's checkboxes name them: the codes mean nothing to the person.
        raise TokenError(f"请至少勾选一个权限范围：{'、'.join(SCOPES.values())}")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(f"有效期应在 1–{MAX_DAYS} 天之间，留空表示不过期")
    if await queries.active_token_named(name):
        # Audit entries and the token list tell tokens apart by name only.
        raise TokenError(f"已有名为「{name}」的有效令牌（未撤销）：请换一个名称，或先撤销原令牌")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(days=days) if days else None
    token_id = await queries.insert_token(name, hash_token(token), chosen, expires_at, actor_id)
    await audit.record_event(
        "api_token.create",
        actor_id=actor_id,
        actor_name=actor_name,
        target=name,
        ip=ip,
        detail={"token": token_id, "scopes": sorted(chosen), "days": days},
    )
    return IssuedToken(token_id, name, token)


async def find_token(token_id: int) -> queries.TokenRecord:
    """The token a revocation is about (shown for confirmation first)."""
    record = await queries.find_token(token_id)
    if record is None:
        raise TokenNotFound("令牌不存在")
    return record


async def revoke_token(token_id: int, *, actor_id: int, actor_name: str, ip: str) -> None:
    record = await find_token(token_id)
    if record.revoked:
        raise TokenError(f"令牌「{record.name}」已撤销，无需再次撤销")
    await queries.revoke_token(token_id)
    await audit.record_event(
        "api_token.revoke",
        actor_id=actor_id,
        actor_name=actor_name,
        target=record.name,
        ip=ip,
        detail={"token": token_id, "scopes": sorted(record.scopes)},
    )


async def authorise(authorization: str | None, scope: str, *, ip: str, path: str) -> queries.TokenRecord:
    """The token of an `Authorization: Bearer …` header if it may use `scope`; audited."""
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    record = None
    if scheme.lower() == "bearer" and raw:
        record = await queries.find_token_by_hash(hash_token(raw))
    problem: tuple[int, str] | None = None
    now = utcnow()
    if not raw or scheme.lower() != "bearer":
        problem = (401, "缺少 API 令牌：请在请求头中提供 Authorization: Bearer <令牌>")
    elif record is None:
        problem = (401, "API 令牌无效")
    elif record.revoked:
        problem = (401, "API 令牌已被撤销")
    elif record.expires_at is not None and record.expires_at <= now:
        problem = (401, "API 令牌已过期")
    elif scope not in record.scopes:
        problem = (403, f"该令牌没有「{scope}」（{SCOPES.get(scope, scope)}）权限")
    await audit.record_event(
        "api.use",
        actor_id=None,
        actor_name=f"api:{record.name}"[:64] if record else "api",
        target=path,
        success=problem is None,
        ip=ip,
        detail={"scope": scope, "token": record.id if record else None}
        | ({"status": problem[0]} if problem else {}),
    )
    if problem is not None:
        raise ApiAuthError(*problem)
    assert record is not None
    if record.last_used_at is None or now - record.last_used_at > TOUCH_INTERVAL:
        await queries.touch_token(record.id)
    return record


async def list_tokens() -> list[queries.TokenRecord]:
    return await queries.list_tokens()
