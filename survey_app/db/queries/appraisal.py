"""Queries of the appraisal workflow: indicator datasets and their uploads, draft and published
runs, the override history and the card register (tables of migration 0011)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import (
    AppraisalCard,
    AppraisalOverrideLog,
    AppraisalResult,
    AppraisalRun,
    IndicatorUpload,
    IndicatorValue,
    Unit,
)

# --- indicator values -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredValue:
    unit_code: str
    period: str
    column: str
    value: float | None
    upload_id: int | None


async def indicator_values(year: int) -> list[StoredValue]:
    rows = await IndicatorValue.select(
        IndicatorValue.unit.code.as_alias("unit_code"),
        IndicatorValue.period,
        IndicatorValue.column_name,
        IndicatorValue.value,
        IndicatorValue.upload,
    ).where(IndicatorValue.year == year)
    return [StoredValue(r["unit_code"], r["period"], r["column_name"], r["value"], r["upload"]) for r in rows]


async def apply_values(
    year: int, upload_id: int, cells: Sequence[tuple[int, str, str, float | None]]
) -> None:
    """Upsert (unit id, period, column, value) cells of the year, all in one transaction."""
    now = utcnow()
    async with IndicatorValue._meta.db.transaction():
        existing = {
            (r["unit"], r["period"], r["column_name"]): r["id"]
            for r in await IndicatorValue.select(
                IndicatorValue.id, IndicatorValue.unit, IndicatorValue.period, IndicatorValue.column_name
            ).where(IndicatorValue.year == year)
        }
        fresh = []
        for unit_id, period, column, value in cells:
            found = existing.get((unit_id, period, column))
            if found is not None:
                await IndicatorValue.update(
                    {
                        IndicatorValue.value: value,
                        IndicatorValue.upload: upload_id,
                        IndicatorValue.updated_at: now,
                    }
                ).where(IndicatorValue.id == found)
            else:
                fresh.append(
                    IndicatorValue(
                        year=year,
                        period=period,
                        unit=unit_id,
                        column_name=column,
                        value=value,
                        upload=upload_id,
                        updated_at=now,
                    )
                )
        if fresh:
            await IndicatorValue.insert(*fresh)
        await IndicatorUpload.update(
            {IndicatorUpload.status: "applied", IndicatorUpload.applied_at: now}
        ).where(IndicatorUpload.id == upload_id)


# --- uploads --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRecord:
    id: int
    year: int
    filename: str
    status: str
    cells: list[list[Any]]
    summary: dict[str, Any]
    created_by_name: str
    created_at: dt.datetime | None
    applied_at: dt.datetime | None


_UPLOAD_COLUMNS = (
    IndicatorUpload.id,
    IndicatorUpload.year,
    IndicatorUpload.filename,
    IndicatorUpload.status,
    IndicatorUpload.cells,
    IndicatorUpload.summary,
    IndicatorUpload.created_by.username.as_alias("created_by_name"),
    IndicatorUpload.created_at,
    IndicatorUpload.applied_at,
)


def _upload(row: dict[str, Any]) -> UploadRecord:
    return UploadRecord(
        id=row["id"],
        year=row["year"],
        filename=row["filename"],
        status=row["status"],
        cells=list(json_value(row["cells"], {}).get("cells", [])),
        summary=json_value(row["summary"], {}),
        created_by_name=row["created_by_name"] or "",
        created_at=aware(row["created_at"]),
        applied_at=aware(row["applied_at"]),
    )


async def insert_upload(
    year: int, filename: str, cells: list[list[Any]], summary: dict[str, Any], created_by: int | None
) -> int:
    rows = await IndicatorUpload.insert(
        IndicatorUpload(
            year=year,
            filename=filename,
            status="pending",
            cells={"cells": cells},
            summary=summary,
            created_by=created_by,
        )
    ).returning(IndicatorUpload.id)
    return int(rows[0]["id"])


async def find_upload(upload_id: int) -> UploadRecord | None:
    row = await IndicatorUpload.select(*_UPLOAD_COLUMNS).where(IndicatorUpload.id == upload_id).first()
    return _upload(row) if row else None


async def set_upload_status(upload_id: int, status: str) -> None:
    await IndicatorUpload.update({IndicatorUpload.status: status}).where(IndicatorUpload.id == upload_id)


async def uploads_of_year(year: int, limit: int = 50) -> list[UploadRecord]:
    rows = (
        await IndicatorUpload.select(*_UPLOAD_COLUMNS)
        .where(IndicatorUpload.year == year)
        .order_by(IndicatorUpload.id, ascending=False)
        .limit(limit)
    )
    return [_upload(r) for r in rows]


async def last_applied_upload(year: int) -> int | None:
    row = (
        await IndicatorUpload.select(IndicatorUpload.id)
        .where((IndicatorUpload.year == year) & (IndicatorUpload.status == "applied"))
        .order_by(IndicatorUpload.id, ascending=False)
        .first()
    )
    return int(row["id"]) if row else None


# --- runs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRecord:
    id: int
    scheme_id: int
    scheme_name: str
    scheme_version: int
    year: int
    status: str
    dataset_upload: int | None
    inputs_hash: str
    settings: dict[str, Any]
    results: dict[str, Any]
    diff: dict[str, Any]
    created_by_name: str
    created_at: dt.datetime | None
    published_by_name: str
    published_at: dt.datetime | None
    publish_reason: str

    @property
    def units(self) -> list[dict[str, Any]]:
        return list(self.results.get("units", []))


_RUN_COLUMNS = (
    AppraisalRun.id,
    AppraisalRun.scheme,
    AppraisalRun.scheme.name.as_alias("scheme_name"),
    AppraisalRun.scheme.version_no.as_alias("scheme_version"),
    AppraisalRun.year,
    AppraisalRun.status,
    AppraisalRun.dataset_upload,
    AppraisalRun.inputs_hash,
    AppraisalRun.settings,
    AppraisalRun.results,
    AppraisalRun.diff,
    AppraisalRun.created_by.username.as_alias("created_by_name"),
    AppraisalRun.created_at,
    AppraisalRun.published_by.username.as_alias("published_by_name"),
    AppraisalRun.published_at,
    AppraisalRun.publish_reason,
)


def _run(row: dict[str, Any]) -> RunRecord:
    return RunRecord(
        id=row["id"],
        scheme_id=row["scheme"],
        scheme_name=row["scheme_name"] or "",
        scheme_version=row["scheme_version"] or 0,
        year=row["year"],
        status=row["status"],
        dataset_upload=row["dataset_upload"],
        inputs_hash=row["inputs_hash"],
        settings=json_value(row["settings"], {}),
        results=json_value(row["results"], {}),
        diff=json_value(row["diff"], {}),
        created_by_name=row["created_by_name"] or "",
        created_at=aware(row["created_at"]),
        published_by_name=row["published_by_name"] or "",
        published_at=aware(row["published_at"]),
        publish_reason=row["publish_reason"],
    )


async def insert_run(
    scheme_id: int,
    year: int,
    *,
    dataset_upload: int | None,
    inputs_hash: str,
    settings: dict[str, Any],
    results: dict[str, Any],
    diff: dict[str, Any],
    created_by: int | None,
) -> int:
    """A new draft; earlier drafts of the year are superseded by it."""
    async with AppraisalRun._meta.db.transaction():
        await AppraisalRun.update({AppraisalRun.status: "superseded"}).where(
            (AppraisalRun.year == year) & (AppraisalRun.status == "draft")
        )
        rows = await AppraisalRun.insert(
            AppraisalRun(
                scheme=scheme_id,
                year=year,
                status="draft",
                dataset_upload=dataset_upload,
                inputs_hash=inputs_hash,
                settings=settings,
                results=results,
                diff=diff,
                created_by=created_by,
            )
        ).returning(AppraisalRun.id)
    return int(rows[0]["id"])


async def find_run(run_id: int) -> RunRecord | None:
    row = await AppraisalRun.select(*_RUN_COLUMNS).where(AppraisalRun.id == run_id).first()
    return _run(row) if row else None


async def runs_of_year(year: int, limit: int = 30) -> list[RunRecord]:
    rows = (
        await AppraisalRun.select(*_RUN_COLUMNS)
        .where(AppraisalRun.year == year)
        .order_by(AppraisalRun.id, ascending=False)
        .limit(limit)
    )
    return [_run(r) for r in rows]


async def draft_runs(limit: int = 20) -> list[RunRecord]:
    rows = (
        await AppraisalRun.select(*_RUN_COLUMNS)
        .where(AppraisalRun.status == "draft")
        .order_by(AppraisalRun.id, ascending=False)
        .limit(limit)
    )
    return [_run(r) for r in rows]


async def published_run(year: int) -> RunRecord | None:
    row = (
        await AppraisalRun.select(*_RUN_COLUMNS)
        .where((AppraisalRun.year == year) & (AppraisalRun.status == "published"))
        .order_by(AppraisalRun.id, ascending=False)
        .first()
    )
    return _run(row) if row else None


async def mark_published(
    run_id: int, year: int, results: dict[str, Any], diff: dict[str, Any], reason: str, actor_id: int | None
) -> None:
    """Freeze the run's results; an earlier published run of the year becomes superseded."""
    async with AppraisalRun._meta.db.transaction():
        await AppraisalRun.update({AppraisalRun.status: "superseded"}).where(
            (AppraisalRun.year == year) & (AppraisalRun.status == "published") & (AppraisalRun.id != run_id)
        )
        await AppraisalRun.update(
            {
                AppraisalRun.status: "published",
                AppraisalRun.results: results,
                AppraisalRun.diff: diff,
                AppraisalRun.publish_reason: reason,
                AppraisalRun.published_by: actor_id,
                AppraisalRun.published_at: utcnow(),
            }
        ).where(AppraisalRun.id == run_id)


async def set_quota_reason(result_id: int, reason: str) -> None:
    await AppraisalResult.update({AppraisalResult.quota_reason: reason}).where(
        AppraisalResult.id == result_id
    )


async def quota_reasons(scheme_id: int) -> dict[int, str]:
    rows = await AppraisalResult.select(AppraisalResult.id, AppraisalResult.quota_reason).where(
        AppraisalResult.scheme == scheme_id
    )
    return {r["id"]: r["quota_reason"] for r in rows}


# --- override history -----------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideEntry:
    unit_id: int
    year: int
    computed_grade: str
    from_grade: str
    to_grade: str
    reason: str
    quota_reason: str
    actor_name: str
    created_at: dt.datetime | None


async def log_override(entry: OverrideEntry, scheme_id: int | None) -> None:
    await AppraisalOverrideLog.insert(
        AppraisalOverrideLog(
            unit=entry.unit_id,
            year=entry.year,
            scheme=scheme_id,
            computed_grade=entry.computed_grade,
            from_grade=entry.from_grade,
            to_grade=entry.to_grade,
            reason=entry.reason,
            quota_reason=entry.quota_reason,
            actor_name=entry.actor_name,
        )
    )


async def override_history(unit_id: int) -> list[OverrideEntry]:
    rows = (
        await AppraisalOverrideLog.select()
        .where(AppraisalOverrideLog.unit == unit_id)
        .order_by(AppraisalOverrideLog.id, ascending=False)
    )
    return [
        OverrideEntry(
            r["unit"],
            r["year"],
            r["computed_grade"],
            r["from_grade"],
            r["to_grade"],
            r["reason"],
            r["quota_reason"],
            r["actor_name"],
            aware(r["created_at"]),
        )
        for r in rows
    ]


# --- cards ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardRecord:
    id: int
    year: int
    unit_id: int
    unit_code: str
    unit_name: str
    period: str
    color: str
    reason: str
    issued_at: dt.datetime | None
    deadline: dt.datetime | None
    status: str
    plan: str
    plan_at: dt.datetime | None
    office_note: str
    lifted_at: dt.datetime | None


_CARD_COLUMNS = (
    AppraisalCard.id,
    AppraisalCard.year,
    AppraisalCard.unit,
    AppraisalCard.unit.code.as_alias("unit_code"),
    AppraisalCard.unit.name.as_alias("unit_name"),
    AppraisalCard.period,
    AppraisalCard.color,
    AppraisalCard.reason,
    AppraisalCard.issued_at,
    AppraisalCard.deadline,
    AppraisalCard.status,
    AppraisalCard.plan,
    AppraisalCard.plan_at,
    AppraisalCard.office_note,
    AppraisalCard.lifted_at,
)


def _card(r: dict[str, Any]) -> CardRecord:
    return CardRecord(
        id=r["id"], year=r["year"], unit_id=r["unit"], unit_code=r["unit_code"], unit_name=r["unit_name"],
        period=r["period"], color=r["color"], reason=r["reason"], issued_at=aware(r["issued_at"]),
        deadline=aware(r["deadline"]), status=r["status"], plan=r["plan"], plan_at=aware(r["plan_at"]),
        office_note=r["office_note"], lifted_at=aware(r["lifted_at"]),
    )  # fmt: skip


async def cards(year: int | None = None, unit_id: int | None = None) -> list[CardRecord]:
    query = AppraisalCard.select(*_CARD_COLUMNS)
    if year is not None:
        query = query.where(AppraisalCard.year == year)
    if unit_id is not None:
        query = query.where(AppraisalCard.unit == unit_id)
    rows = await query.order_by(AppraisalCard.id, ascending=False)
    return [_card(r) for r in rows]


async def find_card(card_id: int) -> CardRecord | None:
    row = await AppraisalCard.select(*_CARD_COLUMNS).where(AppraisalCard.id == card_id).first()
    return _card(row) if row else None


async def insert_card(
    year: int, unit_id: int, period: str, color: str, reason: str, run_id: int, deadline: dt.datetime
) -> None:
    await AppraisalCard.insert(
        AppraisalCard(
            year=year, unit=unit_id, period=period, color=color, reason=reason, run=run_id, deadline=deadline
        )
    )


async def update_card(card_id: int, **values: Any) -> None:
    columns = {getattr(AppraisalCard, name): value for name, value in values.items()}
    await AppraisalCard.update(columns).where(AppraisalCard.id == card_id)


async def unit_codes() -> dict[str, int]:
    rows = await Unit.select(Unit.id, Unit.code)
    return {r["code"]: r["id"] for r in rows}


async def published_runs(limit: int = 5) -> list[RunRecord]:
    """Published runs, newest first (one per year at most)."""
    rows = (
        await AppraisalRun.select(*_RUN_COLUMNS)
        .where(AppraisalRun.status == "published")
        .order_by(AppraisalRun.id, ascending=False)
        .limit(limit)
    )
    return [_run(r) for r in rows]
