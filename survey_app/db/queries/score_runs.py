"""Queries of score runs: a run's unit scores stored in one transaction, and runs and scores
read back by period, run and unit. Every value is a parameter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.tables import ScoreRun, UnitScore


@dataclass(frozen=True)
class NewUnitScore:
    unit_id: int
    n: int
    index_value: float | None
    std_error: float | None
    margin: float | None
    satisfied_rate: float | None
    awareness: float | None
    flags: str
    details: dict[str, Any]


@dataclass(frozen=True)
class ScoreRunRecord:
    id: int
    period: str
    campaign_ids: tuple[int, ...]
    mapping: str
    settings: dict[str, Any]
    inputs_hash: str
    job_id: int | None
    created_by_name: str
    created_at: dt.datetime | None

    @property
    def audience(self) -> str:
        return str(self.settings.get("audience", ""))


async def insert_score_run(
    *,
    period: str,
    campaign_ids: Sequence[int],
    mapping: str,
    settings: dict[str, Any],
    inputs_hash: str,
    job_id: int | None,
    created_by: int | None,
    scores: Sequence[NewUnitScore],
) -> int:
    """The run and its unit scores in one transaction: a run is never half stored."""
    async with ScoreRun._meta.db.transaction():
        rows = await ScoreRun.insert(
            ScoreRun(
                period=period,
                campaigns=list(campaign_ids),
                mapping=mapping,
                settings=settings,
                inputs_hash=inputs_hash,
                job=job_id,
                created_by=created_by,
            )
        ).returning(ScoreRun.id)
        run_id = int(rows[0]["id"])
        if scores:
            await UnitScore.insert(
                *(
                    UnitScore(
                        run=run_id,
                        unit=s.unit_id,
                        period=period,
                        n=s.n,
                        index_value=s.index_value,
                        std_error=s.std_error,
                        margin=s.margin,
                        satisfied_rate=s.satisfied_rate,
                        awareness=s.awareness,
                        flags=s.flags,
                        details=s.details,
                    )
                    for s in scores
                )
            )
    return run_id


_RUN_COLUMNS = (
    ScoreRun.id,
    ScoreRun.period,
    ScoreRun.campaigns,
    ScoreRun.mapping,
    ScoreRun.settings,
    ScoreRun.inputs_hash,
    ScoreRun.job,
    ScoreRun.created_by.username.as_alias("created_by_name"),
    ScoreRun.created_at,
)


def _run(row: dict[str, Any]) -> ScoreRunRecord:
    return ScoreRunRecord(
        id=row["id"],
        period=row["period"],
        campaign_ids=tuple(json_value(row["campaigns"], [])),
        mapping=row["mapping"],
        settings=json_value(row["settings"], {}),
        inputs_hash=row["inputs_hash"],
        job_id=row["job"],
        created_by_name=row["created_by_name"] or "",
        created_at=aware(row["created_at"]),
    )


async def runs_in_periods(periods: Sequence[str] | None = None) -> list[ScoreRunRecord]:
    """Score runs, newest first; all periods when `periods` is None."""
    query = ScoreRun.select(*_RUN_COLUMNS).order_by(ScoreRun.id, ascending=False)
    if periods is not None:
        if not periods:
            return []
        query = query.where(ScoreRun.period.is_in(list(periods)))
    return [_run(r) for r in await query]


async def find_run(run_id: int) -> ScoreRunRecord | None:
    row = await ScoreRun.select(*_RUN_COLUMNS).where(ScoreRun.id == run_id).first()
    return _run(row) if row else None


@dataclass(frozen=True)
class UnitScoreRecord:
    run_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    category: str
    period: str
    n: int
    index_value: float | None
    std_error: float | None
    margin: float | None
    satisfied_rate: float | None
    awareness: float | None
    flags: tuple[str, ...]
    details: dict[str, Any]


_SCORE_COLUMNS = (
    UnitScore.run,
    UnitScore.unit,
    UnitScore.unit.code.as_alias("unit_code"),
    UnitScore.unit.name.as_alias("unit_name"),
    UnitScore.unit.category.as_alias("category"),
    UnitScore.period,
    UnitScore.n,
    UnitScore.index_value,
    UnitScore.std_error,
    UnitScore.margin,
    UnitScore.satisfied_rate,
    UnitScore.awareness,
    UnitScore.flags,
    UnitScore.details,
)


def _score(row: dict[str, Any]) -> UnitScoreRecord:
    return UnitScoreRecord(
        run_id=row["run"],
        unit_id=row["unit"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
        category=row["category"],
        period=row["period"],
        n=row["n"],
        index_value=row["index_value"],
        std_error=row["std_error"],
        margin=row["margin"],
        satisfied_rate=row["satisfied_rate"],
        awareness=row["awareness"],
        flags=tuple(row["flags"].split()),
        details=json_value(row["details"], {}),
    )


async def scores_of_runs(run_ids: Sequence[int], unit_id: int | None = None) -> list[UnitScoreRecord]:
    """Unit scores of the runs, by run then unit code; one unit's only when `unit_id` is set."""
    if not run_ids:
        return []
    query = UnitScore.select(*_SCORE_COLUMNS).where(UnitScore.run.is_in(list(run_ids)))
    if unit_id is not None:
        query = query.where(UnitScore.unit == unit_id)
    rows = await query.order_by(UnitScore.run).order_by(UnitScore.unit.code)
    return [_score(r) for r in rows]


async def scores_after(
    run_ids: Sequence[int], after: tuple[int, str] | None, limit: int
) -> list[UnitScoreRecord]:
    """Keyset page over (run id, unit code): rows strictly after the cursor."""
    if not run_ids:
        return []
    query = UnitScore.select(*_SCORE_COLUMNS).where(UnitScore.run.is_in(list(run_ids)))
    if after is not None:
        run_id, code = after
        query = query.where(
            (UnitScore.run > run_id) | ((UnitScore.run == run_id) & (UnitScore.unit.code > code))
        )
    rows = await query.order_by(UnitScore.run).order_by(UnitScore.unit.code).limit(limit)
    return [_score(r) for r in rows]


async def unit_history(unit_id: int) -> list[UnitScoreRecord]:
    """Every stored score of one unit (all runs), oldest run first."""
    rows = await UnitScore.select(*_SCORE_COLUMNS).where(UnitScore.unit == unit_id).order_by(UnitScore.run)
    return [_score(r) for r in rows]
