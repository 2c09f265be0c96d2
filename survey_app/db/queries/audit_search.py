"""Reading the audit log with filters and paging (the log itself is in audit.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.queries.audit import AuditEntry
from survey_app.db.queries.roster import like_pattern
from survey_app.db.tables import AuditLog


@dataclass(frozen=True)
class AuditFilter:
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    actor: str = ""  # operator's username, exact
    actions: tuple[str, ...] | None = None  # None: any; empty: none matches
    target: str = ""  # part of the object


def _where(query: Any, spec: AuditFilter) -> Any:
    if spec.since is not None:
        query = query.where(AuditLog.at >= spec.since)
    if spec.until is not None:
        query = query.where(AuditLog.at < spec.until)
    if spec.actor:
        query = query.where(AuditLog.actor_name == spec.actor)
    if spec.actions is not None:
        query = query.where(AuditLog.action.is_in(list(spec.actions) or ["\x00"]))
    if spec.target:
        query = query.where(AuditLog.target.like(like_pattern(spec.target)))
    return query


def _entry(r: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=r["id"], at=aware(r["at"]) or r["at"], actor_name=r["actor_name"],
        action=r["action"], target=r["target"], success=bool(r["success"]), ip=r["ip"],
        detail=json_value(r["detail"], {}),
    )


async def search(spec: AuditFilter, offset: int, limit: int) -> list[AuditEntry]:
    query = _where(AuditLog.select(), spec).order_by(AuditLog.id, ascending=False)
    return [_entry(r) for r in await query.offset(offset).limit(limit)]


async def count(spec: AuditFilter) -> int:
    return int(await _where(AuditLog.count(), spec))


async def distinct_actions() -> list[str]:
    rows = await AuditLog.select(AuditLog.action).distinct()
    return sorted(r["action"] for r in rows)


async def distinct_actors() -> list[str]:
    rows = await AuditLog.select(AuditLog.actor_name).distinct()
    return sorted(r["actor_name"] for r in rows if r["actor_name"])

