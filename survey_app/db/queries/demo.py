"""Bulk writes used only by the demo loader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from survey_app.db.tables import Respondent, RespondentContact, Unit

BATCH = 500  # keeps each INSERT under SQLite's bound-parameter limit


async def database_is_empty() -> bool:
    return not await Unit.exists() and not await Respondent.exists()


async def insert_respondents(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert roster rows (with optional contact_name/phone); returns key → respondent id."""
    ids: dict[str, int] = {}
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        inserted = await Respondent.insert(
            *[
                Respondent(**{k: v for k, v in row.items() if k not in ("contact_name", "phone")})
                for row in chunk
            ]
        ).returning(Respondent.id, Respondent.key)
        ids.update({r["key"]: r["id"] for r in inserted})
        await RespondentContact.insert(
            *[
                RespondentContact(respondent=ids[row["key"]], contact_name=row.get("contact_name", ""),
                                  phone=row.get("phone", ""))
                for row in chunk
            ]
        )
    return ids
