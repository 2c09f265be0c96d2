"""ACSI-style index from item means on a k-point scale (§A1.1).

    ACSI = Σ_k W_k (X̄_k − min) / (max − min) × 100,   Σ W_k = 1

Item means first, then the published weights, then rescaling; weights stay fixed for the
appraisal year rather than being re-estimated by PLS.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.scoring.errors import ScoringError

OHIO_WEIGHTS = (0.3885, 0.3190, 0.2925)
EQUAL_WEIGHTS = (1 / 3, 1 / 3, 1 / 3)


def acsi_index(
    item_means: Sequence[float],
    weights: Sequence[float] = EQUAL_WEIGHTS,
    *,
    scale_min: float = 1.0,
    scale_max: float = 10.0,
) -> float:
    if len(item_means) != len(weights) or not weights:
        raise ScoringError("题目均值与权重的个数必须相同且不为零")
    if abs(sum(weights) - 1) > 1e-6 or any(w < 0 for w in weights):
        raise ScoringError("ACSI 权重必须非负且合计为 1")
    if not scale_max > scale_min:
        raise ScoringError("量表上限必须大于下限")
    if any(not scale_min <= x <= scale_max for x in item_means):
        raise ScoringError(f"题目均值必须在 {scale_min:g}–{scale_max:g} 之间")
    span = scale_max - scale_min
    return sum(w * (x - scale_min) for x, w in zip(item_means, weights, strict=True)) / span * 100
