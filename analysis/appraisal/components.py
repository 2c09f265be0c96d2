"""Indicator normalisation and the weighted composite of components (§A3.1).

    S_u = Σ_k ω_k · x'_uk over available components, weights renormalised when one is missing

Components nest one or more levels, so "满意度 = α·企业评 + (1−α)·单位评" is a group whose weight
stays with satisfaction when one of its parts is suppressed, instead of leaking to KPIs.
Min–max and rank normalisation depend on the other units of the class in the same period;
the description says so, because a unit's score then moves when another unit's does.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from analysis.scoring.weights import weighted_mean_available


class ComponentKind(StrEnum):
    SATISFACTION = "satisfaction"  # a survey index: carries flags and a margin of error
    INDICATOR = "indicator"  # KPI, work-order metric, key-task score …
    GROUP = "group"  # weighted combination of its parts


class Method(StrEnum):
    NONE = "none"  # already on 0–100
    TARGET = "target"  # min(100, 100 · actual / target)
    MINMAX = "minmax"  # 100 · (x − min)/(max − min), or (max − x)/(max − min) if lower is better
    RANK = "rank"  # 100 · (M − rank)/(M − 1)


@dataclass(frozen=True)
class Normalisation:
    method: Method = Method.NONE
    lower_is_better: bool = False
    target: float | None = None

    def describe(self) -> str:
        direction = "越低越好" if self.lower_is_better else "越高越好"
        match self.method:
            case Method.NONE:
                return "原始得分（0–100）"
            case Method.TARGET:
                return f"目标值法：min(100, 100×实际值/目标值 {self.target:g})"
            case Method.MINMAX:
                return f"极差法（{direction}，随同类单位变化）"
            case Method.RANK:
                return f"排名法（{direction}，随同类单位变化）"


@dataclass(frozen=True)
class ComponentSpec:
    key: str
    label: str
    weight: float
    kind: ComponentKind = ComponentKind.INDICATOR
    column: str = ""  # input column of a leaf
    normalisation: Normalisation = Normalisation()
    parts: tuple[ComponentSpec, ...] = ()

    def walk(self) -> Iterator[ComponentSpec]:
        yield self
        for part in self.parts:
            yield from part.walk()

    def leaves(self) -> Iterator[ComponentSpec]:
        return (spec for spec in self.walk() if spec.kind is not ComponentKind.GROUP)

    def describe_parts(self) -> str:
        """Chinese: each part with its share of the group, nested groups in brackets."""
        total = sum(part.weight for part in self.parts)
        texts = []
        for part in self.parts:
            text = f"{part.label} {part.weight / total:.0%}"
            if part.kind is ComponentKind.GROUP:
                text += f"（{part.describe_parts()}）"
            elif part.normalisation.method is not Method.NONE:
                text += f"［{part.normalisation.describe()}］"
            texts.append(text)
        return "、".join(texts)


@dataclass(frozen=True)
class ComponentValue:
    """A component's value for one unit and period, with how it was formed."""

    key: str
    value: float | None
    raw: float | None = None  # leaf: the input before normalisation
    moe: float | None = None  # propagated margin of error (independent samples), if known
    weights: tuple[tuple[str, float], ...] = ()  # group: renormalised weights of parts used
    missing: tuple[str, ...] = ()  # group: parts without a value
    parts: tuple[ComponentValue, ...] = ()

    def find(self, key: str) -> ComponentValue | None:
        if self.key == key:
            return self
        for part in self.parts:
            found = part.find(key)
            if found is not None:
                return found
        return None


def normalise(values: Mapping[str, float], rule: Normalisation) -> dict[str, float]:
    """Normalise one indicator across the units of a class in one period."""
    if not values or rule.method is Method.NONE:
        return dict(values)
    if rule.method is Method.TARGET:
        target = rule.target or 1.0
        return {unit: max(0.0, min(100.0, 100 * x / target)) for unit, x in values.items()}
    if rule.method is Method.MINMAX:
        low, high = min(values.values()), max(values.values())
        if math.isclose(low, high):
            return dict.fromkeys(values, 100.0)  # everyone equally best
        span = high - low
        if rule.lower_is_better:
            return {unit: 100 * (high - x) / span for unit, x in values.items()}
        return {unit: 100 * (x - low) / span for unit, x in values.items()}
    ranks = competition_ranks(values, descending=not rule.lower_is_better)
    m = len(values)
    return {unit: 100 * (m - rank) / (m - 1) if m > 1 else 100.0 for unit, rank in ranks.items()}


def competition_ranks(values: Mapping[str, float], *, descending: bool = True) -> dict[str, int]:
    """Competition ("min") ranks: ties share the best rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(values.values(), reverse=descending)
    first: dict[float, int] = {}
    for position, value in enumerate(ordered, start=1):
        first.setdefault(value, position)
    return {unit: first[value] for unit, value in values.items()}


def evaluate(
    spec: ComponentSpec,
    leaves: Mapping[str, ComponentValue],
) -> ComponentValue:
    """Combine normalised leaf values (by key) up the tree, renormalising over missing parts."""
    if spec.kind is not ComponentKind.GROUP:
        return leaves.get(spec.key, ComponentValue(spec.key, None))
    parts = tuple(evaluate(part, leaves) for part in spec.parts)
    combined = weighted_mean_available(
        {p.key: p.value for p in parts}, [(part.key, part.weight) for part in spec.parts]
    )
    by_key = {p.key: p for p in parts}
    return ComponentValue(
        key=spec.key,
        value=combined.value,
        moe=propagated_moe([(w, by_key[key].moe) for key, w in combined.weights]),
        weights=combined.weights,
        missing=combined.missing,
        parts=parts,
    )


def propagated_moe(terms: Sequence[tuple[float, float | None]]) -> float | None:
    """MOE of Σ w_k x_k for independent samples: √Σ (w_k · MOE_k)²; parts without one count 0.

    Independent because 企业评 and 单位评, or two quarters, come from different respondents.
    None when no part has a margin of error (nothing to propagate).
    """
    if all(moe is None for _, moe in terms):
        return None
    return math.sqrt(sum((w * (moe or 0.0)) ** 2 for w, moe in terms))
