"""API tokens for the appraisal system: only their SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.tables import ApiToken


@dataclass(frozen=True)
class TokenRecord:
    id: int
    name: str
    scopes: frozenset[str]
    created_by_name: str
    created_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked: bool
    last_used_at: dt.datetime | None


_COLUMNS = (
    ApiToken.id,
    ApiToken.name,
    ApiToken.scopes,
    ApiToken.created_by.username.as_alias("created_by_name"),
    ApiToken.created_at,
    ApiToken.expires_at,
    ApiToken.revoked,
    ApiToken.last_used_at,
)


def _record(row: dict[str, Any]) -> TokenRecord:
    return TokenRecord(
        id=row["id"],
        name=row["name"],
        scopes=frozenset(row["scopes"].split()),
        created_by_name=row["created_by_name"] or "",
        created_at=aware(row["created_at"]),
        expires_at=aware(row["expires_at"]),
        revoked=bool(row["revoked"]),
        last_used_at=aware(row["last_used_at"]),
    )


async def insert_token(
    name: str,
    token_hash: str,
    scopes: frozenset[str],
    expires_at: dt.datetime | None,
    created_by: int | None,
) -> int:
    rows = await ApiToken.insert(
        ApiToken(
            name=name,
            token_hash=token_hash,
            scopes=" ".join(sorted(scopes)),
            expires_at=expires_at,
            created_by=created_by,
        )
    ).returning(ApiToken.id)
    return int(rows[0]["id"])


async def list_tokens() -> list[TokenRecord]:
    rows = await ApiToken.select(*_COLUMNS).order_by(ApiToken.id, ascending=False)
    return [_record(r) for r in rows]


async def find_token(token_id: int) -> TokenRecord | None:
    row = await ApiToken.select(*_COLUMNS).where(ApiToken.id == token_id).first()
    return _record(row) if row else None


async def active_token_named(name: str) -> bool:
    """Whether a token that is not revoked already has this name."""
    return bool(await ApiToken.exists().where(
        (ApiToken.name == name) & ApiToken.revoked.eq(False)
    ))


async def find_token_by_hash(token_hash: str) -> TokenRecord | None:
    row = await ApiToken.select(*_COLUMNS).where(ApiToken.token_hash == token_hash).first()
    return _record(row) if row else None


async def revoke_token(token_id: int) -> None:
    await ApiToken.update({ApiToken.revoked: True}).where(ApiToken.id == token_id)


async def touch_token(token_id: int) -> None:
    await ApiToken.update({ApiToken.last_used_at: utcnow()}).where(ApiToken.id == token_id)
