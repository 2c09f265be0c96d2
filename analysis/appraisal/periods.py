"""Period weighting of a year score (§A3.2).

    S_year = Σ_q λ_q S_q / Σ_{q available} λ_q     default λ = (0.10, 0.20, 0.30, 0.40)

A unit lacking a period (new or merged) is scored over the periods it has, with the weights
renormalised; the record says which periods were missing. Rounding happens only at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analysis.appraisal.components import propagated_moe
from analysis.scoring.weights import WeightedMean, weighted_mean_available

QUARTERLY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Q1", 0.10),
    ("Q2", 0.20),
    ("Q3", 0.30),
    ("Q4", 0.40),
)


def combine_periods(
    values: Mapping[str, float | None], weights: Sequence[tuple[str, float]] = QUARTERLY_WEIGHTS
) -> WeightedMean:
    return weighted_mean_available(values, weights)


def combined_moe(moes: Mapping[str, float | None], used: WeightedMean) -> float | None:
    """MOE of Σ λ'_q S_q, periods being independent samples."""
    return propagated_moe([(w, moes.get(key)) for key, w in used.weights])


def describe_periods(weights: Sequence[tuple[str, float]]) -> str:
    total = sum(w for _, w in weights)
    shares = "，".join(f"{period} {w / total:.0%}" for period, w in weights)
    return f"期间权重：{shares}；缺少某期的单位按其余期间的权重重新归一。"
