"""The read helper shared by the score, response-quality and appraisal queries.

Reads go through `_select` so that SQLite serves them from its reader connections (a plain
Table.raw would take the single writer connection and hold up respondents' submissions for the
whole read).
"""

from __future__ import annotations

from typing import Any

from piccolo.querystring import QueryString

from survey_app.db.tables import Answer


def _marks(count: int) -> str:
    return ", ".join(["{}"] * count)


async def _select(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A read-only statement with {} placeholders, run on a reader connection."""
    engine = Answer._meta.db
    rows = await engine.run_querystring(QueryString(sql, *args, query_type="select"))
    return [dict(row) for row in rows]
