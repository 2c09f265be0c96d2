"""The roster (样本框): import with a row-by-row error report, browsing with masked contacts,
revealing one contact on demand (audited), and marking respondents closed or unreachable.

Personal information (contact names, phones, residents' names) is masked everywhere by default
and never written to logs or audit details; audit events name respondents by their row id.
"""

from __future__ import annotations

import asyncio
import base64
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from questionnaires.roster import (
    FIELD_LABELS,
    RosterImportError,
    RosterKind,
    RosterParseResult,
    RosterRecord,
    RowError,
    UploadLimits,
    build_error_report_xlsx,
    normalize_phone,
    parse_roster,
    rows_with_problems,
)
from survey_app.db.queries import audit
from survey_app.db.queries import jobs as job_queries
from survey_app.db.queries import roster as queries
from survey_app.db.queries.roster import RosterFilter as RosterFilter  # for the pages
from survey_app.errors import InvalidInput
from survey_app.services import roster_review
from survey_app.services.auth import CurrentUser
from survey_app.services.job_queue import submit_job
from survey_app.services.roster_review import FieldChange

ROSTER_KINDS = {"enterprise": "企业", "resident": "居民"}
STATUS_LABELS = {"active": "正常", "closed": "已注销/停业", "unreachable": "联系不上"}
PAGE_SIZE = 50
# The import result keeps this many row errors (page and XLSX); a file with more needs fixing
# as a whole, and the page says how many there were in all.
MAX_KEPT_ERRORS = 5_000
IMPORT_JOB_KIND = "roster.import"

# Roster fields written from an import, per kind (contacts live apart).
_RESPONDENT_FIELDS = {
    RosterKind.ENTERPRISE: ("name", "industry", "size_class", "park"),
    RosterKind.RESIDENT: ("name", "street", "community", "age_band"),
}
_CONTACT_FIELDS = ("contact_name", "phone")
# Fields whose values are personal information, per kind (masked in error reports too).
_PERSONAL_FIELDS = {
    RosterKind.ENTERPRISE: frozenset({"contact_name", "phone"}),
    RosterKind.RESIDENT: frozenset({"name", "phone"}),
}

Progress = Callable[[int, str], Awaitable[None]]


class RosterError(InvalidInput):
    """A Chinese message about a roster request that cannot be done."""


@dataclass(frozen=True)
class Actor:
    """Who does something, for the audit log (a staff member, a job on their behalf, or the
    system when the demo loader runs)."""

    id: int | None
    name: str
    ip: str = ""

    @classmethod
    def of(cls, user: CurrentUser, ip: str) -> Actor:
        return cls(user.id, user.username, ip)


SYSTEM = Actor(None, "system")


# --- masking ---------------------------------------------------------------------------------


def mask_phone(phone: str) -> str:
    """138****1234: the first three and last four digits stay, so staff can still tell numbers
    apart; short numbers keep less."""
    if not phone:
        return ""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return phone[:1] + "*" * (len(phone) - 1)


def mask_name(name: str) -> str:
    """张* / 欧** : only the first character (the surname, usually) stays."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def display_key(kind: str, key: str) -> str:
    """A resident roster without an 编号 column is keyed by phone: mask it like one."""
    if kind == RosterKind.RESIDENT and normalize_phone(key) is not None:
        return mask_phone(key)
    return key


def display_name(kind: str, name: str) -> str:
    """Firms' names are public; residents' names are personal information."""
    return mask_name(name) if kind == RosterKind.RESIDENT else name


# --- browsing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    id: int
    kind: str
    key: str
    name: str
    industry: str
    size_class: str
    place: str
    community: str
    age_band: str
    status: str
    contact_name: str  # masked
    phone: str  # masked

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class RosterPage:
    lines: list[RosterLine]
    total: int
    page: int
    pages: int
    industries: list[str] = field(default_factory=list)
    size_classes: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


def _line(record: queries.RespondentRecord, contact: queries.ContactRecord | None) -> RosterLine:
    return RosterLine(
        id=record.id, kind=record.kind, key=display_key(record.kind, record.key),
        name=display_name(record.kind, record.name), industry=record.industry,
        size_class=record.size_class, place=record.park or record.street,
        community=record.community, age_band=record.age_band, status=record.status,
        contact_name=mask_name(contact.contact_name) if contact else "",
        phone=mask_phone(contact.phone) if contact else "",
    )


async def roster_page(roster_filter: queries.RosterFilter, page: int) -> RosterPage:
    total = await queries.count_respondents(roster_filter)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    records = await queries.list_respondents(roster_filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    contacts = await queries.contacts_of([r.id for r in records])
    kind = roster_filter.kind
    place_fields = ("park",) if kind == RosterKind.ENTERPRISE else ("street",)
    places = sorted({v for f in place_fields for v in await queries.distinct_values(kind, f)})
    return RosterPage(
        lines=[_line(r, contacts.get(r.id)) for r in records], total=total, page=page, pages=pages,
        industries=await queries.distinct_values(kind, "industry"),
        size_classes=await queries.distinct_values(kind, "size_class"),
        places=places,
    )


@dataclass(frozen=True)
class RevealedContact:
    respondent: queries.RespondentRecord
    contact_name: str
    phone: str


async def reveal_contact(respondent_id: int, actor: Actor) -> RevealedContact:
    """The full contact of ONE respondent, for an admin who asked for it; audited."""
    respondent = await queries.find_respondent(respondent_id)
    if respondent is None:
        raise RosterError("该对象不存在")
    contact = await queries.find_contact(respondent_id)
    await audit.record_event(
        "roster.contact_view", actor_id=actor.id, actor_name=actor.name,
        target=f"respondent:{respondent_id}", ip=actor.ip, detail={"kind": respondent.kind},
    )
    return RevealedContact(
        respondent, contact.contact_name if contact else "", contact.phone if contact else ""
    )


async def mark_status(respondent_ids: list[int], status: str, actor: Actor) -> int:
    if status not in STATUS_LABELS:
        raise RosterError("未知的状态")
    if not respondent_ids:
        raise RosterError("请先勾选要标记的对象")
    changed = await queries.set_respondent_status(respondent_ids, status)
    await audit.record_event(
        "roster.status", actor_id=actor.id, actor_name=actor.name, target="roster",
        ip=actor.ip, detail={"status": status, "count": changed, "ids": respondent_ids[:200]},
    )
    return changed


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    data_rows: int
    inserted: int
    updated: int
    error_count: int
    errors: tuple[RowError, ...]  # the first MAX_KEPT_ERRORS, personal values masked
    ignored_columns: tuple[str, ...]
    mapped_columns: dict[str, str]  # file header -> field label
    header: tuple[str, ...] = ()
    originals: dict[int, tuple[str, ...]] = field(default_factory=dict)  # rows with errors
    # Held for confirmation: what the import would change in existing respondents.
    needs_confirmation: bool = False
    pending: tuple[FieldChange, ...] = ()
    pending_count: int = 0  # changed fields
    # Rows, not problems: data_rows = rows written (new + changed + unchanged) + problem_rows.
    problem_rows: int = 0
    new_rows: int = 0  # held imports: what confirming would write
    changed_rows: int = 0
    unchanged_rows: int = 0

    @property
    def rows_to_write(self) -> int:
        return self.new_rows + self.changed_rows

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "data_rows": self.data_rows, "inserted": self.inserted,
            "updated": self.updated, "error_count": self.error_count,
            "errors": [[e.row_number, e.column, e.reason, e.value] for e in self.errors],
            "ignored_columns": list(self.ignored_columns),
            "mapped_columns": self.mapped_columns, "header": list(self.header),
            "originals": {str(k): list(v) for k, v in self.originals.items()},
            "needs_confirmation": self.needs_confirmation,
            "pending": [c.to_json() for c in self.pending], "pending_count": self.pending_count,
            "problem_rows": self.problem_rows, "new_rows": self.new_rows,
            "changed_rows": self.changed_rows, "unchanged_rows": self.unchanged_rows,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportSummary:
        errors = tuple(RowError(int(r), str(c), str(m), str(v)) for r, c, m, v in data["errors"])
        pending = tuple(FieldChange.from_json(c) for c in data.get("pending", []))
        # Results stored before the row counts existed: count from what was kept.
        problem_rows = int(data.get("problem_rows", rows_with_problems(errors)))
        changed_rows = int(data.get("changed_rows", len({c.row_number for c in pending})))
        written = int(data["inserted"]) + int(data["updated"])
        new_rows = int(data.get("new_rows", max(
            0, int(data["data_rows"]) - problem_rows - changed_rows) if pending else written))
        return cls(
            kind=str(data["kind"]), data_rows=int(data["data_rows"]),
            inserted=int(data["inserted"]), updated=int(data["updated"]),
            error_count=int(data["error_count"]),
            errors=errors,
            ignored_columns=tuple(data["ignored_columns"]),
            mapped_columns=dict(data["mapped_columns"]),
            header=tuple(data.get("header", ())),
            originals={int(k): tuple(v) for k, v in data.get("originals", {}).items()},
            needs_confirmation=bool(data.get("needs_confirmation", False)),
            pending=pending, pending_count=int(data.get("pending_count", 0)),
            problem_rows=problem_rows, new_rows=new_rows, changed_rows=changed_rows,
            unchanged_rows=int(data.get("unchanged_rows", 0)),
        )


async def submit_import(data: bytes, kind: str, actor: Actor, *, max_bytes: int) -> int:
    """Queue the import as a job (the worker may run on another machine, so the file travels
    in the job's parameters; the job removes it when done). Returns the job id."""
    if kind not in ROSTER_KINDS:
        raise RosterError("请选择名单类型：企业或居民")
    if not data:
        raise RosterError("请选择要上传的名单文件（CSV 或 XLSX）")
    if len(data) > max_bytes:
        raise RosterError(f"文件大小超过上限 {max_bytes / 1024 / 1024:.0f} MB，请拆分后分批导入")
    params = {"kind": kind, "data": base64.b64encode(data).decode("ascii"),
              "max_bytes": max_bytes, "actor_name": actor.name, "ip": actor.ip}
    return await submit_job(IMPORT_JOB_KIND, params, actor.id)


async def import_roster(
    data: bytes, kind: str, actor: Actor, *, max_bytes: int, progress: Progress | None = None,
    confirmed: bool = False,
) -> ImportSummary:
    """Parse the file, then upsert every valid row by key in ONE transaction.

    A file that cannot be read raises RosterImportError and changes nothing; rows with problems
    (including unknown 行业/规模/园区/街道) are left out and reported; the rest is written. Unless
    `confirmed`, an import that would change existing respondents writes nothing and returns
    the before/after list (needs_confirmation).
    """
    if kind not in ROSTER_KINDS:
        raise RosterImportError("请选择名单类型：企业或居民")
    roster_kind = RosterKind(kind)
    if progress:
        await progress(5, "正在读取和检查文件")
    # Parsing 200 000 rows takes tens of seconds of CPU: keep the event loop free.
    parsed = await asyncio.to_thread(parse_roster, data, roster_kind,
                                   UploadLimits(max_bytes=max_bytes),
                                   await roster_review.vocabulary())
    records, conflicts = await _without_kind_conflicts(parsed)
    mapped_fields = set(parsed.column_mapping.values())
    fields = [f for f in _RESPONDENT_FIELDS[roster_kind] if f in mapped_fields]
    errors = sorted([*parsed.errors, *conflicts], key=lambda e: e.row_number)
    base = dict(
        kind=kind, data_rows=parsed.data_rows, error_count=len(errors),
        problem_rows=rows_with_problems(errors),
        errors=tuple(_masked_error(e, parsed, roster_kind) for e in errors[:MAX_KEPT_ERRORS]),
        ignored_columns=parsed.ignored_columns,
        mapped_columns={h: FIELD_LABELS[f] for h, f in parsed.column_mapping.items()},
        header=parsed.header, originals=_masked_originals(parsed, roster_kind, errors),
    )
    if not confirmed:
        preview = await roster_review.preview(roster_kind, records, fields, _mask_value,
                                              display_key)
        pending = preview.changes
        if pending:
            await audit.record_event(
                "roster.import_held", actor_id=actor.id, actor_name=actor.name, target=kind,
                ip=actor.ip, detail={"rows": parsed.data_rows, "changes": len(pending)},
            )
            return ImportSummary(
                inserted=0, updated=0, needs_confirmation=True,
                pending=tuple(pending[:roster_review.MAX_SHOWN_CHANGES]),
                pending_count=len(pending), new_rows=preview.new_rows,
                changed_rows=preview.changed_rows, unchanged_rows=preview.unchanged_rows,
                **base,  # type: ignore[arg-type]
            )
    if progress:
        await progress(60, f"正在写入 {len(records)} 条记录")
    counts = await queries.upsert_roster(
        kind, [_roster_row(record, roster_kind) for record in records], fields,
        [f for f in _CONTACT_FIELDS if f in mapped_fields],
    )
    summary = ImportSummary(inserted=counts.inserted, updated=counts.updated,
                            **base)  # type: ignore[arg-type]
    await audit.record_event(
        "roster.import", actor_id=actor.id, actor_name=actor.name, target=kind, ip=actor.ip,
        detail={"rows": parsed.data_rows, "inserted": counts.inserted,
                "updated": counts.updated, "errors": len(errors),
                "problem_rows": base["problem_rows"]},
    )
    return summary


def _roster_row(record: RosterRecord, kind: RosterKind) -> queries.RosterRow:
    return queries.RosterRow(
        key=record.key,
        fields={f: getattr(record, f) for f in _RESPONDENT_FIELDS[kind]},
        contact={f: getattr(record, f, "") for f in _CONTACT_FIELDS},
    )


async def _without_kind_conflicts(
    parsed: RosterParseResult,
) -> tuple[list[RosterRecord], list[RowError]]:
    """Keys are unique across kinds: a row whose key belongs to the other kind is refused."""
    existing = await queries.existing_kinds(r.key for r in parsed.records)
    other = {k: v for k, v in existing.items() if v != parsed.kind}
    if not other:
        return list(parsed.records), []
    key_column = next(
        (h for h, f in parsed.column_mapping.items() if f in ("uscc", "resident_id")),
        next((h for h, f in parsed.column_mapping.items() if f == "phone"), "编号"),
    )
    conflicts = [
        RowError(r.row_number, key_column,
                 f"该编号已属于{ROSTER_KINDS[other[r.key]]}名单中的对象，不能导入为"
                 f"{ROSTER_KINDS[parsed.kind]}", display_key(parsed.kind, r.key))
        for r in parsed.records if r.key in other
    ]
    return [r for r in parsed.records if r.key not in other], conflicts


def _mask_value(kind: RosterKind, field_name: str, value: str) -> str:
    if field_name == "phone":
        return mask_phone(value)
    return mask_name(value) if field_name in _PERSONAL_FIELDS[kind] else value


def _masked_originals(parsed: RosterParseResult, kind: RosterKind,
                      errors: list[RowError]) -> dict[int, tuple[str, ...]]:
    """The uploaded cells of the kept error rows, personal columns masked."""
    fields = [parsed.column_mapping.get(h, "") for h in parsed.header]
    kept = {e.row_number for e in errors[:MAX_KEPT_ERRORS]}
    return {
        row: tuple(_mask_value(kind, fields[i] if i < len(fields) else "", cell)
                   for i, cell in enumerate(cells))
        for row, cells in parsed.error_rows.items() if row in kept
    }


def _masked_error(error: RowError, parsed: RosterParseResult, kind: RosterKind) -> RowError:
    field_name = parsed.column_mapping.get(error.column)
    if field_name == "phone" or (field_name == "resident_id" and normalize_phone(error.value)):
        return RowError(error.row_number, error.column, error.reason, mask_phone(error.value))
    if field_name in _PERSONAL_FIELDS[kind]:
        return RowError(error.row_number, error.column, error.reason, mask_name(error.value))
    return error


async def import_result(job_id: int) -> ImportSummary | None:
    """The summary stored by a finished import job (None while it runs or when it failed)."""
    job = await job_queries.find_job(job_id)
    if job is None or job.kind != IMPORT_JOB_KIND or job.status != "done":
        return None
    return ImportSummary.from_json(job.result["summary"])


async def error_report_xlsx(job_id: int, actor: Actor) -> bytes:
    summary = await import_result(job_id)
    if summary is None:
        raise RosterError("导入任务不存在或尚未完成")
    await audit.record_event(
        "roster.error_report", actor_id=actor.id, actor_name=actor.name,
        target=f"job:{job_id}", ip=actor.ip, detail={"errors": len(summary.errors)},
    )
    return build_error_report_xlsx(summary.errors, summary.header, dict(summary.originals))


async def confirm_import(job_id: int, actor: Actor) -> int:
    """Write a held import: a new job with the same upload, confirmed. Returns its id."""
    job = await job_queries.find_job(job_id)
    summary = await import_result(job_id)
    if job is None or summary is None or not summary.needs_confirmation \
            or "data" not in job.params:
        raise RosterError("该导入已确认、已取消或不存在，请重新上传")
    params = {**job.params, "confirmed": True, "held_job": job_id}
    new_job = await submit_job(IMPORT_JOB_KIND, params, actor.id)
    await forget_upload(job_id, summary.kind, len(str(job.params["data"])) * 3 // 4)
    await audit.record_event(
        "roster.import_confirm", actor_id=actor.id, actor_name=actor.name,
        target=f"job:{job_id}", ip=actor.ip, detail={"changes": summary.pending_count},
    )
    return new_job


async def cancel_import(job_id: int, actor: Actor) -> None:
    job = await job_queries.find_job(job_id)
    summary = await import_result(job_id)
    if job is None or summary is None or "data" not in job.params:
        raise RosterError("该导入已确认、已取消或不存在")
    await forget_upload(job_id, summary.kind, len(str(job.params["data"])) * 3 // 4)
    await audit.record_event(
        "roster.import_cancel", actor_id=actor.id, actor_name=actor.name,
        target=f"job:{job_id}", ip=actor.ip, detail={"changes": summary.pending_count},
    )


async def forget_upload(job_id: int, kind: str, size: int) -> None:
    await queries.forget_job_upload(job_id, {"kind": kind, "size": size})

