"""The audit log: append-only. Callers pass no passwords, tokens or respondent PII."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.tables import AuditLog


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor_name: str
    action: str
    target: str
    success: bool
    ip: str
    detail: dict[str, Any]


async def record_event(
    action: str,
    *,
    actor_id: int | None,
    actor_name: str,
    target: str = "",
    success: bool = True,
    ip: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    await AuditLog.insert(
        AuditLog(
            action=action,
            actor=actor_id,
            actor_name=actor_name,
            target=target,
            success=success,
            ip=ip,
            detail=detail or {},
        )
    )


async def recent_events(limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    query = AuditLog.select().order_by(AuditLog.id, ascending=False).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    return [
        AuditEntry(
            id=r["id"],
            at=aware(r["at"]) or r["at"],
            actor_name=r["actor_name"],
            action=r["action"],
            target=r["target"],
            success=bool(r["success"]),
            ip=r["ip"],
            detail=json_value(r["detail"], {}),
        )
        for r in await query
    ]
