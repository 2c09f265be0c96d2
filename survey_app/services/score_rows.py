"""The rows a score run stores for its units: rank within the category, the empirical-Bayes
shrunk score, and the details JSON the unit card and the exports read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.scoring.intervals import bounded_interval
from analysis.scoring.items import ItemEstimate
from analysis.scoring.shrinkage import UnitEstimate, shrink_scores
from analysis.scoring.unit_index import IndexSpec, UnitIndex
from survey_app.db.queries import score_runs as run_queries
from survey_app.services.score_catalogue import ItemInfo
from survey_app.services.scores import DEFAULT_DIMENSION


@dataclass(frozen=True)
class UnitOutcome:
    unit_id: int
    code: str
    name: str
    category: str
    index: UnitIndex
    spec: IndexSpec
    items: tuple[ItemInfo, ...]


def new_score_rows(outcomes: Sequence[UnitOutcome]) -> list[run_queries.NewUnitScore]:
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
