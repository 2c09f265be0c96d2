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
from typing import Any

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import LinearisedMoments
from analysis.scoring.items import ItemCell, item_estimates
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
from analysis.scoring.unit_index import (
    IndexSpec,
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
from survey_app.services.score_rows import UnitOutcome, new_score_rows
from survey_app.services.scores import (
    AUDIENCES,
    RESPONDENTS,
    Progress,
    ScoreOptions,
    ScoresError,
)

# --- computation ----------------------------------------------------------------------------


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
        scores=new_score_rows(outcomes),
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
