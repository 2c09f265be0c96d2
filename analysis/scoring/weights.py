"""Weighted means over whatever is available, with the weights renormalised.

One rule serves items within a unit (§A1.3c), components of an appraisal (§A3.1) and periods
of a year (§A3.2): a missing value is left out and the remaining weights are rescaled to sum
to 1, so the result stays on the 0–100 scale instead of treating missing as 0.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from analysis.scoring.errors import ScoringError


@dataclass(frozen=True)
class WeightedMean:
    """A renormalised weighted mean and the record of how it was formed."""

    value: float | None  # None when nothing with positive weight was available
    weights: tuple[tuple[str, float], ...]  # renormalised weights of the keys used (sum 1)
    missing: tuple[str, ...]  # keys whose value was missing and whose weight was redistributed

    @property
    def renormalised(self) -> bool:
        return bool(self.missing)


def check_weights(weights: Sequence[tuple[str, float]], what: str) -> None:
    """Raise a Chinese error unless the weights are finite, non-negative, unique and not all 0."""
    seen: set[str] = set()
    for key, weight in weights:
        if key in seen:
            raise ScoringError(f"{what}「{key}」重复出现")
        seen.add(key)
        if not math.isfinite(weight) or weight < 0:
            raise ScoringError(f"{what}「{key}」的权重必须是非负数，实际为 {weight}")
    if not weights or sum(weight for _, weight in weights) <= 0:
        raise ScoringError(f"{what}的权重之和必须大于 0")


def renormalise(
    weights: Sequence[tuple[str, float]], available: Collection[str]
) -> tuple[tuple[str, float], ...]:
    """The weights of the available keys rescaled to sum to 1 (empty if their sum is 0)."""
    used = [(key, w) for key, w in weights if key in available]
    total = sum(w for _, w in used)
    return tuple((key, w / total) for key, w in used) if total > 0 else ()


def weighted_mean_available(
    values: Mapping[str, float | None], weights: Sequence[tuple[str, float]]
) -> WeightedMean:
    """Σ_{k available} ω_k x_k / Σ_{k available} ω_k, recording the weights actually used."""
    present = {key: x for key, x in values.items() if x is not None}
    used = renormalise(weights, present.keys())
    missing = tuple(key for key, _ in weights if key not in present)
    value = sum(w * present[key] for key, w in used) if used else None
    return WeightedMean(value=value, weights=used, missing=missing)
