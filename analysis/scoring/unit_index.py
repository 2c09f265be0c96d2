"""A unit's satisfaction index across items and dimensions, its SE and its flags.

## Estimator (the design choice)
Item means first, then weights (§A1.3c, the ACSI order):

    Ȳ_j = Σ w_i y_ij / Σ w_i            (Hájek, valid answers only; 不了解 excluded)
    S   = Σ_{j∈J} ω'_j Ȳ_j               J = items with ≥ min_item_answers valid answers

ω' are the dimension weights renormalised over dimensions that have an item in J, each split
equally among that dimension's items in J, so every published weight is honoured exactly. (The
alternative, a per-respondent mean over the items each person answered and then a mean over
respondents, lets the effective weights drift with item non-response, which a unit could
rightly contest; both agree when every respondent answers every item.)

## Standard error
S is a smooth function of ratios; its linearised variable per respondent i is

    z_i = Σ_{j∈J answered by i} c_j (y_ij − Ȳ_j),    c_j = ω'_j / W_j,   W_j = Σ_i w_i over item j

and u_i = w_i z_i enters the stratified variance of estimators.py (domain estimation: everyone in
a stratum who did not rate the unit has u_i = 0). With one item this is exactly §A2.4.

## Wiring (two passes over rating-pattern counts)
The database stores each response's ratings of a unit as one short string and returns counts of
identical strings per campaign, unit, stratum and weight (survey_app/db/queries/scores.py);
analysis/scoring/patterns.py turns them into
1. item cells (item, stratum, level → n, Σw, Σw²) → `item_estimates()` → `plan_unit_index()`,
   whose `terms` are (item, coefficient c_j, centre Ȳ_j);
2. the residual moments per stratum (n, Σw, Σw², Σu, Σu², Σz, Σz² with u = w·z), z evaluated
   once per distinct pattern → `LinearisedMoments` → `finish_unit_index()`.
Frames (`StratumFrame`: r_h respondents of the survey per stratum, N_h, n_h) come from the
sampling plan; respondent weights are N_h / r_h (weighting.nonresponse_weights).
`reference.unit_index_from_records` computes the same result from raw answer records.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import (
    LinearisedMoments,
    MeanEstimate,
    VarianceParts,
    summarise,
    variance_from_moments,
)
from analysis.scoring.flags import Flag, FlagReason, unit_flags
from analysis.scoring.items import ItemEstimate
from analysis.scoring.settings import ScoringSettings
from analysis.scoring.weighting import StratumFrame, overall_response_rate
from analysis.scoring.weights import check_weights, renormalise


@dataclass(frozen=True)
class IndexSpec:
    """Dimension weights ω and the dimension each item measures."""

    dimension_weights: tuple[tuple[str, float], ...]
    item_dimensions: tuple[tuple[str, str], ...]  # (item, dimension)

    def __post_init__(self) -> None:
        check_weights(self.dimension_weights, "维度")
        dimensions = {d for d, _ in self.dimension_weights}
        seen: set[str] = set()
        for item, dimension in self.item_dimensions:
            if item in seen:
                raise ScoringError(f"题目「{item}」在指标体系中重复出现")
            seen.add(item)
            if dimension not in dimensions:
                raise ScoringError(f"题目「{item}」所属的维度「{dimension}」没有设置权重")

    @classmethod
    def by_item(cls, weights: Sequence[tuple[str, float]]) -> IndexSpec:
        """Each item is its own dimension."""
        return cls(tuple(weights), tuple((item, item) for item, _ in weights))

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(item for item, _ in self.item_dimensions)

    def item_weights(self, eligible: Collection[str]) -> tuple[tuple[str, float], ...]:
        """ω' over eligible items: dimensions renormalised, then split equally among items."""
        members: dict[str, list[str]] = {d: [] for d, _ in self.dimension_weights}
        for item, dimension in self.item_dimensions:
            if item in eligible:
                members[dimension].append(item)
        used = renormalise(self.dimension_weights, {d for d, items in members.items() if items})
        return tuple((item, w / len(members[d])) for d, w in used for item in members[d])

    def describe(self) -> str:
        parts = []
        for dimension, weight in self.dimension_weights:
            items = [i for i, d in self.item_dimensions if d == dimension]
            named = "" if items == [dimension] else f"（{'、'.join(items)}）"
            parts.append(f"{dimension}{named} {weight:g}")
        return "指标权重：" + "，".join(parts) + "；题目样本不足时其权重按比例分给其他维度。"


@dataclass(frozen=True)
class ResidualTerm:
    """One row of the plan table joined by the second SQL pass."""

    item: str
    coefficient: float  # c_j = ω'_j / W_j
    centre: float  # Ȳ_j


@dataclass(frozen=True)
class UnitIndexPlan:
    unit: str
    raw_score: float | None  # Σ ω'_j Ȳ_j; None when no item is eligible
    item_weights: tuple[tuple[str, float], ...]  # ω' actually used (sum 1)
    suppressed_items: tuple[str, ...]  # too few valid answers: weight redistributed
    terms: tuple[ResidualTerm, ...]
    items: tuple[ItemEstimate, ...]


@dataclass(frozen=True)
class UnitIndex:
    unit: str
    score: float | None  # the published index; None when SUPPRESSED
    raw_score: float | None  # the computed value even when suppressed (for review only)
    estimate: MeanEstimate | None  # SE, MOE, CI, df, deff and n of raw_score
    n_respondents: int  # respondents with a valid answer to an eligible item
    item_weights: tuple[tuple[str, float], ...]
    suppressed_items: tuple[str, ...]
    items: tuple[ItemEstimate, ...]
    satisfaction_rate: float | None  # Σ ω'_j × item 满意率
    broad_satisfaction_rate: float | None
    awareness: float | None  # pooled over all the unit's items: 1 − weighted share 不了解
    response_rate: float | None
    stratum_response_rates: tuple[tuple[str, float], ...]
    flags: tuple[FlagReason, ...]
    settings: ScoringSettings

    def has(self, flag: Flag) -> bool:
        return any(reason.flag is flag for reason in self.flags)

    @property
    def moe(self) -> float | None:
        return self.estimate.moe if self.estimate else None


def plan_unit_index(
    unit: str,
    items: Sequence[ItemEstimate],
    spec: IndexSpec,
    settings: ScoringSettings | None = None,
) -> UnitIndexPlan:
    """Choose eligible items, renormalise weights, compute S and the terms for pass 2."""
    settings = settings or ScoringSettings()
    known = set(spec.items)
    unknown = sorted(i.item for i in items if i.item not in known)
    if unknown:
        raise ScoringError(f"单位「{unit}」的题目「{'、'.join(unknown)}」不在指标体系中")
    by_item = {i.item: i for i in items}
    minimum = settings.thresholds.min_item_answers
    eligible = {
        item
        for item, estimate in by_item.items()
        if estimate.estimate is not None and estimate.n_valid >= minimum
    }
    weights = spec.item_weights(eligible)
    terms = tuple(
        ResidualTerm(item, w / by_item[item].weight_valid, _mean(by_item[item]))
        for item, w in weights
    )
    return UnitIndexPlan(
        unit=unit,
        raw_score=sum(w * _mean(by_item[item]) for item, w in weights) if weights else None,
        item_weights=weights,
        suppressed_items=tuple(item for item in spec.items if item not in eligible),
        terms=terms,
        items=tuple(items),
    )


def finish_unit_index(
    plan: UnitIndexPlan,
    residuals: Sequence[LinearisedMoments],
    frames: Sequence[StratumFrame] = (),
    settings: ScoringSettings | None = None,
) -> UnitIndex:
    """The unit index with SE/MOE/CI and flags, from the second pass's per-stratum sums."""
    return assemble_unit_index(plan, variance_from_moments(residuals, frames), frames, settings)


def assemble_unit_index(
    plan: UnitIndexPlan,
    parts: VarianceParts,
    frames: Sequence[StratumFrame],
    settings: ScoringSettings | None,
) -> UnitIndex:
    """Shared by the SQL path and the per-record reference path."""
    settings = settings or ScoringSettings()
    estimate = (
        summarise(plan.raw_score, parts, settings.confidence)
        if plan.raw_score is not None and parts.n > 0
        else None
    )
    by_item = {i.item: i for i in plan.items}
    rates = [(by_item[item], w) for item, w in plan.item_weights]
    asked = sum(i.weight_valid + i.weight_unaware for i in plan.items)
    awareness = sum(i.weight_valid for i in plan.items) / asked if asked > 0 else None
    stratum_rates = tuple(
        (f.stratum, rate) for f in frames if (rate := f.response_rate) is not None
    )
    response_rate = overall_response_rate(frames)
    flags = unit_flags(
        n_respondents=parts.n,
        eligible_items=len(plan.item_weights),
        score=plan.raw_score,
        moe=estimate.moe if estimate else None,
        response_rate=response_rate,
        stratum_response_rates=[
            rate
            for f in frames
            if (rate := f.response_rate) is not None
            and (f.sampled or 0) >= settings.thresholds.gap_min_invited
        ],
        deff_kish=estimate.deff_kish if estimate else None,
        awareness=awareness,
        thresholds=settings.thresholds,
    )
    suppressed = any(reason.flag is Flag.SUPPRESSED for reason in flags)
    return UnitIndex(
        unit=plan.unit,
        score=None if suppressed else plan.raw_score,
        raw_score=plan.raw_score,
        estimate=estimate,
        n_respondents=parts.n,
        item_weights=plan.item_weights,
        suppressed_items=plan.suppressed_items,
        items=plan.items,
        satisfaction_rate=_weighted(rates, "satisfaction_rate"),
        broad_satisfaction_rate=_weighted(rates, "broad_satisfaction_rate"),
        awareness=awareness,
        response_rate=response_rate,
        stratum_response_rates=stratum_rates,
        flags=flags,
        settings=settings,
    )


def _weighted(rates: Sequence[tuple[ItemEstimate, float]], attribute: str) -> float | None:
    values = [(getattr(item, attribute), w) for item, w in rates]
    if not values or any(value is None for value, _ in values):
        return None
    return sum(value * w for value, w in values)


def _mean(item: ItemEstimate) -> float:
    if item.mean is None:
        raise ScoringError(f"题目「{item.item}」没有有效回答")
    return item.mean
