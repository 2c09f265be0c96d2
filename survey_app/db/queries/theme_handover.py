"""Queries of the hand-over to units (整改): handing a theme over, and its rectification
thread — the unit's replies and the analyst's or office's acceptance or return, in order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.queries.themes import ASSIGNED
from survey_app.db.tables import Theme, ThemeReply, Unit


@dataclass(frozen=True)
class ThreadEntry:
    id: int
    kind: str  # reply accept return
    status: str
    text: str
    actor_name: str
    created_at: dt.datetime | None


async def hand_over(theme_id: int, unit_id: int, deadline: dt.datetime, note: str) -> None:
    await Theme.update(
        {
            Theme.status: ASSIGNED,
            Theme.unit: unit_id,
            Theme.deadline: deadline,
            Theme.handover_note: note,
            Theme.updated_at: utcnow(),
        }
    ).where(Theme.id == theme_id)


async def add_entry(
    theme_id: int, *, kind: str, status: str, text: str, actor_id: int | None, actor_name: str
) -> None:
    """One entry of the thread; the theme takes its status, and a unit's reply is also kept
    as the theme's latest reply (the list and the export show it)."""
    now = utcnow()
    await ThemeReply.insert(
        ThemeReply(theme=theme_id, kind=kind, status=status, text=text, actor=actor_id,
                   actor_name=actor_name, created_at=now)
    )
    values: dict = {Theme.status: status, Theme.updated_at: now}
    if kind == "reply":
        values.update({Theme.reply: text, Theme.replied_at: now})
    await Theme.update(values).where(Theme.id == theme_id)


async def thread(theme_id: int) -> list[ThreadEntry]:
    rows = await ThemeReply.select(
        ThemeReply.id, ThemeReply.kind, ThemeReply.status, ThemeReply.text,
        ThemeReply.actor_name, ThemeReply.created_at,
    ).where(ThemeReply.theme == theme_id).order_by(ThemeReply.id)
    return [
        ThreadEntry(row["id"], row["kind"], row["status"], row["text"], row["actor_name"],
                    aware(row["created_at"]))
        for row in rows
    ]


async def unit_code(unit_id: int) -> str | None:
    row = await Unit.select(Unit.code).where(Unit.id == unit_id).first()
    return row["code"] if row else None
