"""Satisfaction scores per unit and period: the options of a score run and the read models
behind the scores pages and the API. Computing a run is in score_runs, response quality review
in scores_quality, exports in scores_exports."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.scoring.errors import ScoringError
from analysis.scoring.flags import Flag
from analysis.scoring.mapping import ScoreMapping, get_mapping
from analysis.scoring.settings import ScoringSettings
from survey_app.db.queries import score_runs as run_queries
from survey_app.db.queries import scores as queries
from survey_app.db.queries.score_runs import ScoreRunRecord as ScoreRunRecord  # for the API
from survey_app.db.queries.score_runs import UnitScoreRecord as UnitScoreRecord  # for the API
from survey_app.db.queries.scores import ScoredCampaign
from survey_app.errors import InvalidInput

AUDIENCES: dict[str, str] = {"enterprise": "企业评价", "resident": "居民评价"}
RESPONDENTS: dict[str, str] = {"enterprise": "企业", "resident": "居民"}
DEFAULT_DIMENSION = "综合"
MAX_ADJUSTMENT = 3.0  # cap of the non-response adjustment a_h (research/scoring.md §A2.3)
Progress = Callable[[int, str], Awaitable[None]]


class ScoresError(InvalidInput):
    """A Chinese message for staff: why scores cannot be computed or a review is refused."""


# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreOptions:
    period: str
    audience: str
    mapping_key: str = "nbs"
    dimension_weights: tuple[tuple[str, float], ...] = ()  # empty: dimensions weigh equally
    max_adjustment: float = MAX_ADJUSTMENT

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{4}(-[A-Za-z0-9]{1,8})?", self.period):
            raise ScoresError(f"期间「{self.period}」格式不正确，应如 2026-Q3 或 2026")
        if self.audience not in AUDIENCES:
            raise ScoresError(f"评价对象「{self.audience}」无效，可选：{'、'.join(AUDIENCES)}")
        try:
            get_mapping(self.mapping_key)
        except ScoringError as error:
            raise ScoresError(str(error)) from None
        if not 1.0 <= self.max_adjustment <= 10.0:
            raise ScoresError("无回答调整系数上限应在 1–10 之间")

    @property
    def mapping(self) -> ScoreMapping:
        return get_mapping(self.mapping_key)

    def settings(self) -> ScoringSettings:
        return ScoringSettings(mapping=self.mapping)

    def as_params(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "audience": self.audience,
            "mapping": self.mapping_key,
            "dimension_weights": [list(pair) for pair in self.dimension_weights],
            "max_adjustment": self.max_adjustment,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ScoreOptions:
        return cls(
            period=str(params.get("period", "")),
            audience=str(params.get("audience", "")),
            mapping_key=str(params.get("mapping", "nbs")),
            dimension_weights=tuple(
                (str(name), float(weight)) for name, weight in params.get("dimension_weights", [])
            ),
            max_adjustment=float(params.get("max_adjustment", MAX_ADJUSTMENT)),
        )


_WEIGHT_SEPARATOR = re.compile(r"[=＝：:]")
_WEIGHT_NAME = re.compile(r"^[^=＝：:\s]+$")
_WEIGHT_VALUE = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
WEIGHTS_FORMAT = "应写作 维度=权重（权重为不小于 0 的数字），多项用逗号分隔，如 服务态度=0.4，办事效率=0.6"


def parse_dimension_weights(text: str) -> tuple[tuple[str, float], ...]:
    """「服务态度=0.4，办事效率=0.3」→ weights; blank → equal weights. A wrong entry is named
    by its place and its dimension, with what is wrong in it and the expected format."""
    pairs: list[tuple[str, float]] = []
    parts = [part.strip() for part in re.split(r"[,，;；\n]+", text.strip()) if part.strip()]
    for number, part in enumerate(parts, start=1):
        where = f"维度权重第 {number} 项「{part}」格式不正确："
        pieces = _WEIGHT_SEPARATOR.split(part, maxsplit=1)
        if len(pieces) != 2:
            raise ScoresError(f"{where}缺少“=”。{WEIGHTS_FORMAT}")
        name, weight = pieces[0].strip(), pieces[1].strip()
        if not name:
            raise ScoresError(f"{where}“=”前缺少维度名称。{WEIGHTS_FORMAT}")
        if not _WEIGHT_NAME.match(name):
            raise ScoresError(f"{where}维度名称「{name}」中不能有空格或等号。{WEIGHTS_FORMAT}")
        if not weight:
            raise ScoresError(f"{where}维度「{name}」缺少权重。{WEIGHTS_FORMAT}")
        if not _WEIGHT_VALUE.match(weight):
            raise ScoresError(f"{where}维度「{name}」的权重「{weight}」不是数字。{WEIGHTS_FORMAT}")
        pairs.append((name, float(weight)))
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1}, key=names.index)
    if repeated:
        raise ScoresError(f"维度权重中维度「{'、'.join(repeated)}」重复出现，每个维度只写一次")
    if pairs and sum(w for _, w in pairs) <= 0:
        raise ScoresError("维度权重之和必须大于 0")
    return tuple(pairs)


# --- read models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunScores:
    run: run_queries.ScoreRunRecord
    rows: tuple[run_queries.UnitScoreRecord, ...]

    @property
    def audience_label(self) -> str:
        return AUDIENCES.get(self.run.audience, self.run.audience)


def latest_by_audience(runs: Iterable[run_queries.ScoreRunRecord]) -> dict[tuple[str, str], Any]:
    """The newest run of every (period, audience); `runs` come newest first."""
    latest: dict[tuple[str, str], run_queries.ScoreRunRecord] = {}
    for run in runs:
        latest.setdefault((run.period, run.audience), run)
    return latest


async def latest_runs(period: str) -> list[run_queries.ScoreRunRecord]:
    """The latest run of each audience in the period, enterprise first."""
    latest = latest_by_audience(await run_queries.runs_in_periods([period]))
    return [run for audience in AUDIENCES if (run := latest.get((period, audience))) is not None]


async def period_scores(period: str, unit_id: int | None = None) -> list[RunScores]:
    """The period's latest runs with their unit scores (one unit's only for a unit viewer)."""
    result = []
    for run in await latest_runs(period):
        rows = await run_queries.scores_of_runs([run.id], unit_id)
        result.append(RunScores(run, tuple(sorted(rows, key=_rank_order))))
    return result


def _rank_order(row: run_queries.UnitScoreRecord) -> tuple[object, ...]:
    rank = row.details.get("rank")
    return (row.category, rank is None, rank or 0, row.unit_code)


@dataclass(frozen=True)
class TrendPoint:
    period: str
    value: float | None  # None when suppressed
    low: float | None
    high: float | None


@dataclass(frozen=True)
class UnitAudienceScores:
    audience: str
    label: str
    run: run_queries.ScoreRunRecord | None  # the period's latest run of this audience
    score: run_queries.UnitScoreRecord | None  # None when the unit had no answers in that run
    trend: tuple[TrendPoint, ...]  # every period with a score for this audience, oldest first


async def unit_scores(unit_id: int, period: str | None) -> tuple[str | None, list[str], list[Any]]:
    """(the period shown, periods with a score for the unit, per-audience scores and trends)."""
    latest = latest_by_audience(await run_queries.runs_in_periods(None))
    current_runs = {run.id: key for key, run in latest.items()}
    history = [h for h in await run_queries.unit_history(unit_id) if h.run_id in current_runs]
    periods = sorted({h.period for h in history}, reverse=True)
    if period is None or period not in periods:
        period = await default_period(periods)
    views = []
    for audience, label in AUDIENCES.items():
        mine = sorted((h for h in history if current_runs[h.run_id][1] == audience), key=lambda h: h.period)
        if not mine:
            continue
        trend = tuple(
            TrendPoint(h.period, h.index_value, *(h.details.get("ci") or (None, None))) for h in mine
        )
        run = latest.get((period or "", audience))
        score = next((h for h in mine if run is not None and h.run_id == run.id), None)
        views.append(UnitAudienceScores(audience, label, run, score, trend))
    return period, periods, views


async def period_choices() -> list[str]:
    return await queries.known_periods()


async def default_period(periods: Sequence[str]) -> str | None:
    """The latest period with computed scores, else the latest period there is."""
    return await queries.latest_scored_period() or (periods[0] if periods else None)


async def campaigns_in_period(period: str) -> list[ScoredCampaign]:
    """The campaigns whose answers make up a period's scores (listed beside them)."""
    return await queries.campaigns_in_period(period)


async def scores_after(
    run_ids: list[int], position: tuple[int, str] | None, limit: int
) -> list[UnitScoreRecord]:
    """One page of unit scores of these runs, in (run, unit code) order after `position`."""
    return await run_queries.scores_after(run_ids, position, limit)


def flag_labels(codes: str) -> list[str]:
    """Chinese labels of a stored flag string ("LOW_PRECISION HIGH_DEFF")."""
    return [Flag(code).label for code in codes.split() if code in Flag.__members__]
