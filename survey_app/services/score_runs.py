"""Computing a period's satisfaction scores (the score job): items and strata of the period's
campaigns, one grouped read of rating patterns, unit indices with linearised standard errors,
shrinkage, ranks, and the stored run. The options and the read models are in services/scores.py.

One score run covers one period and one audience (企业 or 居民: the two are different
populations and feed different appraisal components). Its campaigns' strata are kept apart
(stratum key = campaign code · stratum), so several campaigns of a period combine as independent
samples. Respondent weights are the stored design weights N_h/n_h times the capped
non-response adjustment a_h = n_h/r_h (analysis.scoring.weighting), which is constant within a
stratum and therefore applied to the SQL sums afterwards.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import LinearisedMoments
from analysis.scoring.intervals import bounded_interval
from analysis.scoring.items import ItemCell, ItemEstimate, item_estimates
from analysis.scoring.mapping import ScoreMapping
from analysis.scoring.patterns import (
    LEVELS,
    AnswerCell,
    Item,
    PlanTerm,
    ResidualSums,
    UnitPlan,
    answer_cells,
    residual_sums,
)
from analysis.scoring.settings import ScoringSettings
from analysis.scoring.shrinkage import UnitEstimate, shrink_scores
from analysis.scoring.unit_index import (
    IndexSpec,
    UnitIndex,
    UnitIndexPlan,
    finish_unit_index,
    plan_unit_index,
)
from analysis.scoring.weighting import StratumFrame
from questionnaires.definition import from_canonical_dict
from questionnaires.model import DefinitionError
from questionnaires.ratings import rated_items
from survey_app.db.queries import audit, units
from survey_app.db.queries import score_runs as run_queries
from survey_app.db.queries import scores as queries
from survey_app.db.queries.score_runs import ScoreRunRecord as ScoreRunRecord  # for the API
from survey_app.db.queries.score_runs import UnitScoreRecord as UnitScoreRecord  # for the API
from survey_app.db.queries.scores import ScoredCampaign
from survey_app.services.score_catalogue import (
    DesignStratum,
    ItemInfo,
    ItemKey,
    design_strata,
    item_catalogue,
    item_info,
)
from survey_app.services.scores import (
    AUDIENCES,
    DEFAULT_DIMENSION,
    RESPONDENTS,
    Progress,
    ScoreOptions,
    ScoresError,
)

# --- computation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitOutcome:
    unit_id: int
    code: str
    name: str
    category: str
    index: UnitIndex
    spec: IndexSpec
    items: tuple[ItemInfo, ...]


async def compute_scores(
    options: ScoreOptions,
    *,
    actor_id: int | None,
    actor_name: str,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Compute, store and audit one score run; returns its id."""

    async def report(percent: int, message: str) -> None:
        if progress is not None:
            await progress(percent, message)

    campaigns = await queries.campaigns_in_period(options.period, options.audience)
    if not campaigns:
        raise ScoresError(f"期间 {options.period} 没有面向{RESPONDENTS[options.audience]}的已开始调查批次")
    by_id = {c.id: c for c in campaigns}
    ids = [c.id for c in campaigns]
    settings = options.settings()
    strata = design_strata(await queries.stratum_counts(ids), by_id, options.max_adjustment)
    frames = tuple(s.frame for s in strata.values())
    await report(10, "汇总各单位的评价")
    known_units = {u.code: u for u in await units.list_units()}
    patterns = await queries.rating_patterns(ids, rated_items_by_campaign(campaigns), sorted(known_units))
    cells = answer_cells(patterns)
    grouped, catalogue, unknown = _group_cells(cells, by_id, strata, settings.mapping, known_units)
    plans = {
        code: _plan_unit(known_units[code], unit_cells, catalogue, frames, settings, options)
        for code, unit_cells in grouped.items()
    }
    unit_items = _items_in_campaigns(cells)
    unit_plans = [
        unit_plan
        for code, (plan, _, _) in plans.items()
        for unit_plan in _unit_plans(code, plan, unit_items[code], catalogue, settings.mapping)
    ]
    await report(40, "计算各单位的抽样误差")
    residuals = residual_sums(patterns, unit_plans)
    moments = _moments_by_unit(residuals, strata)
    outcomes = []
    for code, (plan, spec, items) in plans.items():
        unit = known_units[code]
        try:
            index = finish_unit_index(plan, moments.get(code, []), frames, settings)
        except ScoringError as error:
            raise ScoresError(f"单位「{unit.name}」：{error}") from None
        outcomes.append(UnitOutcome(unit.id, code, unit.name, unit.category, index, spec, items))
    await report(80, "保存结果")
    run_settings = _run_settings(options, settings, campaigns, strata, unknown)
    inputs_hash = _inputs_hash(run_settings, cells, residuals)
    run_id = await run_queries.insert_score_run(
        period=options.period,
        campaign_ids=ids,
        mapping=options.mapping_key,
        settings=run_settings,
        inputs_hash=inputs_hash,
        job_id=job_id,
        created_by=actor_id,
        scores=_new_scores(outcomes),
    )
    await audit.record_event(
        "scores.compute",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{options.period} {AUDIENCES[options.audience]}",
        detail={"run": run_id, "units": len(outcomes), "inputs_hash": inputs_hash},
    )
    return run_id


def _plan_unit(
    unit: units.UnitRecord,
    cells: Sequence[ItemCell],
    catalogue: Mapping[ItemKey, ItemInfo],
    frames: Sequence[StratumFrame],
    settings: ScoringSettings,
    options: ScoreOptions,
) -> tuple[UnitIndexPlan, IndexSpec, tuple[ItemInfo, ...]]:
    """Item estimates and the index plan of one unit from its pass-1 cells."""
    items = _unit_items(cells, catalogue)
    spec = _index_spec(unit.code, items, options.dimension_weights)
    try:
        estimates = item_estimates(cells, frames, settings)
        return plan_unit_index(unit.code, estimates, spec, settings), spec, items
    except ScoringError as error:
        raise ScoresError(f"单位「{unit.name}」：{error}") from None


def _group_cells(
    cells: Sequence[AnswerCell],
    campaigns: Mapping[int, ScoredCampaign],
    strata: Mapping[tuple[int, str], DesignStratum],
    mapping: ScoreMapping,
    known_units: Mapping[str, Any],
) -> tuple[dict[str, list[ItemCell]], dict[ItemKey, ItemInfo], list[str]]:
    """Pass-1 rows → ItemCells per unit, with scores mapped and weights adjusted."""
    catalogue = item_catalogue(list(campaigns.values()))
    prefix = len({c.questionnaire_code for c in campaigns.values()}) > 1
    grouped: dict[str, list[ItemCell]] = defaultdict(list)
    unknown: set[str] = set()
    for cell in cells:
        if cell.unit_code not in known_units:
            unknown.add(cell.unit_code)
            continue
        stratum = strata.get((cell.campaign_id, cell.stratum))
        if stratum is None:
            # Answers whose response status changed between the passes: ignore this time.
            continue
        info = item_info(catalogue, campaigns[cell.campaign_id], cell.question, cell.row, prefix)
        a = stratum.adjustment
        grouped[cell.unit_code].append(
            ItemCell(
                item=info.key,
                stratum=stratum.key,
                score=None if cell.level is None else level_score(mapping, cell.level),
                n=cell.n,
                sum_w=cell.sum_w * a,
                sum_w2=cell.sum_w2 * a * a,
            )
        )
    return dict(grouped), catalogue, sorted(unknown)


def level_score(mapping: ScoreMapping, level: int) -> float:
    """Stored answer levels are 5 (非常满意) … 1 (非常不满意); the mapping lists best first."""
    if not 1 <= level <= len(mapping.scores):
        raise ScoresError(f"答案等级 {level} 超出 1–{len(mapping.scores)} 的范围")
    return mapping.scores[len(mapping.scores) - level][1]


def _unit_items(cells: Sequence[ItemCell], catalogue: Mapping[ItemKey, ItemInfo]) -> tuple[ItemInfo, ...]:
    keys = {c.item for c in cells}
    seen: dict[str, ItemInfo] = {}
    for info in catalogue.values():
        if info.key in keys:
            seen.setdefault(info.key, info)
    return tuple(seen[k] for k in sorted(seen))


def _index_spec(code: str, items: Sequence[ItemInfo], configured: Sequence[tuple[str, float]]) -> IndexSpec:
    dimensions = list(dict.fromkeys(item.dimension for item in items))
    if configured:
        weights = dict(configured)
        missing = [d for d in dimensions if d not in weights]
        if missing:
            raise ScoresError(
                f"单位 {code} 的维度「{'、'.join(missing)}」没有设置权重；请补充维度权重或留空表示各维度等权"
            )
        dimension_weights = tuple((d, weights[d]) for d in dimensions)
    else:
        dimension_weights = tuple((d, 1.0) for d in dimensions)
    try:
        return IndexSpec(dimension_weights, tuple((item.key, item.dimension) for item in items))
    except ScoringError as error:
        raise ScoresError(f"单位 {code}：{error}") from None


def _items_in_campaigns(cells: Sequence[AnswerCell]) -> dict[str, dict[int, set[tuple[str, str]]]]:
    """unit → campaign → every (question, row) the unit has answers for."""
    items: dict[str, dict[int, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for cell in cells:
        items[cell.unit_code][cell.campaign_id].add((cell.question, cell.row))
    return items


def _unit_plans(
    code: str,
    plan: UnitIndexPlan,
    items_by_campaign: Mapping[int, set[tuple[str, str]]],
    catalogue: Mapping[ItemKey, ItemInfo],
    mapping: ScoreMapping,
) -> list[UnitPlan]:
    """The pass-2 plan of one unit, split by campaign (each campaign has its own items)."""
    terms = {term.item: term for term in plan.terms}
    result = []
    for campaign_id, items in sorted(items_by_campaign.items()):
        chosen = []
        for question, row in sorted(items):
            info = catalogue.get((campaign_id, question, row))
            term = terms.get(info.key) if info else None
            if term is None:
                continue
            values = tuple(term.coefficient * (level_score(mapping, level) - term.centre) for level in LEVELS)
            chosen.append(PlanTerm(question, row, values))  # type: ignore[arg-type]
        result.append(UnitPlan(campaign_id, code, tuple(chosen)))
    return result


def rated_items_by_campaign(campaigns: Iterable[ScoredCampaign]) -> dict[tuple[int, str], tuple[Item, ...]]:
    """(campaign, unit) → the unit's rated items: the positions of its rating strings."""
    result = {}
    for campaign in campaigns:
        try:
            questionnaire = from_canonical_dict(campaign.definition)
        except DefinitionError as error:
            raise ScoresError(f"调查批次「{campaign.name}」的问卷版本无法读取：{error}") from None
        for code, items in rated_items(questionnaire).items():
            result[(campaign.id, code)] = items
    return result


def _moments_by_unit(
    residuals: Iterable[ResidualSums], strata: Mapping[tuple[int, str], DesignStratum]
) -> dict[str, list[LinearisedMoments]]:
    """Scale the stored-weight sums by a_h: w = a_h·d, so Σw → a·Σd and Σw²z² → a²·Σd²z²."""
    result: dict[str, list[LinearisedMoments]] = defaultdict(list)
    for r in residuals:
        stratum = strata.get((r.campaign_id, r.stratum))
        if stratum is None:
            continue
        a = stratum.adjustment
        result[r.unit_code].append(
            LinearisedMoments(
                stratum=stratum.key,
                n=r.n,
                sum_w=r.sum_w * a,
                sum_w2=r.sum_w2 * a * a,
                sum_u=r.sum_wz * a,
                sum_u2=r.sum_w2z2 * a * a,
                sum_z=r.sum_z,
                sum_z2=r.sum_z2,
            )
        )
    return dict(result)


def _run_settings(
    options: ScoreOptions,
    settings: ScoringSettings,
    campaigns: Sequence[ScoredCampaign],
    strata: Mapping[tuple[int, str], DesignStratum],
    unknown_units: Sequence[str],
) -> dict[str, Any]:
    """Everything needed to reproduce the run and to print the rules applied."""
    mapping = settings.mapping
    return {
        **options.as_params(),
        "audience_label": AUDIENCES[options.audience],
        "mapping_version": mapping.version,
        "mapping_label": mapping.label,
        "confidence": settings.confidence,
        "thresholds": dataclasses.asdict(settings.thresholds),
        "campaigns": [{"id": c.id, "code": c.code, "name": c.name} for c in campaigns],
        "strata": [
            {
                "key": s.key,
                "respondents": s.frame.respondents,
                "sampled": s.frame.sampled,
                "population": s.frame.population,
                "adjustment": s.adjustment,
            }
            for s in strata.values()
        ],
        "unknown_units": list(unknown_units),
        "rules": settings.describe(),
    }


def _inputs_hash(
    run_settings: Mapping[str, Any],
    cells: Sequence[AnswerCell],
    residuals: Sequence[ResidualSums],
) -> str:
    """SHA-256 of the settings and the sufficient statistics both passes read from the answers.

    The same answers and settings give the same hash, so a stored run can be checked later by
    recomputing; the statistics, not the raw answers, are what the numbers depend on.
    """
    payload = {
        "settings": {k: v for k, v in run_settings.items() if k != "rules"},
        "cells": sorted(
            [
                c.campaign_id,
                c.unit_code,
                c.question,
                c.row,
                c.stratum,
                c.level or 0,
                c.n,
                round(c.sum_w, 9),
                round(c.sum_w2, 9),
            ]
            for c in cells
        ),
        "residuals": sorted(
            [
                r.campaign_id,
                r.unit_code,
                r.stratum,
                r.n,
                round(r.sum_w, 9),
                round(r.sum_wz, 9),
                round(r.sum_w2z2, 12),
            ]
            for r in residuals
        ),
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _new_scores(outcomes: Sequence[UnitOutcome]) -> list[run_queries.NewUnitScore]:
    ranks = _ranks_by_category(outcomes)
    estimates = [
        UnitEstimate(o.code, o.index.score, o.index.estimate.se)
        for o in outcomes
        if o.index.score is not None and o.index.estimate and o.index.estimate.se is not None
    ]
    shrunk = {}
    if len(estimates) >= 2:
        shrinkage = shrink_scores(estimates)
        shrunk = {s.unit: s for s in shrinkage.scores}
    result = []
    for o in outcomes:
        index, estimate = o.index, o.index.estimate
        details = unit_details(o)
        rank = ranks.get(o.code)
        details["rank"] = rank[0] if rank else None
        details["rank_of"] = rank[1] if rank else None
        eb = shrunk.get(o.code)
        details["shrunk"] = eb.shrunk if eb else None
        details["shrink_factor"] = eb.factor if eb else None
        result.append(
            run_queries.NewUnitScore(
                unit_id=o.unit_id,
                n=index.n_respondents,
                index_value=index.score,
                std_error=estimate.se if estimate else None,
                margin=estimate.moe if estimate else None,
                satisfied_rate=index.satisfaction_rate,
                awareness=index.awareness,
                flags=" ".join(reason.flag.value for reason in index.flags),
                details=details,
            )
        )
    return result


def _ranks_by_category(outcomes: Sequence[UnitOutcome]) -> dict[str, tuple[int, int]]:
    """Competition rank (1, 2, 2, 4) of published scores, rounded to 2 decimals, per category."""
    by_category: dict[str, list[UnitOutcome]] = defaultdict(list)
    for o in outcomes:
        if o.index.score is not None:
            by_category[o.category].append(o)
    ranks = {}
    for members in by_category.values():
        scores = [round(o.index.score or 0.0, 2) for o in members]
        for o, score in zip(members, scores, strict=True):
            ranks[o.code] = (1 + sum(1 for s in scores if s > score), len(members))
    return ranks


def unit_details(o: UnitOutcome) -> dict[str, Any]:
    """The JSON stored with a unit score: everything the unit card and the exports show."""
    index, estimate = o.index, o.index.estimate
    weights = dict(index.item_weights)
    info = {item.key: item for item in o.items}
    labels = {item.key: item.label for item in o.items}
    items = [_item_detail(e, info.get(e.item), weights.get(e.item, 0.0)) for e in index.items]
    dimensions = []
    for dimension, _ in o.spec.dimension_weights:
        members = [i for i in items if i["dimension"] == dimension]
        used = [i for i in members if i["weight"] > 0 and i["mean"] is not None]
        weight = sum(i["weight"] for i in used)
        dimensions.append(
            {
                "dimension": dimension,
                "weight": weight,
                "score": sum(i["weight"] * i["mean"] for i in used) / weight if weight else None,
                "items": [i["item"] for i in members],
            }
        )
    return {
        "raw_score": index.raw_score,
        "se": estimate.se if estimate else None,
        "moe": estimate.moe if estimate else None,
        "ci": _bounded_ci(estimate),
        "ci_symmetric": [estimate.ci_low, estimate.ci_high] if estimate else None,
        "df": estimate.df if estimate else None,
        "deff_kish": estimate.deff_kish if estimate else None,
        "deff_design": estimate.deff_design if estimate else None,
        "n_effective": estimate.n_effective if estimate else None,
        "weight_total": estimate.weight_total if estimate else None,
        "broad_satisfaction_rate": index.broad_satisfaction_rate,
        "response_rate": index.response_rate,
        "stratum_response_rates": [list(pair) for pair in index.stratum_response_rates],
        "flags": [{"flag": r.flag.value, "label": r.flag.label, "detail": r.detail} for r in index.flags],
        "suppressed_items": list(index.suppressed_items),
        "suppressed_labels": [labels.get(key, key) for key in index.suppressed_items],
        "dimensions": dimensions,
        "items": items,
        "weights_rule": _with_labels(o.spec.describe(), labels),
    }


def _with_labels(text: str, labels: dict[str, str]) -> str:
    """Item keys (approval_items__attitude) in a rule text replaced by their questions."""
    for key in sorted(labels, key=len, reverse=True):
        text = text.replace(key, labels[key])
    return text


def _bounded_ci(estimate: Any) -> list[float | None] | None:
    """The 95 % interval on the logit scale, inside [0, 100] (analysis/scoring/intervals.py)."""
    if estimate is None:
        return None
    if estimate.se is None or estimate.t_quantile is None:
        return [estimate.ci_low, estimate.ci_high]
    return list(bounded_interval(estimate.mean, estimate.se, estimate.t_quantile))


def _item_detail(e: ItemEstimate, info: ItemInfo | None, weight: float) -> dict[str, Any]:
    estimate = e.estimate
    return {
        "item": e.item,
        "label": info.label if info else e.item,
        "dimension": info.dimension if info else DEFAULT_DIMENSION,
        "weight": weight,
        "n_valid": e.n_valid,
        "n_unaware": e.n_unaware,
        "mean": e.mean,
        "se": estimate.se if estimate else None,
        "moe": estimate.moe if estimate else None,
        "satisfaction_rate": e.satisfaction_rate,
        "satisfaction_ci": list(e.satisfaction_rate_ci) if e.satisfaction_rate_ci else None,
        "broad_satisfaction_rate": e.broad_satisfaction_rate,
        "awareness": e.awareness,
        "distribution": [list(pair) for pair in e.distribution],
    }
