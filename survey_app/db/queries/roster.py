"""The roster (样本框): respondents and, apart from them, their contact details.

Contact details are returned only by the functions whose names say so (`contacts_of`,
`find_contact`); callers mask them before they reach a page. Bulk import writes through
multi-row `INSERT … ON CONFLICT (key) DO UPDATE` statements, so 200 000 rows take a few hundred
statements, and all of them run in ONE transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.tables import Job, Respondent, RespondentContact

RESPONDENT_STATUSES = ("active", "closed", "unreachable")

# Columns of the respondent table an import may write, and those of respondent_contact.
RESPONDENT_FIELDS = ("name", "industry", "size_class", "park", "street", "community", "age_band")
CONTACT_FIELDS = ("contact_name", "phone")
# Rows per INSERT: 500 rows x at most 11 values stays far below SQLite's 32 766 and asyncpg's
# 32 767 bind parameters.
BATCH_ROWS = 500


@dataclass(frozen=True)
class RosterFilter:
    kind: str = "enterprise"
    industry: str = ""
    size_class: str = ""
    place: str = ""  # park or street
    status: str = ""
    search: str = ""  # part of the name or the key


@dataclass(frozen=True)
class RespondentRecord:
    id: int
    kind: str
    key: str
    name: str
    industry: str
    size_class: str
    park: str
    street: str
    community: str
    age_band: str
    status: str
    updated_at: dt.datetime | None


@dataclass(frozen=True)
class ContactRecord:
    """Personal information: never logged, masked on every page unless an admin asks."""

    respondent_id: int
    contact_name: str
    phone: str


@dataclass(frozen=True)
class FrameMember:
    id: int
    key: str
    attributes: dict[str, str]


@dataclass(frozen=True)
class RosterRow:
    """One respondent as an import writes it; `fields` holds only the columns the file had."""

    key: str
    fields: dict[str, str]
    contact: dict[str, str]


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int


def _record(row: dict[str, Any]) -> RespondentRecord:
    return RespondentRecord(
        id=row["id"], kind=row["kind"], key=row["key"], name=row["name"],
        industry=row["industry"], size_class=row["size_class"], park=row["park"],
        street=row["street"], community=row["community"], age_band=row["age_band"],
        status=row["status"], updated_at=aware(row["updated_at"]),
    )


def like_pattern(text: str) -> str:
    """A LIKE pattern for "contains text". Piccolo has no ESCAPE clause (and SQLite has no
    default escape character), so a typed % becomes the one-character wildcard _: the search
    may then match a little more, never less."""
    return "%" + text.replace("%", "_") + "%"


def _filtered(query: Any, roster_filter: RosterFilter) -> Any:
    query = query.where(Respondent.kind == roster_filter.kind)
    if roster_filter.industry:
        query = query.where(Respondent.industry == roster_filter.industry)
    if roster_filter.size_class:
        query = query.where(Respondent.size_class == roster_filter.size_class)
    if roster_filter.place:
        query = query.where(
            (Respondent.park == roster_filter.place) | (Respondent.street == roster_filter.place)
        )
    if roster_filter.status:
        query = query.where(Respondent.status == roster_filter.status)
    if roster_filter.search:
        pattern = like_pattern(roster_filter.search)
        query = query.where(Respondent.name.like(pattern) | Respondent.key.like(pattern))
    return query


async def list_respondents(
    roster_filter: RosterFilter, offset: int, limit: int
) -> list[RespondentRecord]:
    query = _filtered(Respondent.select(), roster_filter).order_by(Respondent.id)
    return [_record(r) for r in await query.offset(offset).limit(limit)]


async def count_respondents(roster_filter: RosterFilter) -> int:
    return int(await _filtered(Respondent.count(), roster_filter))


async def distinct_values(kind: str, field: str) -> list[str]:
    if field not in RESPONDENT_FIELDS:
        raise ValueError(f"unknown roster field {field!r}")
    column = Respondent._meta.get_column_by_name(field)
    rows = await Respondent.select(column).where(
        (Respondent.kind == kind) & (column != "")
    ).distinct().order_by(column)
    return [r[field] for r in rows]


async def find_respondent(respondent_id: int) -> RespondentRecord | None:
    row = await Respondent.select().where(Respondent.id == respondent_id).first()
    return _record(row) if row else None


async def contacts_of(respondent_ids: Sequence[int]) -> dict[int, ContactRecord]:
    if not respondent_ids:
        return {}
    rows = await RespondentContact.select().where(
        RespondentContact.respondent.is_in(list(respondent_ids))
    )
    return {
        r["respondent"]: ContactRecord(r["respondent"], r["contact_name"], r["phone"])
        for r in rows
    }


async def find_contact(respondent_id: int) -> ContactRecord | None:
    return (await contacts_of([respondent_id])).get(respondent_id)


async def set_respondent_status(respondent_ids: Sequence[int], status: str) -> int:
    if status not in RESPONDENT_STATUSES:
        raise ValueError(f"unknown respondent status {status!r}")
    if not respondent_ids:
        return 0
    rows = await Respondent.update(
        {Respondent.status: status, Respondent.updated_at: utcnow()}
    ).where(Respondent.id.is_in(list(respondent_ids))).returning(Respondent.id)
    return len(rows)


async def frame_members(kind: str, attribute_names: Sequence[str]) -> list[FrameMember]:
    """Active respondents of a kind with the attributes the sampler may use (no contacts)."""
    columns = [Respondent._meta.get_column_by_name(name) for name in attribute_names]
    rows = await Respondent.select(Respondent.id, Respondent.key, *columns).where(
        (Respondent.kind == kind) & (Respondent.status == "active")
    )
    return [
        FrameMember(r["id"], r["key"], {name: r[name] for name in attribute_names}) for r in rows
    ]


async def upsert_roster(
    kind: str, rows: Sequence[RosterRow], respondent_fields: Sequence[str],
    contact_fields: Sequence[str],
) -> UpsertCounts:
    """Insert new keys, update existing ones (only the given columns), in ONE transaction.

    The caller has already made sure no key belongs to a respondent of the other kind.
    """
    fields = [f for f in RESPONDENT_FIELDS if f in respondent_fields]
    contacts = [f for f in CONTACT_FIELDS if f in contact_fields]
    inserted = updated = 0
    async with Respondent._meta.db.transaction():
        for batch in batches(list(rows)):
            existing = await Respondent.select(Respondent.key).where(
                Respondent.key.is_in([r.key for r in batch])
            )
            updated += len(existing)
            inserted += len(batch) - len(existing)
            ids = await _upsert_respondents(kind, batch, fields)
            if contacts:
                await _upsert_contacts(batch, ids, contacts)
    return UpsertCounts(inserted, updated)


async def _upsert_respondents(
    kind: str, batch: Sequence[RosterRow], fields: Sequence[str]
) -> dict[str, int]:
    columns = ["kind", "key", *fields, "updated_at"]
    now = utcnow()
    values: list[Any] = []
    for row in batch:
        values.extend([kind, row.key, *(row.fields.get(f, "") for f in fields), now])
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in [*fields, "updated_at"])
    # Column names come from the fixed RESPONDENT_FIELDS; every value is a bind parameter.
    sql = (
        f"INSERT INTO respondent ({column_list(columns)}) VALUES {row_placeholders(batch, columns)} "  # noqa: S608
        f'ON CONFLICT ("key") DO UPDATE SET {updates} RETURNING "id", "key"'
    )
    rows = await Respondent.raw(sql, *values)
    return {r["key"]: r["id"] for r in rows}


async def _upsert_contacts(
    batch: Sequence[RosterRow], ids: dict[str, int], fields: Sequence[str]
) -> None:
    columns = ["respondent", *fields]
    values: list[Any] = []
    for row in batch:
        values.extend([ids[row.key], *(row.contact.get(f, "") for f in fields)])
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in fields)
    sql = (
        f"INSERT INTO respondent_contact ({column_list(columns)}) "  # noqa: S608
        f'VALUES {row_placeholders(batch, columns)} ON CONFLICT ("respondent") DO UPDATE SET {updates}'
    )
    await RespondentContact.raw(sql, *values)


async def existing_kinds(keys: Iterable[str]) -> dict[str, str]:
    """Kind of each key already in the roster (to refuse a resident key taken by a firm)."""
    found: dict[str, str] = {}
    for batch in batches(list(keys)):
        rows = await Respondent.select(Respondent.key, Respondent.kind).where(
            Respondent.key.is_in(batch)
        )
        found.update({r["key"]: r["kind"] for r in rows})
    return found


async def forget_job_upload(job_id: int, kept: dict[str, Any]) -> None:
    """Replace an import job's parameters (which carried the uploaded file) by a summary.

    The file holds contact details; it must not outlive the import in the job table.
    """
    await Job.update({Job.params: kept}).where(Job.id == job_id)


# Multi-row INSERTs are written as raw SQL: building one Piccolo Table object per row costs about
# half a millisecond, i.e. half a minute for a 50 000-unit sample.


def column_list(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def row_placeholders(batch: Sequence[object], columns: Sequence[str]) -> str:
    row = "(" + ", ".join("{}" for _ in columns) + ")"
    return ", ".join(row for _ in batch)


def batches(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), BATCH_ROWS):
        yield items[start:start + BATCH_ROWS]


async def respondents_by_keys(keys: Iterable[str]) -> dict[str, RespondentRecord]:
    """The roster rows already holding these keys (to show what an import would change)."""
    found: dict[str, RespondentRecord] = {}
    for batch in batches(list(keys)):
        rows = await Respondent.select().where(Respondent.key.is_in(batch))
        found.update({r["key"]: _record(r) for r in rows})
    return found
