"""The audit log: append-only and tamper-evident. Callers pass no passwords, tokens or PII.

Every entry stores `prev_hash` (the previous entry's hash) and `entry_hash`, a SHA-256 over its
own canonical fields and `prev_hash`. Editing an entry changes its hash; deleting or inserting
one breaks the link of the next. Appends are serialised so the chain stays linear under
concurrent writers: SQLite transactions already hold the database write lock; on PostgreSQL
each append takes a transaction-scoped advisory lock. Truncating the tail is only visible
against a hash recorded elsewhere (`survey-app audit-verify --anchor`), so operators should
keep the last hash it prints outside the database (等保: protect and back up audit records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import AuditLog

# Any constant unique to this application: the key of the PostgreSQL advisory lock.
_APPEND_LOCK_KEY = 0x5355_5256_4159_4155  # "SURVAYAU"
_VERIFY_BATCH = 1000


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


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries read
    unchained: int  # entries written before the chain existed (migration 0006)
    last_hash: str
    broken_at: int | None = None  # id of the first entry that fails the check
    problem: str = ""  # Chinese, for the operator
    anchor_found: bool | None = None  # None when no anchor was given

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.anchor_found is not False


def _canonical_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail as it will read back from JSON/JSONB, so hashing before and after agrees.

    PostgreSQL's jsonb prints integral numbers without a fraction (1.0 -> 1, 1e20 -> 100…0),
    so integral floats are stored as ints from the start.
    """

    def normalise(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {str(k): normalise(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [normalise(v) for v in value]
        return value

    decoded = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    return normalise(decoded)  # type: ignore[no-any-return]


def _timestamp(at: dt.datetime) -> str:
    return (aware(at) or at).astimezone(dt.UTC).isoformat(timespec="microseconds")


def chain_hash(
    *,
    prev_hash: str,
    at: dt.datetime,
    actor_name: str,
    action: str,
    target: str,
    success: bool,
    ip: str,
    detail: dict[str, Any],
) -> str:
    """SHA-256 of an entry's canonical fields and the previous hash.

    The actor's user id is left out on purpose: deleting a user sets it to NULL (ON DELETE SET
    NULL), which must not read as tampering; `actor_name` keeps who it was.
    """
    canonical = json.dumps(
        [prev_hash, _timestamp(at), actor_name, action, target, bool(success), ip, detail],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _fit(column: Any, value: str) -> str:
    """Cut to the column's length: an over-long target must not make the audited action fail."""
    return value[: column.length]


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
    fields: dict[str, Any] = {
        "actor_name": _fit(AuditLog.actor_name, actor_name),
        "action": _fit(AuditLog.action, action),
        "target": _fit(AuditLog.target, target),
        "success": bool(success),
        "ip": _fit(AuditLog.ip, ip),
        "detail": _canonical_detail(detail),
    }
    engine = AuditLog._meta.db
    async with engine.transaction():
        if engine.engine_type == "postgres":
            await AuditLog.raw("SELECT pg_advisory_xact_lock({})", _APPEND_LOCK_KEY)
        last = (
            await AuditLog.select(AuditLog.entry_hash)
            .order_by(AuditLog.id, ascending=False)
            .first()
        )
        prev_hash = last["entry_hash"] if last else ""
        # Taken under the lock so that time order and chain order agree.
        at = utcnow()
        entry_hash = chain_hash(prev_hash=prev_hash, at=at, **fields)
        await AuditLog.insert(
            AuditLog(actor=actor_id, at=at, prev_hash=prev_hash, entry_hash=entry_hash, **fields)
        )


def _entry(r: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=r["id"],
        at=aware(r["at"]) or r["at"],
        actor_name=r["actor_name"],
        action=r["action"],
        target=r["target"],
        success=bool(r["success"]),
        ip=r["ip"],
        detail=json_value(r["detail"], {}),
    )


async def recent_events(limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    query = AuditLog.select().order_by(AuditLog.id, ascending=False).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    return [_entry(r) for r in await query]


async def recent_events_on(
    target: str, actions: tuple[str, ...], limit: int = 50
) -> list[AuditEntry]:
    """The latest successful entries with one of `actions` on `target`, newest first."""
    query = (
        AuditLog.select()
        .where(
            (AuditLog.target == target) & AuditLog.action.is_in(list(actions))
            & (AuditLog.success == True)  # noqa: E712  (a column comparison, not a truth test)
        )
        .order_by(AuditLog.id, ascending=False)
        .limit(limit)
    )
    return [_entry(r) for r in await query]


async def verify_chain(anchor: str | None = None) -> ChainReport:
    """Walk the whole log in id order and report the first entry that breaks the chain."""
    entries = unchained = 0
    previous = ""
    started = False
    anchor_found = False
    after_id = 0
    while True:
        rows = (
            await AuditLog.select()
            .where(AuditLog.id > after_id)
            .order_by(AuditLog.id)
            .limit(_VERIFY_BATCH)
        )
        if not rows:
            break
        for row in rows:
            entries += 1
            after_id = row["id"]
            if not started and not row["entry_hash"] and not row["prev_hash"]:
                unchained += 1
                continue
            started = True
            problem = _entry_problem(row, previous)
            if problem:
                return ChainReport(entries, unchained, previous, row["id"], problem,
                                   anchor_found if anchor else None)
            previous = row["entry_hash"]
            anchor_found = anchor_found or previous == anchor
    if anchor and not anchor_found:
        return ChainReport(entries, unchained, previous, None,
                           "未找到锚定的哈希值：该记录之后的日志可能被截断或整体替换", False)
    return ChainReport(entries, unchained, previous, None, "", True if anchor else None)


def _entry_problem(row: dict[str, Any], previous: str) -> str:
    if row["prev_hash"] != previous:
        return "与上一条记录的哈希不衔接：其前的记录可能被删除、插入或修改"
    expected = chain_hash(
        prev_hash=row["prev_hash"],
        at=row["at"],
        actor_name=row["actor_name"],
        action=row["action"],
        target=row["target"],
        success=bool(row["success"]),
        ip=row["ip"],
        detail=_canonical_detail(json_value(row["detail"], {})),
    )
    if row["entry_hash"] != expected:
        return "记录内容与其哈希不符：该记录可能被修改"
    return ""
