"""Reference implementation from per-response answer records.

Computes item means, the unit index and its variance directly from explicit per-respondent
values (deviations, zero padding for stratum members outside the group), without the algebraic
sums of the SQL path. Tests run both on the same data and require the same numbers; it is also
the convenient entry point for notebooks and small data sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError
from analysis.scoring.estimators import MeanEstimate, summarise, variance_from_values
from analysis.scoring.items import ItemEstimate, assemble_item
from analysis.scoring.settings import ScoringSettings
from analysis.scoring.unit_index import (
    IndexSpec,
    UnitIndex,
    assemble_unit_index,
    plan_unit_index,
)
from analysis.scoring.weighting import StratumFrame


@dataclass(frozen=True)
class AnswerRecord:
    """One normalised answer row for one unit."""

    response_id: str
    item: str
    stratum: str
    weight: float
    score: float | None  # None = 不了解


def mean_from_records(
    values: Sequence[tuple[str, float, float]],
    frames: Sequence[StratumFrame] = (),
    confidence: float = 0.95,
) -> MeanEstimate:
    """Hájek mean with SE/MOE/CI of explicit (stratum, weight, y) triples."""
    total = sum(w for _, w, _ in values)
    if total <= 0:
        raise ScoringError("权重之和为 0，无法计算加权均值")
    mean = sum(w * y for _, w, y in values) / total
    linearised = [(stratum, w, (y - mean) / total) for stratum, w, y in values]
    return summarise(mean, variance_from_values(linearised, frames), confidence)


def item_estimates_from_records(
    records: Iterable[AnswerRecord],
    frames: Sequence[StratumFrame] = (),
    settings: ScoringSettings | None = None,
) -> tuple[ItemEstimate, ...]:
    settings = settings or ScoringSettings()
    by_item: dict[str, list[AnswerRecord]] = defaultdict(list)
    for record in records:
        by_item[record.item].append(record)
    results = []
    for item in sorted(by_item):
        valid = [(r.stratum, r.weight, r.score) for r in by_item[item] if r.score is not None]
        unaware = [r for r in by_item[item] if r.score is None]
        weight_by_score: dict[float, float] = defaultdict(float)
        for _, weight, score in valid:
            weight_by_score[score] += weight
        total = sum(w for _, w, _ in valid)
        estimate = mean_from_records(valid, frames, settings.confidence) if total > 0 else None
        results.append(
            assemble_item(
                item,
                estimate,
                (len(valid), len(unaware)),
                weight_by_score,
                sum(r.weight for r in unaware),
                settings,
            )
        )
    return tuple(results)


def unit_index_from_records(
    unit: str,
    records: Sequence[AnswerRecord],
    spec: IndexSpec,
    frames: Sequence[StratumFrame] = (),
    settings: ScoringSettings | None = None,
) -> UnitIndex:
    """The unit index from raw answer records (same result as the two SQL passes)."""
    settings = settings or ScoringSettings()
    items = item_estimates_from_records(records, frames, settings)
    plan = plan_unit_index(unit, items, spec, settings)
    terms = {term.item: term for term in plan.terms}
    respondents: dict[str, tuple[str, float]] = {}
    z: dict[str, float] = defaultdict(float)
    for record in records:
        known = respondents.setdefault(record.response_id, (record.stratum, record.weight))
        if known != (record.stratum, record.weight):
            raise ScoringError(f"答卷「{record.response_id}」在不同题目上的层或权重不一致")
        term = terms.get(record.item)
        if term is not None and record.score is not None:
            z[record.response_id] += term.coefficient * (record.score - term.centre)
    values = [(respondents[rid][0], respondents[rid][1], z_i) for rid, z_i in z.items()]
    return assemble_unit_index(plan, variance_from_values(values, frames), frames, settings)
