"""Queries behind satisfaction scores and appraisal: rating patterns, strata, score runs,
response quality marks, appraisal schemes and results.

Unit indices need per-response sums (analysis/scoring/unit_index.py). They are read from
`unit_rating`, one row per response and rated unit holding the response's levels for that unit
as a short string (questionnaires/ratings.py), written with the answer rows. `rating_patterns`
groups those rows into counts of identical strings per campaign, unit, stratum and weight —
`unit_rating_pattern_idx` delivers them in that order, so nothing is sorted or hashed — and
analysis/scoring/patterns.py derives both passes (item cells, linearised sums) from the
counts exactly. That is one read of a table about a fifth the size of `answer` instead of two
grouped passes over every answer row (bench/scores_speed.py).

Every value is a parameter. Reads go through `_select` so that SQLite serves them from its
reader connections (a plain Table.raw would take the single writer connection and hold up
respondents' submissions for the whole read).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from piccolo.querystring import QueryString

from analysis.scoring.patterns import Item, UnitPatterns, decode_patterns
from survey_app.db.queries._rows import aware, json_value, utcnow
from survey_app.db.tables import (
    Answer,
    AppraisalResult,
    AppraisalScheme,
    Campaign,
    Response,
    ScoreRun,
    UnitScore,
)

NOT_COUNTED = ("partial", "excluded")  # every response status other than complete
PASS_CONCURRENCY = 2  # statements in flight at once (about one per CPU core)
_UPDATE_CHUNK = 500


def _marks(count: int) -> str:
    return ", ".join(["{}"] * count)


async def _select(sql: str, *args: Any) -> list[dict[str, Any]]:
    """A read-only statement with {} placeholders, run on a reader connection."""
    engine = Answer._meta.db
    rows = await engine.run_querystring(QueryString(sql, *args, query_type="select"))
    return [dict(row) for row in rows]


_NOT_COUNTED_STATUSES = ", ".join(f"'{status}'" for status in NOT_COUNTED)  # constants


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
        Campaign.version.questionnaire.code.as_alias("questionnaire_code"),  # type: ignore[union-attr]
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


async def latest_scored_period() -> str | None:
    """The latest period that has a score run: what a page shows when none is asked for."""
    runs = await ScoreRun.select(ScoreRun.period)
    return max((r["period"] for r in runs), default=None)


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


# --- rating patterns (both passes) ----------------------------------------------------------


async def rating_patterns(
    campaign_ids: Sequence[int],
    items: Mapping[tuple[int, str], tuple[Item, ...]],
    unit_codes: Sequence[str] = (),
) -> list[UnitPatterns]:
    """Counts of identical rating strings per campaign, unit, stratum and stored weight, with
    the strings of excluded and partial responses counted negatively (a few lookups through
    the response status index instead of one per counted row).

    `items` gives each (campaign, unit)'s rated items, the positions of its strings. The unit
    codes (any known ones) only split the key space into ranges read side by side; every row
    falls in exactly one range, known unit or not.
    """
    if not campaign_ids:
        return []
    concat = "string_agg({}, ',')" if Answer._meta.db.engine_type == "postgres" else "group_concat({}, ',')"
    sql = (
        f"SELECT campaign, unit_code, stratum, weight, {concat.format('levels')} AS patterns, "  # noqa: S608
        f"{concat.format('CAST(n AS TEXT)')} AS counts FROM ("
        "SELECT campaign, unit_code, stratum, weight, levels, COUNT(*) AS n FROM unit_rating "
        f"WHERE campaign IN ({_marks(len(campaign_ids))})<bounds> "
        "GROUP BY campaign, unit_code, stratum, weight, levels) p "
        "GROUP BY campaign, unit_code, stratum, weight"
    )
    gate = asyncio.Semaphore(PASS_CONCURRENCY)

    async def run(low: str | None, high: str | None) -> list[dict[str, Any]]:
        bounds, args = _range_condition(low, high)
        async with gate:
            return await _select(sql.replace("<bounds>", bounds), *campaign_ids, *args)

    ranges = _ranges(unit_codes, PASS_CONCURRENCY * 2)
    batches = await asyncio.gather(*(run(low, high) for low, high in ranges))
    parts: dict[tuple[int, str], list[tuple[str, float, list[str], list[int]]]] = defaultdict(list)
    for r in itertools.chain.from_iterable(batches):
        counts = [int(n) for n in r["counts"].split(",")]
        parts[(r["campaign"], r["unit_code"])].append(
            (r["stratum"], float(r["weight"]), r["patterns"].split(","), counts)
        )
    for r in await _not_counted_ratings(campaign_ids):
        parts[(r["campaign"], r["unit_code"])].append(
            (r["stratum"], float(r["weight"]), [r["levels"]], [-int(r["n"])])
        )
    return [_unit_patterns(key, items, groups) for key, groups in sorted(parts.items())]


def _unit_patterns(
    key: tuple[int, str],
    items: Mapping[tuple[int, str], tuple[Item, ...]],
    groups: list[tuple[str, float, list[str], list[int]]],
) -> UnitPatterns:
    campaign_id, unit_code = key
    unit_items = items.get(key)
    if unit_items is None:
        raise LookupError(f"campaign {campaign_id}: ratings of {unit_code}, not rated by its questionnaire")
    strata = tuple(sorted({stratum for stratum, _, _, _ in groups}))
    index = {stratum: i for i, stratum in enumerate(strata)}
    sizes = [len(patterns) for _, _, patterns, _ in groups]
    return UnitPatterns(
        campaign_id=campaign_id,
        unit_code=unit_code,
        items=unit_items,
        strata=strata,
        stratum_index=np.repeat([index[stratum] for stratum, _, _, _ in groups], sizes),
        weights=np.repeat([weight for _, weight, _, _ in groups], sizes),
        levels=decode_patterns([p for _, _, patterns, _ in groups for p in patterns], len(unit_items)),
        counts=np.array([n for _, _, _, counts in groups for n in counts], np.int64),
    )


def _ranges(codes: Sequence[str], parts: int) -> list[tuple[str | None, str | None]]:
    """`parts` half-open ranges of unit codes covering everything: (None, b1), …, (bk, None)."""
    ordered = sorted(set(codes))
    cuts = [ordered[len(ordered) * i // parts] for i in range(1, parts)] if len(ordered) >= parts else []
    bounds: list[str | None] = [None, *sorted(set(cuts)), None]
    return list(itertools.pairwise(bounds))


def _range_condition(low: str | None, high: str | None) -> tuple[str, list[str]]:
    parts, args = [], []
    if low is not None:
        parts.append(" AND unit_code >= {}")
        args.append(low)
    if high is not None:
        parts.append(" AND unit_code < {}")
        args.append(high)
    return "".join(parts), args


async def _not_counted_ratings(campaign_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Rating strings of excluded and partial responses, grouped like the counted ones."""
    return await _select(
        "SELECT u.campaign, u.unit_code, u.stratum, u.weight, u.levels, COUNT(*) AS n "  # noqa: S608
        "FROM response r JOIN unit_rating u ON u.response = r.id "
        f"WHERE r.campaign IN ({_marks(len(campaign_ids))}) AND r.status IN ({_NOT_COUNTED_STATUSES}) "
        "GROUP BY u.campaign, u.unit_code, u.stratum, u.weight, u.levels",
        *campaign_ids,
    )


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


# --- response quality -----------------------------------------------------------------------


async def find_campaign(campaign_id: int) -> ScoredCampaign | None:
    rows = await Campaign.select(Campaign.period).where(Campaign.id == campaign_id).first()
    if rows is None:
        return None
    return next((c for c in await campaigns_in_period(rows["period"]) if c.id == campaign_id), None)


async def response_durations(campaign_id: int) -> list[tuple[int, int]]:
    """(response id, seconds) of every submitted response with a known duration."""
    rows = await _select(
        "SELECT id, duration_seconds FROM response WHERE campaign = {} "
        "AND status IN ('complete', 'excluded') AND duration_seconds IS NOT NULL",
        campaign_id,
    )
    return [(r["id"], r["duration_seconds"]) for r in rows]


@dataclass(frozen=True)
class UniformMatrix:
    """A response that gave one level to every valid row of a matrix question."""

    response_id: int
    question: str
    rows: int
    level: int


async def uniform_matrices(campaign_id: int, min_rows: int) -> list[UniformMatrix]:
    """Matrix answers with at least `min_rows` valid rows, all at the same level.

    Only these candidates leave the database; analysis.scoring.quality decides and words the flag.
    """
    rows = await _select(
        "SELECT a.response, a.question, COUNT(a.level) AS n, MIN(a.level) AS level "
        "FROM answer a WHERE a.campaign = {} AND a.\"row\" <> '' "
        "GROUP BY a.response, a.question "
        "HAVING COUNT(a.level) >= {} AND MIN(a.level) = MAX(a.level)",
        campaign_id,
        min_rows,
    )
    return [UniformMatrix(r["response"], r["question"], int(r["n"]), r["level"]) for r in rows]


async def quality_marks(campaign_id: int) -> dict[int, str]:
    rows = await Response.select(Response.id, Response.quality_flags).where(
        (Response.campaign == campaign_id) & (Response.quality_flags != "")
    )
    return {r["id"]: r["quality_flags"] for r in rows}


async def write_quality_marks(marks: dict[int, str]) -> None:
    """Set quality_flags per response, one UPDATE per distinct value and chunk of ids."""
    by_value: dict[str, list[int]] = {}
    for response_id, value in marks.items():
        by_value.setdefault(value, []).append(response_id)
    async with Response._meta.db.transaction():
        for value, ids in by_value.items():
            for start in range(0, len(ids), _UPDATE_CHUNK):
                chunk = ids[start : start + _UPDATE_CHUNK]
                await Response.update({Response.quality_flags: value}).where(Response.id.is_in(chunk))


@dataclass(frozen=True)
class StatusCount:
    campaign_id: int
    status: str
    quality_flags: str
    count: int


async def status_counts(campaign_ids: Sequence[int]) -> list[StatusCount]:
    if not campaign_ids:
        return []
    rows = await _select(
        "SELECT campaign, status, quality_flags, COUNT(*) AS n FROM response "  # noqa: S608
        f"WHERE campaign IN ({_marks(len(campaign_ids))}) "
        "GROUP BY campaign, status, quality_flags",
        *campaign_ids,
    )
    return [StatusCount(r["campaign"], r["status"], r["quality_flags"], int(r["n"])) for r in rows]


async def sample_responses(campaign_ids: Sequence[int]) -> int:
    """Complete responses that answer an invitation: the numerator of a response rate
    (open-link answers have no invitation and are a channel, not part of the sample)."""
    if not campaign_ids:
        return 0
    rows = await _select(
        "SELECT COUNT(*) AS n FROM response "  # noqa: S608
        f"WHERE campaign IN ({_marks(len(campaign_ids))}) "
        "AND status = 'complete' AND invitation IS NOT NULL",
        *campaign_ids,
    )
    return int(rows[0]["n"])


@dataclass(frozen=True)
class ReviewedResponse:
    """What a reviewer sees of a response: never who gave it."""

    id: int
    campaign_id: int
    channel: str
    status: str
    quality_flags: str
    exclusion_reason: str
    duration_seconds: int | None
    submitted_at: dt.datetime | None


_REVIEW_COLUMNS = (
    Response.id,
    Response.campaign,
    Response.channel,
    Response.status,
    Response.quality_flags,
    Response.exclusion_reason,
    Response.duration_seconds,
    Response.submitted_at,
)


def _reviewed(row: dict[str, Any]) -> ReviewedResponse:
    return ReviewedResponse(
        id=row["id"],
        campaign_id=row["campaign"],
        channel=row["channel"],
        status=row["status"],
        quality_flags=row["quality_flags"],
        exclusion_reason=row["exclusion_reason"],
        duration_seconds=row["duration_seconds"],
        submitted_at=aware(row["submitted_at"]),
    )


async def flagged_responses(campaign_id: int, limit: int = 1000) -> list[ReviewedResponse]:
    """Flagged or excluded responses of a campaign, the ones awaiting review first."""
    rows = (
        await Response.select(*_REVIEW_COLUMNS)
        .where(
            (Response.campaign == campaign_id)
            & ((Response.quality_flags != "") | (Response.status == "excluded"))
        )
        .order_by(Response.id)
        .limit(limit)
    )
    return [_reviewed(r) for r in rows]


async def find_response(response_id: int) -> ReviewedResponse | None:
    row = await Response.select(*_REVIEW_COLUMNS).where(Response.id == response_id).first()
    return _reviewed(row) if row else None


async def set_review(response_id: int, *, status: str, exclusion_reason: str, quality_flags: str) -> None:
    await Response.update(
        {
            Response.status: status,
            Response.exclusion_reason: exclusion_reason,
            Response.quality_flags: quality_flags,
        }
    ).where(Response.id == response_id)


# --- appraisal schemes and results ----------------------------------------------------------


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
