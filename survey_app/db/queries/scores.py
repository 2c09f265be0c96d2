"""Queries behind satisfaction scores and appraisal: the two aggregation passes over answer
rows, strata, score runs, response quality marks, appraisal schemes and results.

The unit index needs per-response sums, yet per-response data never leaves the database
(analysis/scoring/unit_index.py). Both passes read only index columns:

1. `answer_cells`: one GROUP BY campaign, unit, item, stratum, level over the campaigns →
   counts and weight sums (a few thousand rows). SQLite walks `answer_scoring_idx` (campaign,
   unit_code, question, row, stratum, level, weight, response) in GROUP BY order; PostgreSQL
   hash-aggregates.
2. `residual_sums`: per (campaign, unit), each answer's linearised value v = c_j·(y − Ȳ_j) is
   picked by a CASE over the unit's eligible items (parameters from the plan), summed per
   response, and the per-response z are summed per stratum. `answer_response_idx` (campaign,
   unit_code, response, stratum, weight, question, row, level; migration 0005) delivers a
   unit's answers already grouped by response, so no sort and no large hash table is needed,
   and the per-unit statements run side by side on the connection pool.

Excluded and partial responses drop out through a small anti-join on `response (campaign,
status)`, which keeps the answer index covering. Every value is a parameter; the SQL is the
same on SQLite and PostgreSQL (CASTs type the parameters for PostgreSQL). Reads go through
`_select` so that SQLite serves them from its reader connections (a plain Table.raw would take
the single writer connection and hold up respondents' submissions for the whole pass).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.querystring import QueryString

from survey_app.db.queries._rows import aware, json_value
from survey_app.db.tables import (
    Answer,
    Campaign,
    ScoreRun,
    UnitScore,
)

LEVELS = (5, 4, 3, 2, 1)
NOT_COUNTED = ("partial", "excluded")  # every response status other than complete
PASS_TWO_CONCURRENCY = 2  # per-unit statements in flight at once (one per CPU core is plenty)
_UPDATE_CHUNK = 500


def _marks(count: int) -> str:
    return ", ".join(["{}"] * count)


async def _select(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A read-only statement with {} placeholders, run on a reader connection."""
    engine = Answer._meta.db
    rows = await engine.run_querystring(QueryString(sql, *args, query_type="select"))
    return [dict(row) for row in rows]


def _not_counted(campaign_marks: str) -> str:
    """Answers of excluded or partial responses do not count."""
    statuses = ", ".join(f"'{status}'" for status in NOT_COUNTED)  # constants, not input
    return (
        "a.response NOT IN (SELECT r.id FROM response r "  # noqa: S608 (placeholders only)
        f"WHERE r.campaign IN ({campaign_marks}) AND r.status IN ({statuses}))"
    )


# --- campaigns and periods ----------------------------------------------------------------


@dataclass(frozen=True)
class ScoredCampaign:
    id: int
    code: str
    name: str
    period: str
    audience: str
    status: str
    questionnaire_code: str
    definition: dict[str, Any]


async def campaigns_in_period(period: str, audience: str | None = None) -> list[ScoredCampaign]:
    """Campaigns of a period that collect answers (not drafts), oldest first."""
    query = Campaign.select(
        Campaign.id,
        Campaign.code,
        Campaign.name,
        Campaign.period,
        Campaign.audience,
        Campaign.status,
        Campaign.version.questionnaire.code.as_alias("questionnaire_code"),
        Campaign.version.definition.as_alias("definition"),
    ).where((Campaign.period == period) & (Campaign.status != "draft"))
    if audience is not None:
        query = query.where(Campaign.audience == audience)
    rows = await query.order_by(Campaign.id)
    return [
        ScoredCampaign(
            id=r["id"],
            code=r["code"],
            name=r["name"],
            period=r["period"],
            audience=r["audience"],
            status=r["status"],
            questionnaire_code=r["questionnaire_code"],
            definition=json_value(r["definition"], {}),
        )
        for r in rows
    ]


async def known_periods() -> list[str]:
    """Periods with a campaign or a score run, latest first (2026-Q4 sorts after 2026-Q3)."""
    campaigns = await Campaign.select(Campaign.period).where(Campaign.status != "draft")
    runs = await ScoreRun.select(ScoreRun.period)
    periods = {r["period"] for r in campaigns} | {r["period"] for r in runs}
    return sorted(periods, reverse=True)


# --- strata -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumCounts:
    campaign_id: int
    stratum: str
    respondents: int  # r_h: complete, not excluded responses
    invited: int | None  # n_h: invitations still in the sample (not replaced)
    population: float | None  # N_h = Σ design weights of those invitations


async def stratum_counts(campaign_ids: Sequence[int]) -> list[StratumCounts]:
    if not campaign_ids:
        return []
    marks = _marks(len(campaign_ids))
    responded = await _select(
        "SELECT campaign, stratum, COUNT(*) AS n FROM response "  # noqa: S608
        f"WHERE campaign IN ({marks}) AND status = 'complete' GROUP BY campaign, stratum",
        *campaign_ids,
    )
    invited = await _select(
        "SELECT campaign, stratum, COUNT(*) AS n, SUM(design_weight) AS population "  # noqa: S608
        f"FROM invitation WHERE campaign IN ({marks}) AND replaced_by IS NULL "
        "GROUP BY campaign, stratum",
        *campaign_ids,
    )
    sample = {(r["campaign"], r["stratum"]): r for r in invited}
    keys = sorted({(r["campaign"], r["stratum"]) for r in responded} | set(sample))
    answered = {(r["campaign"], r["stratum"]): int(r["n"]) for r in responded}
    return [
        StratumCounts(
            campaign_id=campaign,
            stratum=stratum,
            respondents=answered.get((campaign, stratum), 0),
            invited=int(sample[(campaign, stratum)]["n"]) if (campaign, stratum) in sample else None,
            population=(
                float(sample[(campaign, stratum)]["population"]) if (campaign, stratum) in sample else None
            ),
        )
        for campaign, stratum in keys
    ]


# --- pass 1 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerCell:
    campaign_id: int
    unit_code: str
    question: str
    row: str
    stratum: str
    level: int | None  # None = 不了解
    n: int
    sum_w: float  # Σ stored (design) weight
    sum_w2: float


async def answer_cells(campaign_ids: Sequence[int]) -> list[AnswerCell]:
    """Pass 1: weighted answer counts per campaign, unit, item, stratum and level."""
    if not campaign_ids:
        return []
    marks = _marks(len(campaign_ids))
    rows = await _select(
        'SELECT a.campaign, a.unit_code, a.question, a."row" AS item_row, a.stratum, a.level, '  # noqa: S608 (placeholders only)
        "COUNT(*) AS n, SUM(a.weight) AS sum_w, SUM(a.weight * a.weight) AS sum_w2 "
        f"FROM answer a WHERE a.campaign IN ({marks}) AND {_not_counted(marks)} "
        'GROUP BY a.campaign, a.unit_code, a.question, a."row", a.stratum, a.level',
        *campaign_ids,
        *campaign_ids,
    )
    return [
        AnswerCell(
            campaign_id=r["campaign"],
            unit_code=r["unit_code"],
            question=r["question"],
            row=r["item_row"],
            stratum=r["stratum"],
            level=r["level"],
            n=int(r["n"]),
            sum_w=float(r["sum_w"]),
            sum_w2=float(r["sum_w2"]),
        )
        for r in rows
    ]


# --- pass 2 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTerm:
    """One eligible item: its linearised value v = c_j·(score − Ȳ_j) for levels 5…1."""

    question: str
    row: str
    values: tuple[float, float, float, float, float]


@dataclass(frozen=True)
class UnitPlan:
    """The pass-2 plan of one unit in one campaign."""

    campaign_id: int
    unit_code: str
    terms: tuple[PlanTerm, ...]
    all_items: frozenset[tuple[str, str]]  # every (question, row) the unit has in the campaign


@dataclass(frozen=True)
class ResidualSums:
    """Sums over one stratum's responses that validly answered an eligible item (stored w)."""

    campaign_id: int
    unit_code: str
    stratum: str
    n: int
    sum_w: float
    sum_w2: float
    sum_wz: float
    sum_w2z2: float
    sum_z: float
    sum_z2: float


async def residual_sums(plans: Sequence[UnitPlan]) -> list[ResidualSums]:
    """Pass 2 for every unit plan, a few statements at a time."""
    gate = asyncio.Semaphore(PASS_TWO_CONCURRENCY)

    async def run(plan: UnitPlan) -> list[ResidualSums]:
        async with gate:
            return await _unit_residuals(plan)

    batches = await asyncio.gather(*(run(plan) for plan in plans if plan.terms))
    return [sums for batch in batches for sums in batch]


def _item_lookup(plan: UnitPlan) -> tuple[str, list[Any]]:
    """CASE choosing v for an answer row; compares one column when that identifies the item.

    The comparison must tell apart every item of the unit, not only the eligible ones, or an
    ineligible item sharing a question name would be scored.
    """
    questions = [q for q, _ in plan.all_items]
    rows = [r for _, r in plan.all_items]
    by_level = " ".join(f"WHEN {level} THEN CAST({{}} AS DOUBLE PRECISION)" for level in LEVELS)
    args: list[Any] = []
    if len(set(questions)) == len(questions) or len(set(rows)) == len(rows):
        column = "a.question" if len(set(questions)) == len(questions) else 'a."row"'
        branches = []
        for term in plan.terms:
            branches.append(f"WHEN {{}} THEN CASE a.level {by_level} END")
            args.extend((term.question if column == "a.question" else term.row, *term.values))
        return f"CASE {column} {' '.join(branches)} END", args
    branches = []
    for term in plan.terms:
        branches.append(f'WHEN a.question = {{}} AND a."row" = {{}} THEN CASE a.level {by_level} END')
        args.extend((term.question, term.row, *term.values))
    return f"CASE {' '.join(branches)} END", args


async def _unit_residuals(plan: UnitPlan) -> list[ResidualSums]:
    lookup, lookup_args = _item_lookup(plan)
    sql = (
        "SELECT stratum, COUNT(*) AS n, SUM(w) AS sum_w, SUM(w * w) AS sum_w2, "  # noqa: S608
        "SUM(w * z) AS sum_wz, SUM(w * w * z * z) AS sum_w2z2, SUM(z) AS sum_z, "
        "SUM(z * z) AS sum_z2 FROM ("
        f"SELECT a.stratum, a.weight AS w, SUM({lookup}) AS z FROM answer a "
        "WHERE a.campaign = {} AND a.unit_code = {} AND a.level IS NOT NULL "
        f"AND {_not_counted('{}')} "
        "GROUP BY a.response, a.stratum, a.weight) per_response "
        "WHERE z IS NOT NULL GROUP BY stratum"
    )
    rows = await _select(sql, *lookup_args, plan.campaign_id, plan.unit_code, plan.campaign_id)
    return [
        ResidualSums(
            campaign_id=plan.campaign_id,
            unit_code=plan.unit_code,
            stratum=r["stratum"],
            n=int(r["n"]),
            sum_w=float(r["sum_w"]),
            sum_w2=float(r["sum_w2"]),
            sum_wz=float(r["sum_wz"]),
            sum_w2z2=float(r["sum_w2z2"]),
            sum_z=float(r["sum_z"]),
            sum_z2=float(r["sum_z2"]),
        )
        for r in rows
    ]


# --- score runs -----------------------------------------------------------------------------


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
