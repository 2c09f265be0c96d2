"""Queries of appraisal schemes (versioned weights and grade bands) and the appraisal results
computed with them, with their overrides. Every value is a parameter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import AppraisalResult, AppraisalScheme


@dataclass(frozen=True)
class SchemeRecord:
    id: int
    year: int
    name: str
    version_no: int
    yaml_text: str
    note: str
    created_by_name: str
    created_at: dt.datetime | None


_SCHEME_COLUMNS = (
    AppraisalScheme.id,
    AppraisalScheme.year,
    AppraisalScheme.name,
    AppraisalScheme.version_no,
    AppraisalScheme.definition,
    AppraisalScheme.created_by.username.as_alias("created_by_name"),
    AppraisalScheme.created_at,
)


def _scheme(row: dict[str, Any]) -> SchemeRecord:
    definition = json_value(row["definition"], {})
    return SchemeRecord(
        id=row["id"],
        year=row["year"],
        name=row["name"],
        version_no=row["version_no"],
        yaml_text=str(definition.get("yaml", "")),
        note=str(definition.get("note", "")),
        created_by_name=row["created_by_name"] or "",
        created_at=aware(row["created_at"]),
    )


async def scheme_versions(year: int | None = None) -> list[SchemeRecord]:
    """Scheme versions, newest year and version first."""
    query = AppraisalScheme.select(*_SCHEME_COLUMNS)
    if year is not None:
        query = query.where(AppraisalScheme.year == year)
    rows = await query.order_by(AppraisalScheme.year, ascending=False).order_by(
        AppraisalScheme.version_no, ascending=False
    )
    return [_scheme(r) for r in rows]


async def find_scheme(scheme_id: int) -> SchemeRecord | None:
    row = await AppraisalScheme.select(*_SCHEME_COLUMNS).where(AppraisalScheme.id == scheme_id).first()
    return _scheme(row) if row else None


async def insert_scheme(
    year: int, name: str, yaml_text: str, note: str, created_by: int | None
) -> tuple[int, int]:
    """A new version (max + 1 for the year); versions are never edited in place."""
    async with AppraisalScheme._meta.db.transaction():
        latest = (
            await AppraisalScheme.select(AppraisalScheme.version_no)
            .where(AppraisalScheme.year == year)
            .order_by(AppraisalScheme.version_no, ascending=False)
            .first()
        )
        version_no = (latest["version_no"] if latest else 0) + 1
        rows = await AppraisalScheme.insert(
            AppraisalScheme(
                year=year,
                name=name,
                version_no=version_no,
                definition={"yaml": yaml_text, "note": note},
                created_by=created_by,
            )
        ).returning(AppraisalScheme.id)
    return int(rows[0]["id"]), version_no


@dataclass(frozen=True)
class NewAppraisalResult:
    unit_id: int
    total: float | None
    rank: int | None
    grade: str
    card: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AppraisalRecord:
    id: int
    scheme_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    category: str
    year: int
    total: float | None
    rank: int | None
    grade: str
    card: str
    override_grade: str
    override_reason: str
    details: dict[str, Any]
    inputs_hash: str
    computed_at: dt.datetime | None

    @property
    def final_grade(self) -> str:
        return self.override_grade or self.grade


_RESULT_COLUMNS = (
    AppraisalResult.id,
    AppraisalResult.scheme,
    AppraisalResult.unit,
    AppraisalResult.unit.code.as_alias("unit_code"),
    AppraisalResult.unit.name.as_alias("unit_name"),
    AppraisalResult.unit.category.as_alias("category"),
    AppraisalResult.year,
    AppraisalResult.total,
    AppraisalResult.rank,
    AppraisalResult.grade,
    AppraisalResult.card,
    AppraisalResult.override_grade,
    AppraisalResult.override_reason,
    AppraisalResult.details,
    AppraisalResult.inputs_hash,
    AppraisalResult.computed_at,
)


def _result(row: dict[str, Any]) -> AppraisalRecord:
    return AppraisalRecord(
        id=row["id"],
        scheme_id=row["scheme"],
        unit_id=row["unit"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
        category=row["category"],
        year=row["year"],
        total=row["total"],
        rank=row["rank"],
        grade=row["grade"],
        card=row["card"],
        override_grade=row["override_grade"],
        override_reason=row["override_reason"],
        details=json_value(row["details"], {}),
        inputs_hash=row["inputs_hash"],
        computed_at=aware(row["computed_at"]),
    )


async def store_appraisal(
    scheme_id: int, year: int, inputs_hash: str, results: Sequence[NewAppraisalResult]
) -> None:
    """Replace the scheme version's results; a grade override of a unit still present stays
    (it is a recorded human decision) and is shown beside the recomputed grade."""
    async with AppraisalResult._meta.db.transaction():
        existing = {
            r["unit"]: r["id"]
            for r in await AppraisalResult.select(AppraisalResult.id, AppraisalResult.unit).where(
                AppraisalResult.scheme == scheme_id
            )
        }
        keep = {r.unit_id for r in results}
        gone = [result_id for unit, result_id in existing.items() if unit not in keep]
        if gone:
            await AppraisalResult.delete().where(AppraisalResult.id.is_in(gone))
        now = utcnow()
        for r in results:
            values: dict[Any, Any] = {
                AppraisalResult.total: r.total,
                AppraisalResult.rank: r.rank,
                AppraisalResult.grade: r.grade,
                AppraisalResult.card: r.card,
                AppraisalResult.details: r.details,
                AppraisalResult.inputs_hash: inputs_hash,
                AppraisalResult.computed_at: now,
            }
            if r.unit_id in existing:
                await AppraisalResult.update(values).where(AppraisalResult.id == existing[r.unit_id])
            else:
                await AppraisalResult.insert(
                    AppraisalResult(
                        scheme=scheme_id,
                        unit=r.unit_id,
                        year=year,
                        total=r.total,
                        rank=r.rank,
                        grade=r.grade,
                        card=r.card,
                        details=r.details,
                        inputs_hash=inputs_hash,
                        computed_at=now,
                    )
                )


async def appraisal_results(scheme_id: int) -> list[AppraisalRecord]:
    rows = (
        await AppraisalResult.select(*_RESULT_COLUMNS)
        .where(AppraisalResult.scheme == scheme_id)
        .order_by(AppraisalResult.unit.code)
    )
    return [_result(r) for r in rows]


async def find_result(result_id: int) -> AppraisalRecord | None:
    row = await AppraisalResult.select(*_RESULT_COLUMNS).where(AppraisalResult.id == result_id).first()
    return _result(row) if row else None


async def set_override(result_id: int, grade: str, reason: str) -> None:
    await AppraisalResult.update(
        {AppraisalResult.override_grade: grade, AppraisalResult.override_reason: reason}
    ).where(AppraisalResult.id == result_id)
