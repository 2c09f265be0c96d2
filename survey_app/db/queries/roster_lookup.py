"""Respondent id lookups by roster key."""

from __future__ import annotations

from survey_app.db.tables import Respondent


async def respondent_ids_by_key(keys: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        rows = await Respondent.select(Respondent.id, Respondent.key).where(
            Respondent.key.is_in(keys[start : start + 500])
        )
        ids.update({r["key"]: r["id"] for r in rows})
    return ids
