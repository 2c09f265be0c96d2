"""Queries of the analysts' word lists (synonyms, stop words, custom words): every save is a
new version; a run uses the latest version of each list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.tables import ThemeLexicon


@dataclass(frozen=True)
class LexiconVersion:
    id: int
    kind: str
    version: int
    entries: list[Any]
    created_by: str
    created_at: dt.datetime | None


def _version(row: dict[str, Any]) -> LexiconVersion:
    return LexiconVersion(row["id"], row["kind"], row["version"],
                          list(json_value(row["entries"], [])), row.get("username") or "",
                          aware(row["created_at"]))


_COLUMNS = (
    ThemeLexicon.id, ThemeLexicon.kind, ThemeLexicon.version, ThemeLexicon.entries,
    ThemeLexicon.created_by.username.as_alias("username"), ThemeLexicon.created_at,
)


async def latest(kind: str) -> LexiconVersion | None:
    row = await (
        ThemeLexicon.select(*_COLUMNS).where(ThemeLexicon.kind == kind)
        .order_by(ThemeLexicon.version, ascending=False).first()
    )
    return _version(row) if row else None


async def history(kind: str, limit: int = 20) -> list[LexiconVersion]:
    rows = await (
        ThemeLexicon.select(*_COLUMNS).where(ThemeLexicon.kind == kind)
        .order_by(ThemeLexicon.version, ascending=False).limit(limit)
    )
    return [_version(row) for row in rows]


async def save(kind: str, entries: list[Any], user_id: int | None) -> int:
    """A new version of the list; returns its version number."""
    current = await latest(kind)
    version = (current.version if current else 0) + 1
    await ThemeLexicon.insert(
        ThemeLexicon(kind=kind, version=version, entries=entries, created_by=user_id)
    )
    return version

