"""The audit log for auditors: Chinese labels, filters (date range, operator, action type or
name, object), paging and a formula-safe XLSX export (itself audited)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from analysis.tabular import write_xlsx
from survey_app.db.queries import audit
from survey_app.db.queries import audit_search as queries
from survey_app.db.queries.audit import AuditEntry
from survey_app.services.audit_labels import (
    ACTION_TYPES,
    action_label,
    action_type,
    actions_matching,
    actor_text,
    detail_text,
    target_text,
)
from survey_app.services.auth import CurrentUser

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 50_000
EXPORT_HEADER = ("时间（北京时间）", "操作人", "操作", "对象", "结果", "IP 地址", "详情")
_CHINA = dt.timezone(dt.timedelta(hours=8))


class AuditQueryError(ValueError):
    """A Chinese message about a filter that cannot be used."""


@dataclass(frozen=True)
class AuditQuery:
    """The filter form as typed (kept on the page)."""

    date_from: str = ""
    date_to: str = ""
    actor: str = ""
    type: str = ""
    action: str = ""
    target: str = ""

    def params(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class EntryView:
    at: dt.datetime
    actor_name: str
    action_label: str
    target: str
    success: bool
    ip: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    entries: list[EntryView]
    total: int
    page: int
    pages: int


def _day(text: str, label: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AuditQueryError(f"{label}格式不正确，应为 2026-12-01 这样的日期") from None


async def _filter(query: AuditQuery) -> queries.AuditFilter:
    start, end = _day(query.date_from, "开始日期"), _day(query.date_to, "结束日期")
    if start and end and end < start:
        raise AuditQueryError("结束日期不能早于开始日期")
    actions: tuple[str, ...] | None = None
    known = await queries.distinct_actions()
    if query.type:
        actions = tuple(a for a in known if action_type(a) == query.type)
    if query.action.strip():
        matching = set(actions_matching(query.action, known))
        actions = tuple(a for a in (actions if actions is not None else known) if a in matching)
    return queries.AuditFilter(
        since=dt.datetime.combine(start, dt.time(), tzinfo=_CHINA) if start else None,
        until=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=_CHINA)
        if end else None,
        actor=query.actor.strip()[:64], actions=actions, target=query.target.strip()[:128],
    )


def _view(entry: AuditEntry) -> EntryView:
    return EntryView(entry.at, actor_text(entry.action, entry.actor_name) or "系统",
                     action_label(entry.action),
                     target_text(entry.action, entry.target), entry.success, entry.ip,
                     detail_text(entry.detail, entry.action))


async def audit_page(query: AuditQuery, page: int) -> AuditPage:
    spec = await _filter(query)
    total = await queries.count(spec)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = await queries.search(spec, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return AuditPage([_view(e) for e in entries], total, page, pages)


async def filter_choices() -> dict[str, object]:
    return {"types": ACTION_TYPES, "actors": await queries.distinct_actors()}


async def export_xlsx(query: AuditQuery, actor: CurrentUser, ip: str) -> bytes:
    spec = await _filter(query)
    total = await queries.count(spec)
    if total > MAX_EXPORT_ROWS:
        raise AuditQueryError(f"符合条件的记录有 {total} 条，超过一次导出上限 {MAX_EXPORT_ROWS} 条，"
                              "请缩小日期范围")
    entries = [_view(e) for e in await queries.search(spec, 0, MAX_EXPORT_ROWS)]
    rows = [(e.at.astimezone(_CHINA).replace(tzinfo=None), e.actor_name, e.action_label,
             e.target, "成功" if e.success else "失败", e.ip, e.detail) for e in entries]
    content = write_xlsx({"审计日志": (EXPORT_HEADER, rows)})
    await audit.record_event("audit.export", actor_id=actor.id, actor_name=actor.username,
                             target="审计日志", ip=ip,
                             detail={"rows": len(rows), "filter": query.params()})
    return content
